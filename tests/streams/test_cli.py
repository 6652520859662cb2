"""`a4co streams diff` / `apply`: exit codes CI can rely on, confirmation, and the tables they print."""

import asyncio
import os
import subprocess

import pytest
from typer.testing import CliRunner

from a4co.cli.app import app
from a4co.cli.streams import redact
from a4co_sdk.streams import CONSUMERS, STREAMS
from tests.devstack.helpers import A4CO

from .helpers import contract_plan

pytestmark = pytest.mark.integration

WIDE = {"COLUMNS": "200"}


def run_a4co(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command as a person runs it (a separate process reading NATS_URL from its environment)."""
    environ = {**os.environ, **WIDE, **(env or {})}
    return subprocess.run([A4CO, *args], capture_output=True, text=True, env=environ, timeout=60, check=False)


async def invoke(*args: str, stdin: str | None = None):
    """In-process (fast); in a thread because the command runs its own event loop."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), input=stdin, env=WIDE)


async def test_diff_exits_1_until_apply_yes_brings_the_server_in_sync(js, nats_url):
    differs = await asyncio.to_thread(run_a4co, "streams", "diff", env={"NATS_URL": nats_url})
    assert differs.returncode == 1, differs.stderr
    assert "create" in differs.stdout
    assert "order-service-inventory" in differs.stdout
    assert "replicas clamped from 3 to 1" in differs.stdout

    applied = await invoke("streams", "apply", "--nats-url", nats_url, "--yes")  # timed in bench/toolchain.py
    assert applied.exit_code == 0, applied.output
    assert f"{len(STREAMS) + len(CONSUMERS)} created" in applied.output

    in_sync = await asyncio.to_thread(run_a4co, "streams", "diff", "--nats-url", nats_url)
    assert in_sync.returncode == 0, in_sync.stdout + in_sync.stderr
    assert "in sync" in in_sync.stdout

    again = await invoke("streams", "apply", "--nats-url", nats_url)  # no --yes: nothing to ask about
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.output


async def test_apply_asks_first_and_a_no_applies_nothing(js, nats_url):
    declined = await invoke("streams", "apply", "--nats-url", nats_url, stdin="n\n")
    assert declined.exit_code == 1
    assert "Apply these changes?" in declined.output
    assert "nothing applied" in declined.output
    assert (await contract_plan(js)).count("create") == len(STREAMS) + len(CONSUMERS)

    accepted = await invoke("streams", "apply", "--nats-url", nats_url, stdin="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert (await contract_plan(js)).in_sync


async def test_diff_shows_field_level_differences_and_conflicts(js, nats_url):
    await invoke("streams", "apply", "--nats-url", nats_url, "--yes")
    orders = (await js.stream_info("ORDERS")).config
    orders.max_msgs = 5
    orders.duplicate_window = 60
    await js.update_stream(orders)
    await js.delete_stream("NOTIFICATIONS")
    await js.add_stream(
        name="NOTIFICATIONS", subjects=["notification.>"], retention="interest", max_age=86400
    )

    result = await invoke("streams", "diff", "--nats-url", nats_url)
    assert result.exit_code == 1
    assert "max_msgs: 5 -> 1000000" in result.output
    assert "duplicate_window: 1m -> 2m" in result.output
    assert "storage: 'file' -> 'memory'" in result.output
    assert "cannot apply: the storage type can not be changed in place" in result.output

    applied = await invoke("streams", "apply", "--nats-url", nats_url, "--yes")
    assert applied.exit_code == 1  # the conflict is still there
    assert "skipped" in applied.output
    assert (await js.stream_info("ORDERS")).config.max_msgs == 1_000_000


async def test_an_unreachable_server_exits_2_with_a_readable_message():
    result = await invoke("streams", "diff", "--nats-url", "nats://user:secret@127.0.0.1:9")
    assert result.exit_code == 2
    assert "cannot talk to NATS at nats://***@127.0.0.1:9" in result.output
    assert "secret" not in result.output


def test_redact_hides_credentials_only():
    assert redact("nats://a:b@host:4222") == "nats://***@host:4222"
    assert redact("nats://token@host:4222") == "nats://***@host:4222"
    assert redact("nats://host:4222") == "nats://host:4222"
