"""`a4co codegen`: generate the SDK from the contracts, check it is current, compare contract versions."""

import json
import time
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.syntax import Syntax

from codegen.config import load_config
from codegen.diff import Report, contracts_at, diff_contracts, render_text
from codegen.errors import ContractError
from codegen.output import check as check_output
from codegen.output import write
from codegen.parser import parse
from codegen.project import build

app = typer.Typer(help="Generate the typed SDK from the contracts and keep it current.", no_args_is_help=True)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


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
        clients=sum(1 for doc in api.http if doc.operations),
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


@app.command()
def diff(
    old: Annotated[Path | None, typer.Argument(help="Contracts directory of the old version.")] = None,
    new: Annotated[Path | None, typer.Argument(help="Contracts directory of the new version.")] = None,
    base: Annotated[
        str | None,
        typer.Option(help="Compare the contracts of this git ref (the old version) with the working tree's."),
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="text (a table) or json.")] = "text",
) -> None:
    """Find breaking changes between two versions of the contracts: exit 1 if any, 0 if none, 2 on errors.

    `a4co codegen diff OLD NEW` compares two contract directories; `a4co codegen diff --base main`
    compares the contracts of a git ref with the working tree's (no network is used).
    """
    if output_format not in ("text", "json"):
        err.print(f"[red]error:[/] --format must be text or json, not {output_format!r}")
        raise typer.Exit(2)
    if (base is None) == (old is None) or (old is None) != (new is None):
        err.print("[red]error:[/] give either OLD and NEW directories, or --base <git ref>")
        raise typer.Exit(2)
    started = time.perf_counter()
    try:
        if old is not None and new is not None:
            report = diff_contracts(old, new)
        else:
            found = _against_base(base or "HEAD", output_format)
            if found is None:
                return
            report = found
    except ContractError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    if output_format == "json":
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        render_text(report, console)
        console.print(f"[dim]compared in {time.perf_counter() - started:.2f} s[/]")
    raise typer.Exit(1 if report.breaking else 0)


def _against_base(base: str, output_format: str) -> Report | None:
    """The working tree's contracts compared with those of `base`; None when `base` has none."""
    contracts = load_config().contracts
    with contracts_at(base, contracts) as before:
        if before is not None:
            return diff_contracts(before, contracts, old_label=f"git:{base}", new_label="working tree")
    text = f"git ref {base!r} has no contracts directory: nothing to compare"
    if output_format == "json":
        print(json.dumps({**Report(f"git:{base}", "working tree", ()).to_json(), "note": text}, indent=2))
    else:
        console.print(text)
    return None
