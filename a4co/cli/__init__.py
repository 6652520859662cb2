"""The `a4co` command line."""

from a4co.cli.app import app, main

__all__ = ["app", "main"]
