"""`a4co contracts`: lint the contracts and show what they define."""

import typer

app = typer.Typer(help="Lint the contracts and show what they define.", no_args_is_help=True)
