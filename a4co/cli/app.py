"""Root of the `a4co` command line; each command group lives in its own module."""

import typer

from a4co.cli import auth, codegen, contracts, demo, dlq, projections, run, seed, stack, streams

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
app.add_typer(projections.app, name="projections")
app.add_typer(dlq.app, name="dlq")
app.add_typer(auth.app, name="auth")
app.command(name="run")(run.run)
app.command(name="seed")(seed.seed)
app.command(name="demo")(demo.demo)


def main() -> None:
    app()
