"""Root of the `a4co` command line; each command group lives in its own module."""

import typer

from a4co.cli import codegen, contracts, run, stack, streams

app = typer.Typer(
    name="a4co",
    help="A4CO contract-first event platform: contracts, codegen, broker and the local marketplace.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(contracts.app, name="contracts")
app.add_typer(codegen.app, name="codegen")
app.add_typer(stack.app, name="stack")
app.add_typer(streams.app, name="streams")
app.command(name="run")(run.run)


def main() -> None:
    app()
