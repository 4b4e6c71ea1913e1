"""The story wb exists to tell, through the real `wb` in subprocesses: a retailer's weekly
sales drops arrive, get validated and drift-checked, a challenger demand model is retrained,
judged against the champion on data neither has seen, and promoted only if it wins; every
step is in the audit log."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl

from tests.e2e.conftest import DROPS, Runner


def accept_the_new_range(contract: Path) -> None:
    """The edit a user makes to the inferred contract once they know the business: electronics
    (new items, higher prices) are launched, and the thermometers' feed has gaps LightGBM can
    take. The rest (types, required columns, no extra columns, row counts) stays."""
    text = contract.read_text()
    for column in ("item_id", "category"):
        text = re.sub(rf'(\[columns."{column}"\][^\[]*?)allowed = \[[^\]]*\]\n', r"\1", text)
    text = re.sub(r'(\[columns."price"\][^\[]*?)max = [0-9.]+', r"\1max = 100.0", text)
    text = re.sub(
        r'(\[columns."temperature_c"\][^\[]*?)max_null_fraction = [0-9.]+', r"\1max_null_fraction = 0.3", text
    )
    contract.write_text(text)


def test_weekly_drops_retrain_a_challenger_that_is_promoted_only_when_it_wins(
    workspace: Path, wb: Runner, tmp_path: Path
):
    wb("data", "add", DROPS / "reference.csv", "--name", "sales", cwd=workspace).ok()
    wb("data", "contract", "infer", "sales@1", "-o", tmp_path / "sales.toml", cwd=workspace).ok()
    accept_the_new_range(tmp_path / "sales.toml")
    wb("data", "contract", "set", "sales", tmp_path / "sales.toml", cwd=workspace).ok()
    wb(
        "train",
        "--data",
        "sales@1",
        "--target",
        "units_sold",
        "--split",
        "time:date",
        "--register",
        "demand",
        cwd=workspace,
    ).ok()
    wb("model", "promote", "demand@1", "--to", "production", cwd=workspace).ok()

    inbox = tmp_path / "in"
    inbox.mkdir()
    for week in range(1, 7):
        shutil.copy(DROPS / f"week_{week:02d}.csv", inbox)
    # Last, a file of predictions dropped in by mistake: a version, but one that breaks the
    # contract (an extra column), so it neither judges the challenger nor trains one.
    predictions = pl.read_csv(DROPS / "week_06.csv").with_columns(prediction=pl.lit(1.0))
    predictions.write_csv(inbox / "week_zz_predictions.csv")
    lines = {
        line.split(":")[0]: line
        for line in wb(
            "watch",
            inbox,
            "--dataset",
            "sales",
            "--reference",
            "sales@1",
            "--retrain",
            "--once",
            cwd=workspace,
        )
        .ok()
        .stdout.splitlines()
        if line.startswith("week_")
    }

    # Weeks 1 to 3 look like the reference: nothing to retrain.
    for week in ("week_01.csv", "week_02.csv", "week_03.csv"):
        assert "no dataset drift" in lines[week] and "retrained" not in lines[week]
    # Week 4's northern demand jump is invisible in the inputs but degrades the champion.
    assert "degraded" in lines["week_04.csv"]
    assert "retrained demand on sales@5 as demand@2" in lines["week_04.csv"]
    # Each later drop judges the challenger before it, on data neither model was trained on.
    assert "demand@2" in lines["week_05.csv"] and "on sales@6" in lines["week_05.csv"]
    assert "demand@3" in lines["week_06.csv"] and "on sales@7" in lines["week_06.csv"]
    assert (
        "sales@8 breaks its contract: no model is judged or retrained on it"
        in lines["week_zz_predictions.csv"]
    )

    shown = wb("model", "show", "demand", "--json", cwd=workspace).json()
    history = [h for h in shown["alias_history"] if h["alias"] == "production"]
    production = wb("model", "show", "demand@production", "--json", cwd=workspace).json()
    # Promoted only when it won: every move to production after the first says where it won,
    # and whatever production is now got there through such a move (or never moved).
    for move in history[1:]:
        assert move["action"] == "promote" and move["reason"].startswith("won on sales@")
    assert production["version"] == history[-1]["to_version"]
    log = wb("log", "--limit", "200", "--json", cwd=workspace).json()
    kinds = {event["kind"] for event in log}
    assert {"dataset.add", "drift.check", "model.register", "alert.drift"} <= kinds
    assert "model.promote" in kinds or "model.challenge" in kinds
