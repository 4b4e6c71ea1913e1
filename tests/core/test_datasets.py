from __future__ import annotations

import json

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import DROPS
from workbench.core.data import datasets
from workbench.core.errors import Ambiguous, InvalidInput, NotFound
from workbench.core.names import NAME_RE, check_name


def test_versions_count_up_and_same_bytes_are_unchanged(ws, small_csv, tmp_path):
    first = datasets.add(ws, small_csv, "sales", "first")
    assert (first.version.version, first.unchanged) == (1, False)
    again = datasets.add(ws, small_csv, "sales")
    assert (again.version.version, again.unchanged) == (1, True)
    other = tmp_path / "other.csv"
    other.write_text(small_csv.read_text() + "2026-01-09,S2,3.00,4\n")
    second = datasets.add(ws, other, "sales")
    assert (second.version.version, second.version.rows) == (2, 5)
    assert [v.version for v in datasets.log(ws, "sales")] == [1, 2]
    # Re-adding older bytes is a new version: only the latest counts as "unchanged".
    assert datasets.add(ws, small_csv, "sales").version.version == 3


def test_the_users_file_is_not_touched(ws, small_csv):
    before = (small_csv.read_bytes(), small_csv.stat().st_mtime_ns, small_csv.stat().st_mode)
    datasets.add(ws, small_csv, "sales")
    assert before == (small_csv.read_bytes(), small_csv.stat().st_mtime_ns, small_csv.stat().st_mode)


def test_references_resolve(ws, small_csv, tmp_path):
    v1 = datasets.add(ws, small_csv, "sales").version
    other = tmp_path / "b.csv"
    other.write_text("a,b\n1,2\n")
    v2 = datasets.add(ws, other, "sales").version
    assert datasets.resolve(ws, "sales").version == 2
    assert datasets.resolve(ws, "sales@latest").version == 2
    assert datasets.resolve(ws, "sales@1").hash == v1.hash
    assert datasets.resolve(ws, f"sales@{v2.hash[:6]}").version == 2
    assert datasets.resolve(ws, f"sales@{v1.hash[:8].upper()}").version == 1


@pytest.mark.parametrize(
    "ref, error, words",
    [
        ("nosuch", NotFound, "no dataset named 'nosuch'"),
        ("sales@9", NotFound, "no version 9"),
        ("sales@ffffffff", NotFound, "hash starting with ffffffff"),
        ("sales@zz", NotFound, "has no alias 'zz'"),
        ("sales@z z", InvalidInput, "not a dataset reference"),
        ("sales@", InvalidInput, "nothing after '@'"),
    ],
)
def test_references_that_match_nothing_are_clear_errors(ws, small_csv, ref, error, words):
    datasets.add(ws, small_csv, "sales")
    with pytest.raises(error, match=words):
        datasets.resolve(ws, ref)


def test_an_ambiguous_hash_prefix_is_refused(ws, tmp_path):
    # Add files until two versions' hashes share their first 4 hex digits (about 1 in 65536
    # per pair); searching is quicker than forging a collision, so search among cheap files.
    seen: dict[str, str] = {}
    from workbench.core.storage.hashing import hash_bytes

    n = 0
    while True:
        data = f"a\n{n}\n".encode()
        prefix = hash_bytes(data)[:4]
        if prefix in seen:
            break
        seen[prefix] = data.decode()
        n += 1
    for i, text in enumerate((seen[prefix], data.decode())):
        path = tmp_path / f"f{i}.csv"
        path.write_text(text)
        datasets.add(ws, path, "d")
    with pytest.raises(Ambiguous, match="matches 2 versions"):
        datasets.resolve(ws, f"d@{prefix}")


@given(st.text(max_size=120))
def test_names_are_letters_digits_dot_dash_underscore(name):
    if NAME_RE.fullmatch(name):
        assert check_name(name, "dataset") == name
        assert "/" not in name and " " not in name and "@" not in name
    else:
        with pytest.raises(InvalidInput, match="not allowed"):
            check_name(name, "dataset")


@pytest.mark.parametrize(
    "suffix, write",
    [
        (".parquet", lambda df, p: df.write_parquet(p)),
        (".jsonl", lambda df, p: df.write_ndjson(p)),
        (".tsv", lambda df, p: df.write_csv(p, separator="\t")),
    ],
)
def test_parquet_jsonl_and_tsv_are_read(ws, tmp_path, suffix, write):
    import polars as pl

    df = pl.DataFrame({"x": [1, 2, 3], "y": ["a", "b", None]})
    path = tmp_path / f"data{suffix}"
    write(df, path)
    v = datasets.add(ws, path, "d").version
    assert (v.rows, v.columns, v.format) == (3, 2, suffix.lstrip("."))
    assert [c["name"] for c in v.schema] == ["x", "y"]


def test_checkout_writes_the_exact_bytes(ws, tmp_path):
    src = DROPS / "week_01.csv"
    v = datasets.add(ws, src, "sales").version
    dest = tmp_path / "out.csv"
    datasets.checkout(ws, "sales@1", dest)
    assert dest.read_bytes() == src.read_bytes()
    with pytest.raises(InvalidInput, match="already exists"):
        datasets.checkout(ws, "sales@1", dest)
    dest.write_text("changed")
    datasets.checkout(ws, f"sales@{v.hash[:6]}", dest, force=True)
    assert dest.read_bytes() == src.read_bytes()


def test_diff_reports_columns_rows_and_shifts(ws, tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("id,price,kind\n1,1.0,x\n2,2.0,y\n3,3.0,x\n")
    b = tmp_path / "b.csv"
    b.write_text("id,price,color\n1,10.5,red\n2,20.5,blue\n3,30.5,red\n4,40.5,red\n")
    datasets.add(ws, a, "d")
    datasets.add(ws, b, "d")
    d = datasets.diff(ws, "d@1", "d@2")
    assert d.rows == {"a": 3, "b": 4, "delta": 1}
    assert d.added == [{"name": "color", "dtype": "String"}]
    assert d.removed == [{"name": "kind", "dtype": "String"}]
    assert d.retyped == []
    price = next(s for s in d.shifts if s["column"] == "price")
    assert price["mean"]["a"] == 2.0 and price["mean"]["b"] == 25.5
    assert price["mean"]["std_units"] == pytest.approx(23.5)
    json.dumps(d.to_dict())  # plain data, ready for --json


def test_a_retyped_column_is_reported(ws, tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("code\n1\n2\n")
    b = tmp_path / "b.csv"
    b.write_text("code\nA1\nB2\n")
    datasets.add(ws, a, "d")
    datasets.add(ws, b, "d")
    assert datasets.diff(ws, "d@1", "d@2").retyped == [{"name": "code", "from": "Int64", "to": "String"}]


def test_a_late_value_of_another_type_is_still_read(ws, tmp_path):
    # Polars infers types from the first rows; a string 20,000 rows down must not fail the add.
    path = tmp_path / "late.csv"
    path.write_text("code\n" + "1\n" * 20_000 + "X9\n")
    v = datasets.add(ws, path, "d").version
    assert v.rows == 20_001 and v.schema == [{"name": "code", "dtype": "String"}]


def test_a_column_named_count_is_profiled(ws, tmp_path):
    # value_counts() names its own column "count"; a user's column of that name must not clash.
    path = tmp_path / "counts.csv"
    path.write_text("count,kind\n1,a\n2,a\n3,b\n")
    v = datasets.add(ws, path, "d").version
    kind = next(c for c in v.profile["columns"] if c["name"] == "kind")
    assert kind["top_values"][0] == {"value": "a", "count": 2}


def test_json_lines_dates_read_as_csv_dates_do(ws, tmp_path):
    """A model trained on CSV scores JSON Lines: the same ISO dates are dates in both."""
    frame = pl.read_csv(DROPS / "week_01.csv").head(50)
    frame.write_csv(tmp_path / "week.csv")
    frame.write_ndjson(tmp_path / "week.jsonl")
    from_csv = datasets.add(ws, tmp_path / "week.csv", "csv_side").version
    from_jsonl = datasets.add(ws, tmp_path / "week.jsonl", "jsonl_side").version
    assert from_jsonl.schema == from_csv.schema
    assert {c["name"]: c["dtype"] for c in from_csv.schema}["date"] == "Date"
    assert datasets.load(ws, from_jsonl).schema == datasets.load(ws, from_csv).schema
