"""`a4co auth`: user tokens for local use and tests, signed with the running stack's user-token key.

auth has no login yet (no users' passwords in the contract), so a developer, the demo and the tests
get a token the way auth would sign one: with the `auth-users` key in the keys directory the services
share (`A4CO_KEYS_DIR`, else `.run/keys`, the directory `a4co run` gives them). The gateway then
validates it through auth like any other token.
"""

import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="User tokens for local use and tests.", no_args_is_help=True)
err = Console(stderr=True)

MAX_MINUTES = 24 * 60


def _user(value: str | None) -> uuid.UUID:
    from services.platform.ids import SEEDED_CUSTOMER, customer_id  # noqa: PLC0415 - keeps the CLI light

    if value is None:
        return customer_id(SEEDED_CUSTOMER)
    if "@" in value:
        return customer_id(value)
    try:
        return uuid.UUID(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is neither a UUID nor an email address", param_hint="--user"
        ) from None


def _roles(value: str) -> list[str]:
    from a4co_sdk.models.auth import UserRole  # noqa: PLC0415 - the SDK is generated code

    known = {role.value for role in UserRole}
    roles = sorted({role.strip() for role in value.split(",") if role.strip()})
    unknown = [role for role in roles if role not in known]
    if not roles or unknown:
        raise typer.BadParameter(
            f"roles are a comma-separated subset of {', '.join(sorted(known))}", param_hint="--roles"
        )
    return roles


def dev_token(
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            help="The user: a UUID, or an email whose customer id is derived as the seed does "
            "(uuid5(NAMESPACE_URL, 'mailto:' + email.lower())). Default: maria.lopez@example.es, "
            "the seeded repeat buyer.",
            show_default=False,
        ),
    ] = None,
    roles: Annotated[
        str, typer.Option("--roles", help="Comma-separated roles: customer, artisan, admin.")
    ] = "customer",
    minutes: Annotated[
        int, typer.Option("--minutes", min=1, max=MAX_MINUTES, help="Lifetime of the token.")
    ] = 60,
    keys_dir: Annotated[
        Path | None,
        typer.Option(
            "--keys-dir",
            help="The stack's keys directory (default: $A4CO_KEYS_DIR, else .run/keys).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print a user token signed with the stack's user-token key (for `Authorization: Bearer ...`)."""
    from services.platform.security import (  # noqa: PLC0415 - cryptography is imported on use only
        USER_TOKEN_KEY,
        KeyStore,
        UserTokenIssuer,
        keys_dir_from_env,
    )

    subject = _user(user)
    claimed = _roles(roles)
    directory = keys_dir or keys_dir_from_env()
    keys = KeyStore(directory)
    if keys.secrets.read(f"{USER_TOKEN_KEY}.key.pem") is None:
        err.print(
            f"[yellow]note:[/] {directory} had no user-token key; created one. A stack already running "
            "with other keys will not accept this token.",
            highlight=False,
        )
    token = UserTokenIssuer(keys).issue(subject, claimed, lifetime=minutes * 60.0)
    print(token)


app.command("dev-token")(dev_token)
