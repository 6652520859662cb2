"""Tables and repositories of the loyalty service."""
