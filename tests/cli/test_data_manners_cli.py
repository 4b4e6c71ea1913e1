"""Data a user recognises, through the CLI: `wb data tag/untag` (sales@reference), what
`wb data add` says of bytes an earlier version holds, `valid` as "not checked", and
`wb predict` on a dataset reference with `-o` refusing an existing file."""

from __future__ import annotations

import json
import shutil

import numpy as np
import polars as pl
import pytest

from tests.conftest import DROPS

LOG_KEYS = {"version", "hash", "rows", "columns", "created_at", "message", "valid"}


def as_json(result) -> object:
    return json.loads(result.stdout)


@pytest.fixture
def weeks(wb, tmp_path):
    """sales@1 and sales@2 from two small files (paths returned)."""
    paths = []
    for i in (1, 2):
        path = tmp_path / f"week{i}.csv"
        path.write_text(f"x,y\n{i},a\n{i + 1},b\n")
        wb("data", "add", path, "--name", "sales")
        paths.append(path)
    return paths


def test_tag_show_log_move_and_untag(wb, weeks):
    assert wb("data", "tag", "sales@1", "reference").stdout == "sales@reference is now sales@1\n"
    shown = as_json(wb("data", "show", "sales@reference", "--json"))
    assert (shown["version"], shown["tags"]) == (1, ["reference"])
    assert "tags     sales@reference" in wb("data", "show", "sales@1").stdout
    log = as_json(wb("data", "log", "sales", "--json"))
    assert all(LOG_KEYS <= set(v) for v in log)  # every field SPEC.md names is kept
    assert [v["tags"] for v in log] == [["reference"], []]

    moved = wb("data", "tag", "sales@2", "reference").stdout
    assert moved == "sales@reference is now sales@2 (was sales@1)\n"
    assert wb("data", "tag", "sales@2", "reference").stdout == "sales@reference is already sales@2\n"
    assert [(e["kind"], e["message"]) for e in as_json(wb("log", "--json"))[:2]] == [
        ("dataset.tag", "tagged sales@2 as sales@reference (was @1)"),
        ("dataset.tag", "tagged sales@1 as sales@reference"),
    ]
    assert "reference" in wb("data", "log", "sales").stdout.splitlines()[-1]

    assert (
        wb("data", "untag", "sales", "reference").stdout
        == "removed sales@reference (it pointed at sales@2, which stays)\n"
    )
    gone = wb("data", "show", "sales@reference", code=2)
    assert gone.stderr.strip() == (
        "error: dataset 'sales' has no alias 'reference'; `wb data tag REF ALIAS` makes one"
    )
    assert wb("data", "untag", "sales", "reference", code=2).stderr.count("\n") == 1


@pytest.mark.parametrize(
    "alias, why",
    [
        ("3", "it reads as a version number"),
        ("latest", "it reads as the latest version"),
        ("cafe12", "it reads as a hash prefix (4 or more hex digits)"),
    ],
)
def test_an_alias_that_reads_as_a_reference_is_refused_in_one_sentence(wb, weeks, alias, why):
    refused = wb("data", "tag", "sales@1", alias, code=2)
    assert refused.stderr == f"error: {alias!r} cannot be an alias of sales: {why}\n"
    assert refused.stdout == ""
    assert [v["tags"] for v in as_json(wb("data", "log", "sales", "--json"))] == [[], []]
    assert all(e["kind"] != "dataset.tag" for e in as_json(wb("log", "--json")))


def test_a_mistyped_dataset_name_suggests_the_nearest(wb, weeks):
    said = wb("data", "show", "slaes@1", code=2).stderr
    assert said == (
        "error: no dataset named 'slaes' (did you mean sales?); `wb data list` shows the datasets\n"
    )
    assert "did you mean sales?" in wb("data", "log", "Sales", code=2).stderr
    assert "did you mean" not in wb("data", "log", "churn", code=2).stderr


def test_adding_bytes_an_earlier_version_holds_says_so(wb, weeks):
    first, _ = weeks
    out = wb("data", "add", first, "--name", "sales").stdout
    assert out.startswith("added sales@3 ") and out.endswith("(same bytes as sales@1)\n")
    doc = as_json(wb("data", "add", first, "--name", "sales", "--json"))
    assert (doc["unchanged"], doc["version"], doc["same_as"]) == (True, 3, "sales@3")


def test_a_version_never_checked_says_not_checked(wb, weeks):
    lines = wb("data", "log", "sales").stdout.splitlines()
    assert "valid" in lines[0] and all("not checked" in line for line in lines[2:])
    assert [v["valid"] for v in as_json(wb("data", "log", "sales", "--json"))] == [None, None]


# -- wb predict -------------------------------------------------------------------------------
@pytest.fixture
def demand(wb, tmp_path):
    """demand@1: a linear model on `units`, trained on sales@1; sales@2 new rows to score."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=60).round(4)
    pl.DataFrame({"x": x, "units": (2 * x + 1).round(4)}).write_csv(tmp_path / "train.csv")
    wb("data", "add", tmp_path / "train.csv", "--name", "sales")
    [run] = as_json(wb("train", "--data", "sales", "--target", "units", "--model", "linear", "--json"))[
        "runs"
    ]
    wb("model", "register", run["id"], "--name", "demand")
    pl.DataFrame({"x": [0.0, 1.0, 2.0]}).write_csv(tmp_path / "new.csv")
    wb("data", "add", tmp_path / "new.csv", "--name", "sales")
    wb("data", "tag", "sales@2", "fresh")
    return tmp_path


def test_predict_takes_a_dataset_reference_and_refuses_an_existing_output(wb, demand):
    out = demand / "scored.csv"
    said = wb("predict", "demand@1", "sales@fresh", "-o", out).stdout
    assert said == f"wrote 3 predictions of demand@1 to {out}\n"
    scored = pl.read_csv(out)
    assert scored.columns == ["x", "prediction"]
    assert np.allclose(scored.get_column("prediction").to_numpy(), [1.0, 3.0, 5.0], atol=0.2)
    [event] = [e for e in as_json(wb("log", "--json")) if e["kind"] == "model.predict"]
    assert event["data"]["input"] == "sales@2"

    before = out.read_bytes()
    refused = wb("predict", "demand@1", "sales@2", "-o", out, code=2)
    assert refused.stderr == f"error: {out} already exists; pass --force to overwrite it\n"
    assert refused.stdout == "" and out.read_bytes() == before
    # Its own input, too: the input is not overwritten without --force.
    source = demand / "new.csv"
    source_bytes = source.read_bytes()
    wb("predict", "demand@1", source, "-o", source, code=2)
    assert source.read_bytes() == source_bytes
    doc = as_json(wb("predict", "demand@1", source, "-o", out, "--force", "--json"))
    assert (doc["rows"], doc["input"]) == (3, str(source))


def test_checkout_to_another_formats_extension_says_what_it_wrote(wb, weeks, tmp_path):
    out = wb("data", "checkout", "sales@1", "-o", tmp_path / "w.parquet").stdout.splitlines()
    assert out[1] == (
        "note: w.parquet holds sales@1's CSV bytes as stored, not Parquet: "
        "checkout writes the exact bytes and converts nothing (name it .csv)"
    )
    assert (tmp_path / "w.parquet").read_bytes() == weeks[0].read_bytes()
    assert len(wb("data", "checkout", "sales@1", "-o", tmp_path / "w.csv").stdout.splitlines()) == 1


def test_watch_checks_each_drop_against_the_reference_alias_and_says_so(wb, tmp_path):
    drops = tmp_path / "drops"
    drops.mkdir()
    for week in ("week_01.csv", "week_02.csv"):
        wb("data", "add", DROPS / week, "--name", "sales")
    wb("data", "tag", "sales@1", "reference")
    shutil.copy(DROPS / "week_03.csv", drops / "week_03.csv")
    line = wb("watch", drops, "--dataset", "sales", "--once").stdout.splitlines()[0]
    assert line.startswith("week_03.csv: added as sales@3; ")
    assert "drift against sales@1 (sales@reference)" in line
