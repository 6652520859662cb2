"""Replica clamping on a real three-server JetStream cluster (slow: electing a meta leader takes ~5 s)."""

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from a4co.devstack.nats import nats_server_binary
from a4co.devstack.ports import free_port
from a4co_sdk._runtime.provisioning import apply, plan
from a4co_sdk._runtime.specs import StreamSpec

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVERS = 3


@pytest.fixture(scope="module")
async def cluster_js(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[JetStreamContext]:
    """Three nats-servers routed into cluster `prov`, and JetStream once the cluster has a meta leader."""
    processes = _start_cluster(tmp_path_factory.mktemp("cluster"))
    try:
        client = await _connect_when_ready(processes[0][1])
        yield client.jetstream()
        await client.close()
    finally:
        for process, _ in processes:
            process.terminate()
        for process, _ in processes:
            process.wait(10)


def _start_cluster(tmp_path: Path) -> list[tuple[subprocess.Popen[bytes], str]]:
    """Start the servers (each with its client URL); they find each other through the routes."""
    client_ports = [free_port() for _ in range(SERVERS)]
    route_ports = [free_port() for _ in range(SERVERS)]
    routes = ", ".join(f'"nats-route://127.0.0.1:{port}"' for port in route_ports)
    started = []
    for i in range(SERVERS):
        root = tmp_path / f"n{i}"
        root.mkdir()
        (root / "nats.conf").write_text(
            f'server_name: "n{i}"\nhost: "127.0.0.1"\nport: {client_ports[i]}\n'
            f'jetstream {{ store_dir: "{root / "store"}" }}\n'
            f'cluster {{ name: "prov", listen: "127.0.0.1:{route_ports[i]}", routes: [{routes}] }}\n'
        )
        try:
            with (root / "log").open("w") as log:
                command = [nats_server_binary(), "-c", root / "nats.conf"]
                process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        except BaseException:
            for earlier, _ in started:
                earlier.kill()
                earlier.wait()
            raise
        started.append((process, f"nats://127.0.0.1:{client_ports[i]}"))
    return started


async def _connect_when_ready(url: str, within: float = 30) -> Client:
    deadline = time.monotonic() + within
    while True:
        try:
            client = await nats.connect(url, connect_timeout=1, allow_reconnect=False)
            await client.jetstream().account_info()
            # INFO lists the other servers once their routes are up; wait for all of them.
            if len(client._server_info.get("connect_urls", [])) == SERVERS:
                return client
            await client.close()
        except Exception:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.1)


async def test_replicas_are_clamped_to_the_servers_the_cluster_advertises(cluster_js):
    js = cluster_js
    specs = [StreamSpec(name="FIVE", subjects=("five.>",), num_replicas=5)]
    result = await plan(js, specs, [])
    assert (result.cluster.replicas, result.cluster.clustered, result.cluster.name) == (3, True, "prov")
    [change] = result.streams
    assert change.replicas == 3
    assert any("clamped from 5 to 3" in w for w in result.warnings)
    [outcome] = await apply(js, result)
    assert outcome.outcome == "created"
    assert outcome.detail == ""
    assert (await js.stream_info("FIVE")).config.num_replicas == 3
    assert (await plan(js, specs, [])).in_sync


async def test_a_too_high_cluster_size_is_lowered_on_the_servers_answer(cluster_js):
    js = cluster_js
    specs = [StreamSpec(name="FOUR", subjects=("four.>",), num_replicas=4)]
    [outcome] = await apply(js, await plan(js, specs, [], cluster_size=4))
    assert "replicas lowered from 4 to 3" in outcome.detail
    assert (await js.stream_info("FOUR")).config.num_replicas == 3
