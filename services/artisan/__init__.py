"""The artisan service: the geo directory of workshops, artisans' orders and earnings, evaluations."""
