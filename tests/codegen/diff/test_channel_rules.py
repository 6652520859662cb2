"""Channels, messages, streams and consumers: the velo fixture (another domain) changed one way at a time."""

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen.diff import Report, diff_contracts
from tests.codegen.diff.contracts import dump

VELO = Path(__file__).parents[1] / "fixtures" / "velo"

Document = dict[str, Any]
Edit = Callable[[Document], None]


def compare(tmp_path: Path, edit: Edit, *, before: Edit | None = None) -> Report:
    """Diff the velo contracts (changed by `before`, if given) against the same changed by `edit`."""
    document: Document = yaml.safe_load((VELO / "asyncapi.yaml").read_text())
    if before is not None:
        before(document)
    for side in ("old", "new"):
        shutil.copytree(VELO, tmp_path / side)
    dump(tmp_path / "old" / "asyncapi.yaml", document)
    changed = copy.deepcopy(document)
    edit(changed)
    dump(tmp_path / "new" / "asyncapi.yaml", changed)
    return diff_contracts(tmp_path / "old", tmp_path / "new")


def found(report: Report) -> dict[str, str]:
    return {change.rule.id: str(change.severity) for change in report.changes}


# -- edits ---------------------------------------------------------------------------------------


def remove_audit(doc: Document) -> None:
    del doc["channels"]["auditTrail"]
    del doc["operations"]["publishAudit"]


def deprecate_audit(doc: Document) -> None:
    doc["operations"]["publishAudit"]["deprecated"] = True


def add_rental_v3(doc: Document) -> None:
    doc["channels"]["rentalStartedV3"] = {
        **doc["channels"]["rentalStarted"],
        "address": "velo.rental.started.v3",
    }


def add_v3_and_deprecate_v2(doc: Document) -> None:
    add_rental_v3(doc)
    for key in ("publishRentalStarted", "billingWatchesRentals"):
        doc["operations"][key]["deprecated"] = True


def add_maintenance(doc: Document) -> None:
    doc["channels"]["maintenance"] = {
        "address": "velo.maintenance.v1",
        "messages": {"AuditRecord": {"$ref": "#/components/messages/AuditRecord"}},
    }


def remove_station_closed(doc: Document) -> None:
    del doc["channels"]["stationStatus"]["messages"]["StationClosed"]
    del doc["operations"]["mapWatchesStations"]["messages"][1]


def add_audit_to_rentals(doc: Document) -> None:
    doc["channels"]["rentalStarted"]["messages"]["AuditRecord"] = {
        "$ref": "#/components/messages/AuditRecord"
    }


def set_mode(address_key: str, mode: str) -> Edit:
    def edit(doc: Document) -> None:
        doc["channels"][address_key]["x-a4co-compatibility"] = mode

    return edit


def change_content_type(doc: Document) -> None:
    doc["components"]["messages"]["StationOpened"]["contentType"] = "application/cloudevents+json"


def add_archive_stream(doc: Document) -> None:
    doc["x-jetstream"]["streams"]["ARCHIVE"] = {"subjects": ["archive.>"], "storage": "file"}


def remove_archive_stream(doc: Document) -> None:
    del doc["x-jetstream"]["streams"]["ARCHIVE"]


def split_audit_stream(doc: Document) -> None:
    doc["x-jetstream"]["streams"]["VELO"]["subjects"] = ["velo.station.>", "velo.rental.>"]
    doc["x-jetstream"]["streams"]["AUDIT"] = {"subjects": ["velo.audit.>"]}


def narrow_billing_filter(doc: Document) -> None:
    doc["x-jetstream"]["consumers"]["billing-rentals"]["filter_subject"] = "velo.rental.started.v3"


def remove_billing(doc: Document) -> None:
    del doc["x-jetstream"]["consumers"]["billing-rentals"]
    del doc["operations"]["billingWatchesRentals"]


def add_consumer(doc: Document) -> None:
    doc["x-jetstream"]["consumers"]["map-stations"] = {"stream": "VELO", "filter_subject": "velo.station.>"}


def raise_max_deliver(doc: Document) -> None:
    doc["x-jetstream"]["consumers"]["billing-rentals"]["max_deliver"] = 5


def keep_30_days(doc: Document) -> None:
    doc["x-jetstream"]["streams"]["VELO"]["max_age"] = "30d"


def keep_7_days(doc: Document) -> None:
    doc["x-jetstream"]["streams"]["VELO"]["max_age"] = "7d"


CASES: list[tuple[str, Edit, Edit | None, dict[str, str]]] = [
    ("channel-removed", remove_audit, None, {"channel-removed": "breaking"}),
    ("deprecated-channel-removed", remove_audit, deprecate_audit, {"deprecated-channel-removed": "warning"}),
    (
        "channel-version-added",
        add_rental_v3,
        None,
        {"channel-version-added": "compatible", "previous-version-not-deprecated": "warning"},
    ),
    (
        "channel-version-added-with-v2-deprecated",
        add_v3_and_deprecate_v2,
        None,
        {"channel-version-added": "compatible"},
    ),
    ("channel-added", add_maintenance, None, {"channel-added": "compatible"}),
    ("message-removed", remove_station_closed, None, {"message-removed": "breaking"}),
    ("message-added", add_audit_to_rentals, None, {"message-added": "breaking"}),
    ("content-type-changed", change_content_type, None, {"content-type-changed": "breaking"}),
    (
        "compatibility-mode-changed",
        set_mode("stationStatus", "none"),
        None,
        {"compatibility-mode-changed": "warning"},
    ),
    ("stream-removed", remove_archive_stream, add_archive_stream, {"stream-removed": "breaking"}),
    ("stream-added", add_archive_stream, None, {"stream-added": "compatible"}),
    (
        "channel-left-stream",
        split_audit_stream,
        None,
        {
            "channel-left-stream": "breaking",
            "stream-added": "compatible",
            "jetstream-setting-changed": "warning",
        },
    ),
    (
        "consumer-filter-drops-channel",
        narrow_billing_filter,
        None,
        {"consumer-filter-drops-channel": "breaking", "jetstream-setting-changed": "warning"},
    ),
    ("consumer-removed", remove_billing, None, {"consumer-removed": "warning"}),
    ("consumer-added", add_consumer, None, {"consumer-added": "compatible"}),
    ("jetstream-setting-changed", raise_max_deliver, None, {"jetstream-setting-changed": "warning"}),
    ("stream-retention-reduced", keep_7_days, keep_30_days, {"stream-retention-reduced": "warning"}),
]


@pytest.mark.parametrize(("edit", "before", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_change_is_reported_as_its_rule_with_its_severity(
    tmp_path: Path, edit: Edit, before: Edit | None, expected: dict[str, str]
) -> None:
    assert found(compare(tmp_path, edit, before=before)) == expected


def test_the_unchanged_fixture_reports_nothing(tmp_path: Path) -> None:
    assert compare(tmp_path, lambda doc: None).changes == ()


def test_a_message_added_to_a_backward_channel_is_only_a_warning(tmp_path: Path) -> None:
    backward = set_mode("rentalStarted", "backward")

    def edit(doc: Document) -> None:
        backward(doc)
        add_audit_to_rentals(doc)

    report = compare(tmp_path, edit, before=backward)
    assert found(report) == {"message-added": "warning"}
    assert "would break forward" in report.changes[0].message


def test_removing_a_channel_is_breaking_even_when_its_mode_is_none(tmp_path: Path) -> None:
    report = compare(tmp_path, remove_audit, before=set_mode("auditTrail", "none"))
    assert found(report) == {"channel-removed": "breaking"}


def test_nothing_but_removing_it_breaks_a_channel_whose_mode_is_none(tmp_path: Path) -> None:
    none = set_mode("rentalStarted", "none")

    def edit(doc: Document) -> None:
        none(doc)
        add_audit_to_rentals(doc)

    assert found(compare(tmp_path, edit, before=none)) == {"message-added": "warning"}


def test_a_removed_channel_names_its_successor_and_its_stream(tmp_path: Path) -> None:
    def replace_v2_by_v3(doc: Document) -> None:
        add_rental_v3(doc)
        del doc["channels"]["rentalStarted"]
        for key in ("publishRentalStarted", "billingWatchesRentals"):
            doc["operations"][key]["channel"] = {"$ref": "#/channels/rentalStartedV3"}
        doc["x-jetstream"]["consumers"]["billing-rentals"]["filter_subject"] = "velo.rental.started.v3"

    report = compare(tmp_path, replace_v2_by_v3)
    removed = next(c for c in report.changes if c.rule.id == "channel-removed")
    assert removed.side == "old"
    assert removed.location.pointer == "/channels/rentalStarted"
    assert "velo.rental.started.v3 exists: keep velo.rental.started.v2 beside it" in removed.message
    assert "stream VELO" in removed.message


def test_a_header_change_in_a_shared_trait_is_graded_like_a_payload_change(tmp_path: Path) -> None:
    def require_msg_type(root: Path) -> None:
        path = root / "schemas" / "velo.yaml"
        schemas = yaml.safe_load(path.read_text())
        schemas["TrackingHeaders"]["required"].append("msg-type")
        dump(path, schemas)

    for side in ("old", "new"):
        shutil.copytree(VELO, tmp_path / side)
    require_msg_type(tmp_path / "new")
    report = diff_contracts(tmp_path / "old", tmp_path / "new")
    assert found(report) == {"property-became-required": "breaking"}
    assert {c.subject for c in report.changes} == {
        "velo.station.{stationId}.status.v1 StationOpened",
        "velo.station.{stationId}.status.v1 StationClosed",
        "velo.rental.started.v2 RentalStarted",
        "velo.audit.{category}.{source} AuditRecord",
    }
    assert all(
        c.message.startswith("headers at msg-type: property `msg-type` became required")
        for c in report.changes
    )
    assert all(c.location.file == "schemas/velo.yaml" for c in report.changes)
