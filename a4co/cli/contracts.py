"""`a4co contracts`: lint the contracts and show what they define.

Thin on purpose: loading, linting and summarising live in `codegen`; this module chooses the
directory, lays the results out with rich and sets the exit code.
"""

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from codegen.errors import LoadError
from codegen.lint import RULES, LintError, lint
from codegen.loader import ContractSet, load_contracts
from codegen.model import (
    channel_rows,
    consumer_rows,
    http_rows,
    read_asyncapi,
    read_http_operations,
    service_rows,
    stream_rows,
)

app = typer.Typer(help="Lint the contracts and show what they define.", no_args_is_help=True)

CONTRACTS_OPTION = typer.Option(
    None,
    "--contracts",
    "-c",
    help="The contracts directory (default: ./contracts, else the repository's).",
    file_okay=False,
)


def _console() -> Console:
    # soft_wrap: one error per line whatever the terminal width, so that output greps and diffs.
    return Console(soft_wrap=True, highlight=False)


def _contracts_dir(given: Path | None) -> Path:
    if given is not None:
        return given
    here = Path("contracts")
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "contracts"


def _shown(directory: Path, file: str) -> str:
    path = (directory / file).resolve()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def _load(console: Console, directory: Path) -> ContractSet:
    try:
        return load_contracts(directory)
    except LoadError as exc:
        line = f":{exc.line}" if exc.line else ""
        location = _shown(directory, exc.file) if not Path(exc.file).is_absolute() else exc.file
        console.print(
            Text.assemble((f"{location}{line}", "cyan"), "  ", ("[load]", "yellow"), "  ", str(exc))
        )
        raise typer.Exit(1) from None


def _error_line(directory: Path, error: LintError) -> Text:
    return Text.assemble(
        (f"{_shown(directory, error.file)}:{error.pointer}", "cyan"),
        "  ",
        (f"[{error.rule_id}]", "yellow"),
        "  ",
        error.message,
    )


@app.command("lint")
def lint_command(
    contracts: Path | None = CONTRACTS_OPTION,
    rule: list[str] | None = typer.Option(
        None, "--rule", "-r", help=f"Run only this rule (repeatable): {', '.join(RULES)}."
    ),
) -> None:
    """Check the contracts against the conventions of docs/contracts.md; exit 1 on any error."""
    console = _console()
    directory = _contracts_dir(contracts)
    unknown = sorted(set(rule or ()) - set(RULES))
    if unknown:
        console.print(f"unknown rule(s): {', '.join(unknown)}; the rules are: {', '.join(RULES)}")
        raise typer.Exit(2)
    contract_set = _load(console, directory)
    errors = lint(contract_set, rules=rule or None)
    for error in errors:
        console.print(_error_line(directory, error))
    ran = len(rule) if rule else len(RULES)
    files = (
        1
        + len(contract_set.schemas)
        + len(contract_set.openapi)
        + (contract_set.openapi_components is not None)
    )
    if errors:
        failed = len({error.file for error in errors})
        noun = "error" if len(errors) == 1 else "errors"
        console.print(
            Text(f"✗ {len(errors)} {noun} in {failed} of {files} files ({ran} rules)", style="bold red")
        )
        raise typer.Exit(1)
    console.print(Text(f"✓ {files} contract files pass {ran} rules", style="bold green"))


@app.command("show")
def show_command(contracts: Path | None = CONTRACTS_OPTION) -> None:
    """Tables of what the contracts define: channels, services, streams, consumers, HTTP operations."""
    console = Console()
    contract_set = _load(console, _contracts_dir(contracts))
    model = read_asyncapi(contract_set)

    def joined(values: tuple[str, ...]) -> str:
        return ", ".join(values)

    console.print(
        _table(
            "Channels",
            ("address", "message", "sender", "receivers", "stream"),
            [
                (
                    row.address,
                    joined(row.messages),
                    joined(row.senders),
                    joined(row.receivers),
                    joined(row.streams),
                )
                for row in channel_rows(model)
            ],
        )
    )
    console.print(
        _table(
            "Operations by service",
            ("service", "send", "receive", "sends", "receives"),
            [
                (
                    row.service,
                    str(len(row.sends)),
                    str(len(row.receives)),
                    joined(row.sends),
                    joined(row.receives),
                )
                for row in service_rows(model)
            ],
        )
    )
    console.print(
        _table(
            "Streams",
            ("stream", "subjects", "retention", "storage", "replicas", "max age"),
            [
                (
                    f"{row.name} (private)" if row.private else row.name,
                    joined(row.subjects),
                    row.retention,
                    row.storage,
                    row.replicas,
                    row.max_age,
                )
                for row in stream_rows(model)
            ],
        )
    )
    console.print(
        _table(
            "Consumers",
            ("consumer", "stream", "filter", "service", "ops", "max deliver", "ack wait", "backoff"),
            [
                (
                    row.name,
                    row.stream,
                    joined(row.filters) or "(whole stream)",
                    joined(row.services),
                    str(row.operations),
                    row.max_deliver,
                    row.ack_wait,
                    row.backoff,
                )
                for row in consumer_rows(model)
            ],
        )
    )
    console.print(
        _table(
            "HTTP operations",
            ("service", "method", "path", "operationId", "SLA"),
            [
                (
                    op.service,
                    op.method,
                    op.path,
                    op.operation_id or "",
                    f"{op.sla_ms} ms" if op.sla_ms is not None else "",
                )
                for op in http_rows(read_http_operations(contract_set))
            ],
        )
    )


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    """A table whose cells are shown as written (no markup) and folded rather than cut."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    return table
