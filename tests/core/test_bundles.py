"""Air-gap bundles: a round trip into a second workspace, and every way a bundle can lie."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from tests.conftest import DROPS
from workbench.core.data import datasets
from workbench.core.errors import InvalidInput
from workbench.core.experiments import training
from workbench.core.models import bundles, registry
from workbench.core.storage.maintenance import fsck
from workbench.core.storage.workspace import Workspace


@pytest.fixture
def bundle(ws, tmp_path):
    datasets.add(ws, DROPS / "week_01.csv", "sales")
    run_id = training.train(ws, training.TrainSpec(data="sales@1", target="units_sold", model="linear"))
    registry.register(ws, run_id, "demand")
    path = tmp_path / "demand.wbm"
    bundles.export(ws, "demand@1", path, with_data=True)
    return path


@pytest.fixture
def other(tmp_path):
    ws2, _ = Workspace.init(tmp_path / "other")
    yield ws2
    ws2.close()


def _state(ws):
    return (
        sorted(ws.store.oids()),
        registry.list_models(ws),
        ws.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0],
        ws.conn.execute("SELECT COUNT(*) FROM dataset_versions").fetchone()[0],
    )


def test_round_trip_into_a_second_workspace(ws, other, bundle):
    result = bundles.import_bundle(other, bundle)
    assert result.model == "demand@1"
    mv = registry.resolve(other, "demand@1")
    original = registry.resolve(ws, "demand@1")
    assert (mv.artifact_hash, mv.run_id, mv.dataset_hash) == (
        original.artifact_hash,
        original.run_id,
        original.dataset_hash,
    )
    assert datasets.resolve(other, "sales@1").hash == datasets.resolve(ws, "sales@1").hash
    df = datasets.load(other, datasets.resolve(other, "sales@1"))
    assert (registry.load(other, mv).predict(df)[0] == registry.load(ws, original).predict(df)[0]).all()
    assert fsck(other).ok
    # Importing the same bundle again adds a version, but no second copy of the run or data.
    bundles.import_bundle(other, bundle)
    assert other.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
    assert other.conn.execute("SELECT COUNT(*) FROM dataset_versions").fetchone()[0] == 1


def _rewrite(src, dest, change):
    """Copy a bundle's members through `change(name, data) -> [(name, data, kind)]`."""
    with tarfile.open(src) as tar_in, tarfile.open(dest, "w") as tar_out:
        for member in tar_in:
            data = tar_in.extractfile(member).read()
            for name, new_data, kind in change(member.name, data):
                info = tarfile.TarInfo(name)
                info.type = kind
                if kind == tarfile.SYMTYPE:
                    info.linkname = "/etc/passwd"
                    tar_out.addfile(info)
                else:
                    info.size = len(new_data)
                    tar_out.addfile(info, io.BytesIO(new_data))


def _flip_object(name, data):
    if name.startswith("objects/"):
        data = bytes([data[0] ^ 1]) + data[1:]
    return [(name, data, tarfile.REGTYPE)]


def _newer_format(name, data):
    if name == "manifest.json":
        manifest = json.loads(data)
        manifest["format_version"] = 99
        data = json.dumps(manifest).encode()
    return [(name, data, tarfile.REGTYPE)]


def _plus(extra_name, kind=tarfile.REGTYPE):
    def change(name, data):
        out = [(name, data, tarfile.REGTYPE)]
        if name == "manifest.json":
            out.append((extra_name, b"x", kind))
        return out

    return change


def _drop_one_object():
    dropped = []

    def change(name, data):
        if name.startswith("objects/") and not dropped:
            dropped.append(name)
            return []
        return [(name, data, tarfile.REGTYPE)]

    return change


@pytest.mark.parametrize(
    "change, words",
    [
        (_flip_object, "does not match its hash"),
        (_newer_format, "newer wb"),
        (_plus("../evil.txt"), "not a safe relative path"),
        (_plus("/abs/evil.txt"), "not a safe relative path"),
        (_plus("objects/link", tarfile.SYMTYPE), "not a regular file"),
        (_plus("notes.txt"), "not in the bundle's manifest"),
        (_drop_one_object(), "lacks 1 of its objects"),
    ],
)
def test_a_bundle_that_lies_is_refused_and_nothing_is_written(other, bundle, tmp_path, change, words):
    bad = tmp_path / "bad.wbm"
    _rewrite(bundle, bad, change)
    before = _state(other)
    with pytest.raises(InvalidInput, match=words):
        bundles.import_bundle(other, bad)
    assert _state(other) == before
    assert not any(other.objects.tmp_dir.glob("*"))  # staged objects were discarded


def test_a_truncated_bundle_is_refused(other, bundle, tmp_path):
    cut = tmp_path / "cut.wbm"
    cut.write_bytes(bundle.read_bytes()[: bundle.stat().st_size // 2])
    before = _state(other)
    with pytest.raises(InvalidInput):
        bundles.import_bundle(other, cut)
    assert _state(other) == before


def test_export_refuses_to_overwrite(ws, bundle):
    with pytest.raises(InvalidInput, match="already exists"):
        bundles.export(ws, "demand@1", bundle)


def _with_contract(ws, tmp_path, name="demand-c.wbm"):
    from workbench.core.data import contracts, validation

    text = validation.infer(ws, datasets.resolve(ws, "sales@1"))
    contracts.set_contract(ws, "sales", text, "a test")
    path = tmp_path / name
    bundles.export(ws, "demand@1", path)
    return path, text


def test_the_contract_travels_and_is_set_where_the_dataset_has_none(ws, other, bundle, tmp_path):
    from workbench.core.data import contracts

    path, text = _with_contract(ws, tmp_path)
    result = bundles.import_bundle(other, path)
    assert result.to_dict()["contract"] == {
        "dataset": "sales",
        "imported": True,
        "note": "set the contract of sales",
    }
    assert contracts.get_text(other, "sales") == text


def test_a_contract_already_here_is_kept(ws, other, bundle, tmp_path):
    from workbench.core.data import contracts

    path, _ = _with_contract(ws, tmp_path)
    mine = '[columns.units_sold]\ndtype = "Int64"\n'
    contracts.parse(mine, "mine")
    other.conn.execute(
        "INSERT INTO contracts (dataset, text, set_at) VALUES (?, ?, ?)", ("sales", mine, "2026-01-01")
    )
    other.conn.commit()
    result = bundles.import_bundle(other, path)
    assert not result.contract.imported and "kept" in result.contract.note
    assert contracts.get_text(other, "sales") == mine


def test_a_bundle_with_a_bad_contract_is_refused_and_nothing_is_written(ws, other, bundle, tmp_path):
    path, _ = _with_contract(ws, tmp_path)

    def break_contract(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["contract"]["text"] = "[columns.x]\ndtype = 'no such type'\n"
            data = json.dumps(manifest).encode()
        return [(name, data, tarfile.REGTYPE)]

    bad = tmp_path / "bad-contract.wbm"
    _rewrite(path, bad, break_contract)
    before = _state(other)
    with pytest.raises(InvalidInput):
        bundles.import_bundle(other, bad)
    assert _state(other) == before


def test_an_imported_model_names_its_data_as_this_workspace_knows_it(ws, other, bundle, tmp_path):
    datasets.add(other, DROPS / "week_02.csv", "sales")  # sales@1 here is other bytes
    bundles.import_bundle(other, bundle)  # with the data: it becomes sales@2 here
    mv = registry.resolve(other, "demand@1")
    assert mv.dataset == "sales@2"
    assert datasets.resolve(other, mv.dataset).hash == mv.dataset_hash
    from workbench.core.experiments import runs

    assert [(i.dataset, i.version) for i in runs.get(other, mv.run_id).inputs] == [
        ("sales", 2)
    ]  # the run's input too
    without = tmp_path / "no-data.wbm"
    bundles.export(ws, "demand@1", without)
    third, _ = Workspace.init(tmp_path / "third")
    datasets.add(third, DROPS / "week_02.csv", "sales")
    bundles.import_bundle(third, without)
    imported = registry.resolve(third, "demand@1")
    assert imported.dataset == f"sales@{imported.dataset_hash[:12]}"  # not here: by its hash
    third.close()
