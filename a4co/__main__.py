"""`python -m a4co`: the same command line as the `a4co` script."""

from a4co.cli.app import main

main()
