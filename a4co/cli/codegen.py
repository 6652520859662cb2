"""`a4co codegen`: generate the SDK from the contracts, check it is current, compare contract versions."""

import time
from collections import Counter

import typer
from rich.console import Console
from rich.syntax import Syntax

from codegen.config import load_config
from codegen.errors import ContractError
from codegen.output import check as check_output
from codegen.output import write
from codegen.parser import parse
from codegen.project import build

app = typer.Typer(help="Generate the typed SDK from the contracts and keep it current.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _files() -> tuple[dict[str, str], float, Counter[str]]:
    config = load_config()
    started = time.perf_counter()
    try:
        api = parse(config.contracts, package=config.package)
        files = build(api, config)
    except ContractError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    counts: Counter[str] = Counter(
        models=len(api.schemas),
        publishers=sum(op.action == "send" for op in api.operations),
        subscribers=sum(op.action == "receive" for op in api.operations),
        clients=len(api.http),
    )
    return files, time.perf_counter() - started, counts


@app.command()
def generate() -> None:
    """Write generated/ from the contracts (files no longer generated are removed)."""
    config = load_config()
    files, seconds, counts = _files()
    drift = write(files, config.output)
    console.print(
        f"generated {len(files)} files in {seconds:.2f} s: "
        + ", ".join(f"{n} {kind}" for kind, n in counts.items())
        + f" — {len(drift.added)} added, {len(drift.changed)} changed, {len(drift.removed)} removed"
    )


@app.command()
def check() -> None:
    """Exit 1, showing the difference, when generated/ does not match the contracts."""
    config = load_config()
    files, seconds, _ = _files()
    drift = check_output(files, config.output)
    if drift.clean:
        console.print(f"generated/ is current ({len(files)} files, checked in {seconds:.2f} s)")
        return
    err.print(
        "[red]generated/ is stale[/]: run `make generate` (a4co codegen generate) and commit the result."
    )
    for path in drift.added:
        err.print(f"  [green]missing[/]    {path}")
    for path in drift.removed:
        err.print(f"  [red]not generated[/] {path}")
    for path, diff in drift.changed.items():
        err.print(f"  [yellow]differs[/]    {path}")
        err.print(Syntax(diff[:4000], "diff", theme="ansi_dark"))
    raise typer.Exit(1)
