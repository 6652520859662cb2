"""`a4co seed`: load the Jaén catalogue and the test customers into the marketplace, through events.

See `a4co.seed.loader`: the events are those the artisan, product and user services would have published,
with their field ciphers, so every read model is built by its own service from the streams.
"""

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from a4co.cli.streams import EXIT_ERROR, NatsUrl, _connect, redact, resolve_url

if TYPE_CHECKING:
    from a4co.seed.loader import SeedReport

console = Console()
err = Console(stderr=True)


def seed(
    nats_url: NatsUrl = None,
    keys_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where the services' keys are (default: $A4CO_KEYS_DIR, else .run/keys); the field "
            "keys there encrypt personal and card data as the owning services would.",
            show_default=False,
        ),
    ] = None,
    customers: Annotated[
        bool, typer.Option(help="Also register the customers of decision 009 and 50 generated ones.")
    ] = True,
) -> None:
    """Publish 62 artisans, 558 products and 55 customers as their owning services would; safe to repeat."""
    from a4co.seed.loader import load_seed  # noqa: PLC0415 - the SDK is imported when the command runs
    from services.platform.security import KeyStore, keys_dir_from_env  # noqa: PLC0415

    url = resolve_url(nats_url)
    keys = KeyStore(keys_dir or keys_dir_from_env())

    async def run() -> "SeedReport":
        client = await _connect(url)
        try:
            return await load_seed(client.jetstream(), keys, customers=customers)
        finally:
            await client.close()

    try:
        report = asyncio.run(run())
    except (OSError, TimeoutError, ConnectionError) as exc:
        err.print(f"[bold red]error:[/] seeding through {redact(url)} failed: {exc}", highlight=False)
        raise typer.Exit(EXIT_ERROR) from None
    except Exception as exc:  # noqa: BLE001 - nats errors and contract violations: one readable line
        err.print(f"[bold red]error:[/] {type(exc).__name__}: {exc}", highlight=False)
        raise typer.Exit(EXIT_ERROR) from None
    console.print(
        f"[green]seeded[/] {report.artisans} artisans, {report.products} products, {report.customers} "
        f"customers ({report.payment_methods} payment methods, {report.blocked} blocked) "
        f"in {report.seconds:.1f} s: {report.stored} events stored, {report.duplicates} already there",
        highlight=False,
    )
