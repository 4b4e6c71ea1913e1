"""A folder of Parquet files (hive-style `key=value/` partitions) as one dataset version: read
as polars reads it, stored file by file under a manifest, checked out byte for byte, kept by
gc, streamed when too big for the budget, and drift- and contract-checked like a file."""

from __future__ import annotations

import filecmp

import polars as pl
import pytest

from tests.core.test_streaming_add import _frame, _with_budget
from workbench.core.data import contracts, datasets, validation
from workbench.core.errors import InvalidInput
from workbench.core.monitoring import drift
from workbench.core.storage.maintenance import fsck, gc


def _write_tree(frame: pl.DataFrame, root):
    """`frame` as root/year=YYYY/store=S0NN/part-0.parquet, with a `_SUCCESS` marker."""
    frame = frame.with_columns(pl.col("day").str.slice(0, 4).cast(pl.Int64).alias("year"))
    for (year, store), part in frame.group_by(["year", "store"]):
        folder = root / f"year={year}" / f"store={store}"
        folder.mkdir(parents=True)
        part.drop("year", "store").write_parquet(folder / "part-0.parquet")
    (root / "_SUCCESS").write_text("")
    return root


@pytest.fixture
def tree(tmp_path):
    return _write_tree(_frame(200_000).filter(pl.col("store") < "S010"), tmp_path / "drop")


def _as_polars_reads_it(root) -> pl.DataFrame:
    return pl.scan_parquet(str(root / "**" / "*.parquet"), hive_partitioning=True).collect()


def _sorted(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(sorted(df.columns)).sort(pl.all())


def test_a_folder_of_parquet_files_is_one_version_read_as_polars_reads_it(ws, tree):
    version = datasets.add(ws, tree, "parts").version
    files = version.profile["files"]
    assert version.format == "parquet_dir" and len(files) == 20  # 2 years x 10 stores; no _SUCCESS
    assert files[0]["path"] == "year=2024/store=S000/part-0.parquet"
    assert version.size == sum(f["size"] for f in files)
    loaded = datasets.load(ws, version)
    assert {c["name"]: c["dtype"] for c in version.schema} == dict(
        zip(loaded.columns, map(str, loaded.dtypes), strict=True)
    )
    assert _sorted(loaded).equals(_sorted(_as_polars_reads_it(tree)))
    assert datasets.add(ws, tree, "parts").unchanged


def test_checkout_writes_the_folder_back_byte_for_byte_and_gc_keeps_its_files(ws, tree, tmp_path):
    version = datasets.add(ws, tree, "parts").version
    assert gc(ws, grace_hours=0).deleted == [] and fsck(ws).ok
    _, dest = datasets.checkout(ws, "parts@1", tmp_path / "out")
    written = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert written == [f["path"] for f in version.profile["files"]]
    assert all(filecmp.cmp(dest / f, tree / f, shallow=False) for f in written)
    with pytest.raises(InvalidInput, match="already exists; pass --force"):
        datasets.checkout(ws, "parts@1", dest)
    assert datasets.checkout(ws, "parts@1", dest, force=True)[1] == dest


def test_a_folder_polars_partitioned_keeps_its_keys_in_the_files_and_reads_as_polars_reads_it(ws, tmp_path):
    """polars' `write_parquet(partition_by=...)` keeps each key in its files as well as in the
    folder names: the files' own columns, as polars reads them, read whole or in batches."""
    frame = _frame(60_000)
    frame.write_parquet(tmp_path / "drop", partition_by="store")
    version = datasets.add(ws, tmp_path / "drop", "parts").version
    expected = _as_polars_reads_it(tmp_path / "drop")
    assert [c["name"] for c in version.schema] == expected.columns == frame.columns
    assert _sorted(datasets.load(ws, version)).equals(_sorted(frame))
    _with_budget(ws, 1)
    streamed = datasets.add(ws, tmp_path / "drop", "again").version
    assert (streamed.profile["streamed"], streamed.rows, streamed.schema) == (True, 60_000, version.schema)


def test_a_folder_too_big_for_the_budget_streams_to_the_same_version(ws, tree):
    whole = datasets.add(ws, tree, "parts").version
    _with_budget(ws, 1)
    streamed = datasets.add(ws, tree, "again").version
    assert streamed.profile["streamed"] is True and streamed.hash == whole.hash
    assert streamed.schema == whole.schema and streamed.rows == whole.rows
    exact = ("nulls", "min", "max", "mean")
    for got, want in zip(streamed.profile["columns"], whole.profile["columns"], strict=True):
        assert [got.get(k) for k in exact] == pytest.approx([want.get(k) for k in exact])


def test_drift_and_contract_checks_of_a_stored_folder_stream_and_match_a_whole_read(ws, tree, tmp_path):
    datasets.add(ws, tree, "parts")
    contracts.set_contract(ws, "parts", validation.infer(ws, datasets.resolve(ws, "parts@1")), "inferred")
    shifted = _frame(200_000, seed=5).filter(pl.col("store") < "S012").with_columns(pl.col("score") + 0.5)
    drop = _write_tree(shifted, tmp_path / "drop2")
    whole_drift = drift.check(ws, "parts@1", str(drop))
    _, whole_violations = validation.check(ws, str(drop), "parts")
    _with_budget(ws, 1)
    added = datasets.add(ws, drop, "parts")
    assert added.version.profile["streamed"] is True and added.violations == whole_violations
    assert {v.check for v in whole_violations} == {"allowed"}  # S010 and S011 are new stores
    streamed = drift.check(ws, "parts@1", "parts@2")
    assert streamed.estimated and set(streamed.drifted) == set(whole_drift.drifted) == {"score", "store"}
    assert validation.check(ws, "parts@2")[1] == whole_violations


def test_what_a_folder_cannot_be_is_one_sentence(ws, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InvalidInput, match="holds no Parquet files"):
        datasets.add(ws, empty, "x")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    _frame(100).write_parquet(mixed / "a.parquet")
    _frame(100).write_csv(mixed / "b.csv")
    with pytest.raises(InvalidInput, match=r"holds b\.csv, not a Parquet file"):
        datasets.add(ws, mixed, "x")
    (mixed / "b.csv").unlink()
    _frame(100).drop("score").write_parquet(mixed / "c.parquet")
    with pytest.raises(InvalidInput, match=r"have different columns: c\.parquet has day String"):
        datasets.add(ws, mixed, "x")
    assert datasets.list_datasets(ws) == [] and fsck(ws).ok and not ws.store.has_objects()


def test_a_glob_pattern_of_parquet_files_is_one_version_too(ws, tree):
    pattern = tree / "year=2025" / "store=S00[0-4]" / "*.parquet"
    version = datasets.add(ws, pattern, "some").version
    assert [f["path"] for f in version.profile["files"]] == [
        f"year=2025/store=S00{i}/part-0.parquet" for i in range(5)
    ]
    loaded = datasets.load(ws, version)
    assert set(loaded.get_column("year")) == {2025} and loaded.height == version.rows
    with pytest.raises(InvalidInput, match="holds no Parquet files"):
        datasets.add(ws, tree / "year=1999" / "*" / "*.parquet", "none")
