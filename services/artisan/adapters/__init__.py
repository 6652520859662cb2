"""Tables and repositories of the artisan directory and of artisans' orders and earnings."""
