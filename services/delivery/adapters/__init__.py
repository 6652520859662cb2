"""Tables and the repository of scheduled deliveries."""
