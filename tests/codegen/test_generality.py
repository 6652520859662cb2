"""The generator on contracts of other domains: nothing in it is specific to A4CO.

Two AsyncAPI documents written for these tests (`fixtures/velo`, `fixtures/greenhouse`) use channel
parameters, several messages per channel, a oneOf with a discriminator, headers and a correlation id
given by a message trait, schemas in another file, inline payloads and a derived consumer. Their SDKs
are generated, type-checked with mypy --strict, imported, and used against a real nats-server.
"""

import asyncio
import importlib
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import uuid4

import pytest
from nats.js import JetStreamContext

from codegen.output import write
from codegen.parser import parse
from codegen.project import GeneratorConfig, build

FIXTURES = Path(__file__).parent / "fixtures"
DOMAINS = ("velo", "greenhouse")


@pytest.fixture(scope="module")
def sdks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("sdks")
    for domain in DOMAINS:
        config = GeneratorConfig(f"{domain}_sdk", f"{domain}-sdk", FIXTURES / domain, out / domain)
        write(build(parse(config.contracts, package=config.package), config), config.output)
        sys.path.insert(0, str(out / domain))
    yield out
    for domain in DOMAINS:
        sys.path.remove(str(out / domain))
        for name in [m for m in sys.modules if m.startswith(f"{domain}_sdk")]:
            del sys.modules[name]


def load(name: str) -> ModuleType:
    return importlib.import_module(name)


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_generated_sdk_passes_mypy_strict(sdks: Path, domain: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-p", f"{domain}_sdk"],
        cwd=sdks / domain,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_channel_parameters_become_subjects_and_filters(sdks: Path) -> None:
    channels = load("velo_sdk.channels")
    assert channels.STATION_STATUS.subject(stationId="JAEN-07") == "velo.station.JAEN-07.status.v1"
    assert channels.STATION_STATUS.filter_subject == "velo.station.*.status.v1"
    assert channels.AUDIT_TRAIL.filter_subject == "velo.audit.*.>"
    assert (
        channels.AUDIT_TRAIL.subject(category="security", source="dock.7.lock")
        == "velo.audit.security.dock.7.lock"
    )
    with pytest.raises(ValueError, match="not a valid value"):
        channels.STATION_STATUS.subject(stationId="a.b")


def test_one_of_with_a_discriminator_is_a_tagged_union(sdks: Path) -> None:
    velo = load("velo_sdk.models.velo")
    wallet = {"kind": "wallet", "walletId": "w"}
    rental = velo.RentalStarted.model_validate(
        {"rentalId": str(uuid4()), "stationId": "S1", "bikes": ["B1"], "paidWith": wallet, "deposit": "20.00"}
    )
    assert type(rental.paid_with.root).__name__ == "Wallet"
    assert rental.deposit == Decimal("20.00")
    with pytest.raises(ValueError, match="kind"):
        velo.Instrument.model_validate({"kind": "cash"})


def test_inline_payloads_and_headers_get_named_models(sdks: Path) -> None:
    messages = load("greenhouse_sdk.messages")
    spec = messages.READING_BATCH
    assert spec.payload.__name__ == "ReadingBatchPayload"
    assert spec.headers.__name__ == "ReadingBatchHeaders"
    operations = load("greenhouse_sdk.operations")
    consumer = operations.STORE_READINGS.consumer
    assert consumer.name == "archive-store-readings"
    assert consumer.filter_subjects == ("greenhouse.readings.v3",)
    assert operations.EMIT_READINGS.service == "sensors"  # the document's default service


class ReverseCipher:
    """Stands in for real encryption: the test only checks where the SDK applies it."""

    def encrypt(self, value: str, **_: Any) -> str:
        return "enc:" + value[::-1]

    def decrypt(self, value: str, **_: Any) -> str:
        assert value.startswith("enc:")
        return value[4:][::-1]


async def provision(js: JetStreamContext, package: str) -> None:
    from a4co_sdk._runtime.jetstream_config import consumer_config, stream_config  # noqa: PLC0415

    streams = load(f"{package}.streams")
    for spec in streams.STREAMS.values():
        await js.add_stream(stream_config(spec, replicas=1))
    for spec in streams.CONSUMERS.values():
        await js.add_consumer(spec.stream, consumer_config(spec))


@pytest.mark.integration
async def test_several_messages_per_channel_and_sensitive_fields_on_a_real_server(
    sdks: Path, js: JetStreamContext
) -> None:
    await provision(js, "velo_sdk")
    operations = load("velo_sdk.operations")
    await js.add_consumer(
        "VELO",
        load("velo_sdk._runtime.jetstream_config").consumer_config(operations.MAP_WATCHES_STATIONS.consumer),
    )
    velo = load("velo_sdk.models.velo")
    stations = load("velo_sdk.publishers.stations").StationsPublishers(js)
    rentals = load("velo_sdk.publishers.rentals").RentalsPublishers(js, cipher=ReverseCipher())
    subscribing = load("velo_sdk._runtime.subscribing")

    request = uuid4()
    await stations.station_opened_station_closed.publish(
        velo.StationOpened(station_id="JAEN-07", docks=12, opened_at="2026-11-20T08:00:00Z"),
        station_id="JAEN-07",
        headers={"x-request": str(request)},
    )
    await stations.station_opened_station_closed.publish(
        velo.StationClosed(station_id="JAEN-07", reason="weather"),
        station_id="JAEN-07",
        headers={"x-request": str(request)},
    )
    rental = velo.RentalStarted(
        rental_id=uuid4(),
        station_id="JAEN-07",
        bikes=["B9"],
        paid_with={"kind": "card", "pan": "4242424242424242"},
        deposit="20.00",
    )
    await rentals.rental_started.publish(rental, headers={"x-request": str(request)})

    stored = await js.get_last_msg("VELO", "velo.rental.started.v2")
    assert b"4242424242424242" not in stored.data  # the card number left encrypted
    assert b"enc:2424242424242424" in stored.data

    received: list[tuple[str, Any]] = []
    for op in (operations.MAP_WATCHES_STATIONS, operations.BILLING_WATCHES_RENTALS):

        async def handle(message: Any, envelope: Any) -> None:
            received.append((type(message).__name__, message))

        dispatcher = subscribing.Dispatcher(
            service=op.service,
            consumer=op.consumer,
            routes=[subscribing.Route(op, handle)],
            cipher=ReverseCipher(),
        )
        sub = await js.pull_subscribe_bind(op.consumer.name, op.consumer.stream)
        for msg in await sub.fetch(10, timeout=2):
            delivery = subscribing.Delivery(
                msg.subject, msg.data, msg.headers or {}, msg.metadata.num_delivered
            )
            outcome = await dispatcher.dispatch(delivery)
            assert outcome.verdict is subscribing.Verdict.ACK, outcome.failure
            await msg.ack()
    assert [name for name, _ in received] == ["StationOpened", "StationClosed", "RentalStarted"]
    assert received[2][1] == rental  # decrypted before validation: the handler sees the plaintext
    assert stored.headers is not None
    assert stored.headers["x-request"] == str(request)


@pytest.mark.integration
async def test_a_document_without_envelope_roles_still_publishes_with_a_message_id(
    sdks: Path, js: JetStreamContext
) -> None:
    await provision(js, "greenhouse_sdk")
    models = load("greenhouse_sdk.models.messages")
    publisher = load("greenhouse_sdk.publishers.sensors").SensorsPublishers(js).reading_batch
    batch = models.ReadingBatchPayload(
        batch_id=uuid4(),
        readings=[models.Temperature(sensor="t1", celsius=21.5), models.Humidity(sensor="h1", percent=64)],
    )
    ack = await publisher.publish(batch)
    assert ack.stream == "GREENHOUSE"
    stored = await js.get_last_msg("GREENHOUSE", "greenhouse.readings.v3")
    assert stored.headers is not None
    assert set(stored.headers) == {
        "Nats-Msg-Id",
        "Nats-Expected-Stream",
    }  # no envelope roles in this contract
    assert models.ReadingBatchPayload.model_validate_json(stored.data) == batch
    await asyncio.sleep(0)
