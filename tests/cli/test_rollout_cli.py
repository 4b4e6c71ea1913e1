"""`wb rollout ...` and `wb predict rollout:NAME`, as a user runs them."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.conftest import DROPS


@pytest.fixture
def two_versions(wb):
    """sales@1; demand@1 (linear, production) and demand@2 (linear on a random split)."""
    wb("data", "add", DROPS / "reference.csv", "--name", "sales")
    for split in ("time:date", "random"):
        wb("train", "--data", "sales@1", "--target", "units_sold", "--model", "linear", "--split", split,
           "--register", "demand")  # fmt: skip
    wb("model", "promote", "demand@1", "--to", "production")
    return wb


def test_a_rollout_from_start_to_rollback(two_versions, tmp_path):
    wb = two_versions
    started = json.loads(wb("rollout", "start", "demand@2", "--segment", "store_id", "--segments", "S01,S02",
                            "--name", "spring", "--json").stdout)  # fmt: skip
    assert started["segments"] == ["S01", "S02"] and started["champion"] == 1
    said = wb("predict", "rollout:spring", DROPS / "week_01.csv", "-o", tmp_path / "out.csv").stdout
    assert "wrote 2,800 predictions of rollout spring" in said
    out = pl.read_csv(tmp_path / "out.csv")
    assert set(out.filter(pl.col("store_id").is_in(["S01", "S02"])).get_column("arm")) == {"challenger"}
    assert set(out.get_column("model_version")) == {1, 2}
    said = wb("rollout", "outcomes", "spring", DROPS / "week_01.csv", "--target", "units_sold",
              "--key", "date,item_id").stdout  # fmt: skip
    assert "joined 2,240 champion and 560 challenger rows" in said and "store_id,date,item_id" in said
    doc = json.loads(wb("rollout", "status", "spring", "--json").stdout)
    assert set(doc) >= {"name", "model", "segment", "share", "shadow", "arms", "difference", "verdict"}
    assert [set(a) for a in doc["arms"]] == [
        {"arm", "version", "segments", "rows", "labelled", "metric", "value"}
    ] * 2
    assert doc["verdict"] == "collecting"  # 560 challenger rows, of the 1,000 each arm needs by default
    human = wb("rollout", "status", "spring").stdout
    assert "verdict: collecting" in human and "1,000 each arm needs" in human and "95% interval" in human
    assert "spring" in wb("rollout", "list").stdout
    assert "rolled back: demand@1 is production" in wb("rollout", "stop", "spring", "--rollback").stdout
    log = wb("log", "--limit", "20").stdout
    for step in ("started rollout spring", "rollout spring scored", "ended rollout spring"):
        assert step in log


def test_bad_input_is_one_sentence_exit_2_and_writes_nothing(two_versions, tmp_path):
    wb = two_versions
    before = wb("log", "--json").stdout
    for args, said in [
        (("start", "demand@2", "--segment", "shop", "--share", "20"), "'shop' is no column"),
        (("start", "demand@2", "--segment", "store_id", "--share", "101"), "at most 100"),
        (("status", "nosuch"), "no rollout named 'nosuch'"),
        (("stop", "nosuch", "--promote"), "no rollout named 'nosuch'"),
    ]:
        result = wb("rollout", *args, code=2)
        assert said in result.stderr and result.stderr.strip().count("\n") == 0
    assert wb("log", "--json").stdout == before
    wb("rollout", "start", "demand@2", "--segment", "store_id", "--share", "50", "--name", "one")
    assert "in progress already" in wb("rollout", "start", "demand@2", "--segment", "store_id", "--share",
                                       "50", "--name", "two", code=2).stderr  # fmt: skip
    wb("predict", "rollout:one", DROPS / "week_01.csv", "-o", tmp_path / "out.parquet")
    result = wb("rollout", "outcomes", "one", DROPS / "week_03.csv", "--target", "units_sold", code=2)
    assert "joins a prediction" in result.stderr
    result = wb("predict", "rollout:none", DROPS / "week_01.csv", "-o", tmp_path / "x.csv", code=2)
    assert "no rollout named 'none'" in result.stderr and not (tmp_path / "x.csv").exists()
