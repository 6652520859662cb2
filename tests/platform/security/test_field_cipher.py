"""AesGcmFieldCipher with the SDK: real generated messages, tampering, moved values, rotation, access."""

import re
import stat
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from a4co_sdk import channels, messages, operations
from a4co_sdk._runtime.publishing import Publisher
from a4co_sdk._runtime.sensitive import transform_fields
from a4co_sdk._runtime.specs import ConsumerSpec, OperationSpec
from a4co_sdk._runtime.subscribing import DecodeError, Delivery, Dispatcher, Route
from a4co_sdk.models import common, payment
from services.platform.security import (
    AesGcmFieldCipher,
    DirectorySecretStore,
    FieldCipherError,
    FieldDecryptionError,
    FieldKeyStore,
    FieldKeyUnavailableError,
    KeyStore,
    readable_classifications,
)

CARD = "4111111111111111"
TOKEN = re.compile(r"^enc:v1:(pii|pci)-[0-9]{4}:[A-Za-z0-9_-]+$")
SPEC = messages.PAYMENT_PROCESSING_STARTED


# A receive operation of a service outside the contract, to show what a reader without pci keys gets.
AUDIT_RECEIVES_PAYMENT_PROCESSING_STARTED = OperationSpec(
    id="auditReceivesPaymentProcessingStarted",
    action="receive",
    service="audit",
    channel=channels.PAYMENT_PROCESSING_STARTED,
    messages=(messages.PAYMENT_PROCESSING_STARTED,),
    consumer=ConsumerSpec(name="audit-on-payment-processing-started", stream="PAYMENTS", max_deliver=5),
)


def _payment(
    method: payment.CardPaymentMethod | payment.BizumPaymentMethod,
) -> payment.PaymentProcessingStarted:
    return payment.PaymentProcessingStarted(
        paymentId=uuid.uuid4(),
        orderId=uuid.uuid4(),
        amount=common.Money(amount=Decimal("24.90"), currency="EUR"),
        paymentMethod=payment.PaymentMethod(method),
        customerId=uuid.uuid4(),
        customerEmail="lucia@example.es",
        processorId="redsys",
        startedAt=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
    )


def _card() -> payment.PaymentProcessingStarted:
    return _payment(
        payment.CardPaymentMethod(
            type="card",
            paymentMethodId=uuid.uuid4(),
            cardNumber=CARD,
            cvv="123",
            expiryMonth=12,
            expiryYear=2029,
            holderName="Lucía Martínez",
            brand=payment.Brand.VISA,
            last4="1111",
        )
    )


def _bizum() -> payment.PaymentProcessingStarted:
    return _payment(
        payment.BizumPaymentMethod(type="bizum", paymentMethodId=uuid.uuid4(), phoneNumber="+34612345678")
    )


def _wire(model: payment.PaymentProcessingStarted) -> dict[str, Any]:
    return orjson.loads(model.model_dump_json(by_alias=True, exclude_none=True))


def _encrypt(cipher: AesGcmFieldCipher, document: dict[str, Any], spec: Any = SPEC) -> dict[str, Any]:
    return transform_fields(
        document,
        spec.sensitive,
        lambda value, path, cls: cipher.encrypt(value, path=path, classification=cls, message=spec.name),
    )


def _decrypt(cipher: AesGcmFieldCipher, document: dict[str, Any], spec: Any = SPEC) -> dict[str, Any]:
    return transform_fields(
        document,
        spec.sensitive,
        lambda value, path, cls: cipher.decrypt(value, path=path, classification=cls, message=spec.name),
    )


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keys")


@pytest.fixture
def payment_cipher(keys: KeyStore) -> AesGcmFieldCipher:
    return AesGcmFieldCipher.for_service("payment", keys)


@pytest.fixture
def order_cipher(keys: KeyStore) -> AesGcmFieldCipher:
    return AesGcmFieldCipher.for_service("order", keys)


def test_who_reads_what() -> None:
    assert readable_classifications("payment") == {"pii", "pci"}
    assert readable_classifications("user") == {"pii", "pci"}
    assert readable_classifications("order") == {"pii"}
    assert readable_classifications("analytics") == {"pii"}


def test_round_trip_with_transform_fields(payment_cipher: AesGcmFieldCipher) -> None:
    event = _card()
    wire = _encrypt(payment_cipher, _wire(event))
    wire_text = orjson.dumps(wire).decode()

    method = wire["paymentMethod"]
    for value in (method["cardNumber"], method["cvv"], method["holderName"], wire["customerEmail"]):
        assert TOKEN.match(value), value
    assert method["cardNumber"].startswith("enc:v1:pci-0001:")
    assert wire["customerEmail"].startswith("enc:v1:pii-0001:")
    for secret in (CARD, "123", "Lucía", "lucia@example.es"):
        assert secret not in wire_text
    assert method["last4"] == "1111"  # not marked sensitive: stays as it is

    restored = _decrypt(payment_cipher, wire)
    assert restored["paymentMethod"]["cardNumber"] == CARD
    assert restored["paymentMethod"]["holderName"] == "Lucía Martínez"
    assert restored["customerEmail"] == "lucia@example.es"
    assert payment.PaymentProcessingStarted.model_validate(restored) == event


def test_same_value_gives_a_new_token_each_time(payment_cipher: AesGcmFieldCipher) -> None:
    tokens = {
        payment_cipher.encrypt(CARD, path=("paymentMethod", "cardNumber"), classification="pci", message="X")
        for _ in range(100)
    }
    assert len(tokens) == 100


def test_the_sdk_publishes_tokens_and_the_dispatcher_decrypts(payment_cipher: AesGcmFieldCipher) -> None:
    publisher: Publisher[Any] = Publisher(
        None,  # type: ignore[arg-type] - prepare() does not touch JetStream
        operations.PAYMENT_SENDS_PAYMENT_PROCESSING_STARTED,
        cipher=payment_cipher,
    )
    event = _card()
    outgoing = publisher.prepare(event)
    assert CARD.encode() not in outgoing.body

    received = _dispatcher(payment_cipher).decode(
        *_delivery(outgoing.subject, outgoing.body, outgoing.headers)
    )
    assert received.payload == event


def _dispatcher(cipher: AesGcmFieldCipher) -> Dispatcher:
    operation = AUDIT_RECEIVES_PAYMENT_PROCESSING_STARTED
    assert operation.consumer is not None

    async def handler(payload: Any, received: Any) -> None:
        return None

    return Dispatcher(
        service="order", consumer=operation.consumer, routes=[Route(operation, handler)], cipher=cipher
    )


def _delivery(subject: str, body: bytes, headers: dict[str, str]) -> tuple[Route, Delivery]:
    route = Route(AUDIT_RECEIVES_PAYMENT_PROCESSING_STARTED, lambda _p, _r: None)  # type: ignore[arg-type, return-value]
    return route, Delivery(subject=subject, body=body, headers=headers)


def _publish(
    cipher: AesGcmFieldCipher, event: payment.PaymentProcessingStarted
) -> tuple[str, bytes, dict[str, str]]:
    publisher: Publisher[Any] = Publisher(
        None, operations.PAYMENT_SENDS_PAYMENT_PROCESSING_STARTED, cipher=cipher
    )  # type: ignore[arg-type]
    outgoing = publisher.prepare(event)
    return outgoing.subject, outgoing.body, outgoing.headers


def test_a_tampered_token_makes_the_message_undecodable(payment_cipher: AesGcmFieldCipher) -> None:
    subject, body, headers = _publish(payment_cipher, _card())
    document = orjson.loads(body)
    token = document["paymentMethod"]["cardNumber"]
    index = len(token) - 5
    document["paymentMethod"]["cardNumber"] = (
        token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]
    )

    with pytest.raises(FieldDecryptionError, match="authentication failed"):
        payment_cipher.decrypt(
            document["paymentMethod"]["cardNumber"],
            path=("paymentMethod", "cardNumber"),
            classification="pci",
            message=SPEC.name,
        )
    with pytest.raises(DecodeError) as failed:
        _dispatcher(payment_cipher).decode(*_delivery(subject, orjson.dumps(document), headers))
    assert failed.value.kind == "undecodable"


def test_a_value_moved_to_another_field_does_not_decrypt(payment_cipher: AesGcmFieldCipher) -> None:
    wire = _encrypt(payment_cipher, _wire(_card()))
    # Both pii, same key: only the associated data (the path) tells them apart.
    wire["customerEmail"] = wire["paymentMethod"]["holderName"]
    with pytest.raises(FieldDecryptionError, match="authentication failed"):
        _decrypt(payment_cipher, wire)


def test_a_value_moved_to_another_message_does_not_decrypt(payment_cipher: AesGcmFieldCipher) -> None:
    token = payment_cipher.encrypt(
        CARD, path=("paymentMethod", "cardNumber"), classification="pci", message="PaymentMethodAdded"
    )
    assert ("paymentMethod", "cardNumber") in messages.PAYMENT_METHOD_ADDED.sensitive
    with pytest.raises(FieldDecryptionError):
        payment_cipher.decrypt(
            token, path=("paymentMethod", "cardNumber"), classification="pci", message=SPEC.name
        )


def test_a_pci_token_in_a_pii_field_is_refused(payment_cipher: AesGcmFieldCipher) -> None:
    token = payment_cipher.encrypt(CARD, path=("customerEmail",), classification="pci", message=SPEC.name)
    with pytest.raises(FieldDecryptionError, match="is not a pii key"):
        payment_cipher.decrypt(token, path=("customerEmail",), classification="pii", message=SPEC.name)


@pytest.mark.parametrize(
    "value",
    [
        "lucia@example.es",
        "enc:v1:",
        "enc:v1:pii-0001",
        "enc:v1:pii-0001:",
        "enc:v1:pii-0001:AAAA",
        "enc:v1:pii-0001:a+b/",
        "enc:v1:../x:AAAA",
        "enc:v2:pii-0001:AAAA",
    ],
)
def test_what_is_not_a_token(payment_cipher: AesGcmFieldCipher, value: str) -> None:
    with pytest.raises(FieldCipherError):
        payment_cipher.decrypt(value, path=("customerEmail",), classification="pii", message=SPEC.name)


def test_errors_are_value_errors_for_the_dispatcher() -> None:
    assert issubclass(FieldCipherError, ValueError)


def test_rotation(keys: KeyStore, payment_cipher: AesGcmFieldCipher) -> None:
    old = _encrypt(payment_cipher, _wire(_card()))
    store = FieldKeyStore(keys.secrets)

    assert store.rotate("pci") == "pci-0002"
    rotated = AesGcmFieldCipher.for_service("payment", keys)
    new = _encrypt(rotated, _wire(_card()))

    assert new["paymentMethod"]["cardNumber"].startswith("enc:v1:pci-0002:")
    assert new["customerEmail"].startswith("enc:v1:pii-0001:")  # only pci rotated
    assert _decrypt(rotated, old)["paymentMethod"]["cardNumber"] == CARD  # the old key still decrypts
    # A cipher loaded before the rotation reads the new key id from the store when it meets it ...
    assert _decrypt(payment_cipher, _encrypt(rotated, _wire(_card())))["paymentMethod"]["cardNumber"] == CARD
    # ... and encrypts with the new primary after reload().
    assert payment_cipher.keyring("pci").primary == "pci-0001"
    payment_cipher.reload()
    assert payment_cipher.keyring("pci").primary == "pci-0002"
    assert payment_cipher.keyring("pci").key_ids == ["pci-0001", "pci-0002"]


def test_a_service_without_the_pci_key_cannot_decrypt_pci(
    payment_cipher: AesGcmFieldCipher, order_cipher: AesGcmFieldCipher
) -> None:
    wire = _encrypt(payment_cipher, _wire(_card()))
    assert order_cipher.classifications == {"pii"}

    with pytest.raises(FieldKeyUnavailableError, match="order holds no key for pci fields"):
        _decrypt(order_cipher, wire)
    with pytest.raises(FieldKeyUnavailableError):
        order_cipher.encrypt(
            CARD, path=("paymentMethod", "cardNumber"), classification="pci", message=SPEC.name
        )
    # Its pii fields it reads: a Bizum payment carries no pci field.
    bizum = _encrypt(payment_cipher, _wire(_bizum()))
    assert _decrypt(order_cipher, bizum)["paymentMethod"]["phoneNumber"] == "+34612345678"


def test_a_service_without_the_pci_key_cannot_decode_card_payments(
    payment_cipher: AesGcmFieldCipher, order_cipher: AesGcmFieldCipher
) -> None:
    # Why the contract routes PaymentProcessingStarted to no service without the pci key (decision 005).
    subject, body, headers = _publish(payment_cipher, _card())
    with pytest.raises(DecodeError) as failed:
        _dispatcher(order_cipher).decode(*_delivery(subject, body, headers))
    assert failed.value.kind == "undecodable"
    subject, body, headers = _publish(payment_cipher, _bizum())
    assert _dispatcher(order_cipher).decode(*_delivery(subject, body, headers)).payload.payment_method


def test_destroyed_keys_shred_their_values(keys: KeyStore, payment_cipher: AesGcmFieldCipher) -> None:
    wire = _encrypt(payment_cipher, _wire(_card()))
    store = FieldKeyStore(keys.secrets)
    store.destroy("pci-0001")

    reloaded = AesGcmFieldCipher.for_service("payment", keys)
    with pytest.raises(FieldKeyUnavailableError, match="unknown or destroyed"):
        _decrypt(reloaded, wire)
    assert reloaded.keyring("pci").primary == "pci-0002"  # a new key, never the old id again
    assert store.load("pci-0001") is None


def test_services_starting_at_once_share_the_first_key(tmp_path: Path) -> None:
    for attempt in range(10):
        secrets = DirectorySecretStore(tmp_path / str(attempt))
        with ThreadPoolExecutor(8) as pool:
            rings = list(pool.map(lambda _, store=secrets: FieldKeyStore(store).keyring("pii"), range(8)))
        assert {ring.primary for ring in rings} == {"pii-0001"}
        assert secrets.names() == ["field-pii-0001.key"]
        token = AesGcmFieldCipher([rings[0]]).encrypt("x", path=("a",), classification="pii", message="M")
        assert (
            AesGcmFieldCipher([rings[7]]).decrypt(token, path=("a",), classification="pii", message="M")
            == "x"
        )


def test_racing_rotations_make_one_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = DirectorySecretStore(tmp_path)
    first, second = FieldKeyStore(secrets), FieldKeyStore(secrets)
    first.keyring("pci")
    monkeypatch.setattr(second, "_numbers", lambda _classification: [1])  # listed before `first` rotated
    assert first.rotate("pci") == "pci-0002"
    key = secrets.read("field-pci-0002.key")

    assert second.rotate("pci") == "pci-0002"
    assert secrets.read("field-pci-0002.key") == key  # the loser took the winner's key
    assert secrets.names() == ["field-pci-0001.key", "field-pci-0002.key"]


def test_key_files(tmp_path: Path) -> None:
    secrets = DirectorySecretStore(tmp_path)
    FieldKeyStore(secrets).keyring("pii")
    assert stat.S_IMODE((tmp_path / "field-pii-0001.key").stat().st_mode) == 0o600
    (tmp_path / "field-pii-0002.key").write_bytes(b"c2hvcnQ=\n")
    with pytest.raises(ValueError, match="32-byte key"):
        FieldKeyStore(secrets).keyring("pii")
    with pytest.raises(ValueError, match="not a valid secret name"):
        secrets.read("../field-pii-0001.key")
