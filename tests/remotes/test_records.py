"""Records as objects: a committed dataset version or contract is also a canonical JSON object in
the store, indexed in the database, and read back as the same record."""

from __future__ import annotations

from tests.conftest import DROPS
from workbench.core.data import contracts, datasets
from workbench.core.storage import records
from workbench.core.storage.maintenance import fsck, gc

CONTRACT = "[columns.units]\nrequired = true\n"


def stored_records(ws) -> dict[str, records.Record]:
    found = {oid: records.decode(ws.store.read_verified(oid)) for oid in records.indexed(ws.conn)}
    assert None not in found.values()
    return found


def test_a_version_and_a_contract_are_kept_as_canonical_record_objects(ws):
    added = datasets.add(ws, DROPS / "week_01.csv", "sales").version
    contracts.set_contract(ws, "sales", CONTRACT, "c.toml")
    by_kind = {r.kind: (oid, r) for oid, r in stored_records(ws).items()}
    oid, version = by_kind[records.DATASET_VERSION]
    assert version.key == f"sales@{added.hash}" and version.created_at == added.created_at
    assert version.data["hash"] == added.hash and version.data["profile"] == added.profile
    assert version == datasets.record_of(added) and oid == version.oid  # canonical: same bytes
    raw = ws.store.read_verified(oid)
    assert raw.startswith(b'{"_record":1,') and b" " not in raw.split(b'"profile"')[0]
    assert by_kind[records.CONTRACT][1].data == {"dataset": "sales", "text": CONTRACT}
    assert not datasets.unrecorded(ws.conn) and not contracts.unrecorded(ws.conn)


def test_record_objects_are_references_gc_keeps(ws):
    datasets.add(ws, DROPS / "week_01.csv", "sales")
    assert fsck(ws).unreferenced == 0
    gc(ws, grace_hours=0)
    assert len(stored_records(ws)) == 1
