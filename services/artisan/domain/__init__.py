"""Great-circle geometry and the performance evaluation's rules. Pure."""
