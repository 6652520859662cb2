"""`a4co demo`: place orders through the gateway of a running marketplace and watch their sagas."""

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from a4co.demo import DemoOrder, run_demo, summary

COLOURS = {"delivery_scheduled": "green", "confirmed": "green", "cancelled": "red", "compensating": "yellow"}


def demo(
    orders: Annotated[int, typer.Option(help="How many orders to place.")] = 20,
    run_dir: Annotated[Path, typer.Option(help="The run directory of `a4co run`.")] = Path(".run"),
    gateway: Annotated[
        str | None, typer.Option(help="Gateway URL (default: from the run directory).")
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Orders in flight at once.")] = 8,
    wait: Annotated[float, typer.Option(help="Seconds to wait for each saga to end.")] = 90.0,
) -> None:
    """Customers browse, check stock and order; every saga's progress is shown live, then a summary."""
    console = Console()
    services = run_dir / "services.json"
    if gateway is None:
        if not services.exists():
            console.print(f"[red]error:[/] {services} not found: start the marketplace with `make run` first")
            raise typer.Exit(2)
        gateway = json.loads(services.read_text())["gateway"]
    table_of = _table
    with Live(table_of([]), console=console, refresh_per_second=4) as live:
        demos = asyncio.run(
            run_demo(
                gateway,
                run_dir / "keys",
                orders=orders,
                concurrency=concurrency,
                wait=wait,
                on_change=lambda current: live.update(table_of(current)),
            )
        )
        live.update(table_of(demos))
    result = Table(title=f"{orders} orders through the saga", title_justify="left")
    for column in ("outcome", "orders", "p50 s", "max s"):
        result.add_column(column, justify="right" if column != "outcome" else "left")
    for outcome, (count, p50, worst) in summary(demos).items():
        result.add_row(outcome, str(count), f"{p50:.2f}", f"{worst:.2f}")
    console.print(result)


def _table(demos: list[DemoOrder]) -> Table:
    table = Table(title="orders", title_justify="left", expand=False)
    for column in ("#", "customer", "plan", "order", "state", "step / reason", "s"):
        table.add_column(column)
    for i, d in enumerate(demos, 1):
        colour = COLOURS.get(d.state, "white")
        table.add_row(
            str(i),
            d.customer.split("@")[0],
            d.plan,
            str(d.order_id)[:8] if d.order_id else "-",
            f"[{colour}]{d.state}[/]",
            d.error or (d.reason if d.state == "cancelled" else d.step) or "",
            f"{d.seconds:.1f}" if d.order_id else "",
        )
    if demos and all(d.finished or d.error for d in demos):
        table.caption = ", ".join(f"{k}: {v[0]}" for k, v in summary(demos).items())
    return table
