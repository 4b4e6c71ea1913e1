"""`wb data add FOLDER` and `wb data checkout` of a partitioned drop, as a user sees them."""

from __future__ import annotations

import polars as pl

from tests.core.test_partitioned import _write_tree
from tests.core.test_streaming_add import _frame
from tests.remotes.test_sync import Workspace


def test_a_folder_is_added_and_checked_out_as_one_version(wb, tmp_path):
    _write_tree(_frame(2_000).filter(pl.col("store") < "S003"), tmp_path / "drop")
    added = wb("data", "add", "drop", "--name", "parts")
    assert "added parts@1  76 rows x 8 columns" in added.stdout  # year and store from the folders
    shown = wb("data", "show", "parts@1")
    assert "parquet_dir" in shown.stdout
    out = wb("data", "checkout", "parts@1")
    assert out.stdout.startswith("wrote parts@1 to parts@1 (6 files, ")
    assert "hashes verified" in out.stdout
    assert (tmp_path / "parts@1" / "year=2024" / "store=S000" / "part-0.parquet").is_file()
    refused = wb("data", "checkout", "parts@1", code=2)
    assert "parts@1 already exists; pass --force to write into it" in refused.stderr


def test_a_folder_version_travels_through_a_remote_file_by_file(tmp_path):
    drop = _write_tree(_frame(2_000).filter(pl.col("store") < "S003"), tmp_path / "drop")
    here, there = Workspace(tmp_path / "here"), Workspace(tmp_path / "there")
    here("data", "add", drop, "--name", "parts")
    for ws in (here, there):
        ws("remote", "add", "origin", tmp_path / "usb", "--default")
    assert here.json("push")["objects"] == 8  # six files, the manifest, the version's record
    assert there.json("pull")["objects"] == 8
    there("data", "checkout", "parts@1", "-o", tmp_path / "back")
    for part in drop.rglob("*.parquet"):
        assert (tmp_path / "back" / part.relative_to(drop)).read_bytes() == part.read_bytes()
    assert there.json("fsck")["ok"]
