"""A4CO platform tooling: the `a4co` command line and the local stack it runs."""
