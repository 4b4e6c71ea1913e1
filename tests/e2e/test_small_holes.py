"""Smaller holes in the real `wb`: hostile seeds, parameters, experiment names and settings fail
before anything is written or printed (exit 2, one sentence naming the value and what it may
be); Ctrl-C in a parallel sweep is one sentence, exit 130, its runs killed; `wb ui` with no
terminal on either side says so at once."""

from __future__ import annotations

import os
import pty
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import DROPS, Runner, new_workspace, run_wb, store_objects, wb_env

TRAIN = ("train", "--data", "sales@1", "--target", "units_sold")
DRIFT = ("drift", "check", "--reference", "sales@1", "--current", "sales@1")
SEED_RANGE = "must be a whole number from 0 to 4294967295"


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    error: str  # the whole line on stderr; {config} stands for the settings file's path
    settings: str | None = None  # .wb/config.toml while the command runs
    train_config: str | None = None  # a `wb train --config` file's text


CASES = {
    # seeds
    "seed_huge": Case(
        (*TRAIN, "--seed", "99999999999999999999"), f"--seed {SEED_RANGE}, not 99999999999999999999"
    ),
    "seed_negative": Case((*TRAIN, "--seed", "-1"), f"--seed {SEED_RANGE}, not -1"),
    "seed_text_in_config": Case(
        TRAIN, '{config}: seed must be a whole number, not "abc"', train_config='seed = "abc"'
    ),
    "seed_fraction_in_config": Case(
        TRAIN, "{config}: seed must be a whole number, not 1.5", train_config="seed = 1.5"
    ),
    "jobs_zero_in_config": Case(
        TRAIN, "--jobs must be a whole number of at least 1, not 0", train_config="jobs = 0"
    ),
    "params_not_a_table": Case(TRAIN, "{config}: params must be a table, not 3", train_config="params = 3"),
    # experiment and model names
    "experiment_punctuation": Case(
        (*TRAIN, "-e", "bad!name"),
        "experiment name 'bad!name' is "
        "not allowed: use ASCII letters, digits, '.', '_' and '-' "
        "(starting with a letter or digit, at most 100 characters)",
    ),
    "experiment_empty": Case(
        (*TRAIN, "-e", ""),
        "experiment name '' is not allowed: use ASCII letters, "
        "digits, '.', '_' and '-' (starting with a letter or digit, at most "
        "100 characters)",
    ),
    "experiment_too_long": Case(
        (*TRAIN, "--sweep", "num_leaves=7,15", "-e", "x" * 101),
        f"experiment name '{'x' * 101}' is not allowed: use ASCII letters, "
        "digits, '.', '_' and '-' (starting with a letter or digit, at "
        "most 100 characters)",
    ),
    "register_name_with_space": Case(
        (*TRAIN, "--register", "my model"),
        "model name 'my model' "
        "is not allowed: use ASCII letters, digits, '.', '_' and '-' "
        "(starting with a letter or digit, at most 100 characters)",
    ),
    # parameters
    "learning_rate_overflow": Case(
        (*TRAIN, "--param", "learning_rate=1e999"),
        "lightgbm parameter learning_rate must be a finite number, not inf",
    ),
    "learning_rate_nan": Case(
        (*TRAIN, "--param", "learning_rate=NaN"),
        "lightgbm parameter learning_rate must be a finite number, not nan",
    ),
    "learning_rate_negative": Case(
        (*TRAIN, "--param", "learning_rate=-1"),
        "lightgbm parameter learning_rate must be a number above 0, not -1",
    ),
    "num_leaves_one": Case(
        (*TRAIN, "--param", "num_leaves=1"),
        "lightgbm parameter num_leaves must be a whole number from 2 to 131072, not 1",
    ),
    "num_leaves_boolean": Case(
        (*TRAIN, "--param", "num_leaves=true"),
        "lightgbm parameter num_leaves must be a whole number from 2 to 131072, not true",
    ),
    "n_estimators_zero": Case(
        (*TRAIN, "--param", "n_estimators=0"),
        "lightgbm parameter n_estimators must be a whole number from 1 to 2147483647, not 0",
    ),
    "n_estimators_huge": Case(
        (*TRAIN, "--param", "n_estimators=99999999999999999999"),
        "lightgbm parameter n_estimators is too large: 99999999999999999999",
    ),
    "subsample_above_one": Case(
        (*TRAIN, "--param", "subsample=1.5"),
        "lightgbm parameter subsample must be a number above 0 and at most 1, not 1.5",
    ),
    "sweep_with_infinity": Case(
        (*TRAIN, "--sweep", "learning_rate=0.1,1e999", "-j", "2"),
        "lightgbm parameter learning_rate must be a finite number, not inf",
    ),
    "config_params_infinity": Case(
        TRAIN,
        "lightgbm parameter learning_rate must be a finite number, not inf",
        train_config="[params]\nlearning_rate = inf",
    ),
    "forest_no_trees": Case(
        (*TRAIN, "--model", "random_forest", "--param", "n_estimators=0"),
        "cannot train random_forest with these parameters: The "
        "'n_estimators' parameter of RandomForestRegressor must be an int in "
        "the range [1, inf). Got 0 instead.",
    ),
    "hist_gradient_boosting_infinity": Case(
        (*TRAIN, "--model", "hist_gradient_boosting", "--param", "learning_rate=Infinity"),
        "hist_gradient_boosting parameter learning_rate must be a finite number, not inf",
    ),
    # .wb/config.toml
    "setting_not_a_number": Case(
        DRIFT,
        '{config}: drift.numeric_threshold must be a number of at least 0, not "abc"',
        settings='[drift]\nnumeric_threshold = "abc"',
    ),
    "setting_out_of_range": Case(
        DRIFT,
        "{config}: drift.false_discovery_rate must be a number above 0 and at most 1, not 0",
        settings="[drift]\nfalse_discovery_rate = 0",
    ),
    "section_not_a_table": Case(
        DRIFT,
        "{config}: drift must be a table ([drift] with its settings under it), not 0.1",
        settings="drift = 0.1",
    ),
    "setting_boolean_for_a_count": Case(
        ("data", "add", str(DROPS / "week_02.csv"), "--name", "sales"),
        "{config}: data.histogram_bins must be a whole number of at least 1, not true",
        settings="[data]\nhistogram_bins = true",
    ),
    "setting_negative_grace": Case(
        ("gc",),
        "{config}: store.gc_grace_hours must be a number of at least 0, not -1",
        settings="[store]\ngc_grace_hours = -1",
    ),
}


def _state(root: Path) -> dict:
    """What a failed command must not have changed: runs, audit events, versions, reports and
    the store's objects."""
    db = sqlite3.connect(f"file:{root / '.wb' / 'wb.db'}?mode=ro", uri=True)
    try:
        counts = {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("runs", "events", "dataset_versions", "drift_reports")
        }
    finally:
        db.close()
    return {**counts, "objects": store_objects(root)}


@pytest.fixture(scope="module")
def sales(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workspace holding sales@1 for every case: each must leave it as it found it."""
    return new_workspace(tmp_path_factory.mktemp("small_holes"), sales=True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input_fails_before_anything_is_written(name: str, sales: Path, tmp_path: Path, wb: Runner):
    case = CASES[name]
    settings_path = sales / ".wb" / "config.toml"
    defaults = settings_path.read_text()
    args, config = case.args, settings_path
    if case.train_config is not None:
        config = tmp_path / "train.toml"
        config.write_text(case.train_config + "\n")
        args = (*args, "--config", str(config))
    if case.settings is not None:
        settings_path.write_text(case.settings + "\n")
    before = _state(sales)
    try:
        result = wb(*args, cwd=sales)
    finally:
        settings_path.write_text(defaults)
    assert result.failed_cleanly(2) == "error: " + case.error.format(config=config)
    assert _state(sales) == before


def test_an_unknown_setting_warns_with_the_nearest_and_the_command_goes_on(sales: Path, wb: Runner):
    settings_path = sales / ".wb" / "config.toml"
    defaults = settings_path.read_text()
    settings_path.write_text(defaults + "\n[drfit]\nnumric_threshold = 0.3\n")
    try:
        result = wb(*DRIFT, "--json", cwd=sales)
    finally:
        settings_path.write_text(defaults)
    numeric = [f for f in result.json()["features"] if f["type"] == "numerical"]
    assert numeric and {f["threshold"] for f in numeric} == {0.1}  # the default, not 0.3
    assert result.stderr.splitlines() == [
        f"warning: {settings_path}: unknown setting drfit, ignored; did you mean drift?"
    ]


# -- Ctrl-C in a parallel sweep ------------------------------------------------------------------
def _running(root: Path, experiment: str) -> list[dict]:
    found = run_wb("runs", "list", "-e", experiment, "--json", cwd=root).json()
    return [r for r in found if r["status"] == "running"]


def test_ctrl_c_in_a_parallel_sweep_is_one_sentence_and_its_runs_are_killed(sales: Path):
    # Long runs (the trial fit before them tries only a few rounds), so Ctrl-C meets them running.
    argv = [
        *TRAIN,
        "--param",
        "n_estimators=1000000",
        "--param",
        "learning_rate=0.0001",
        "--sweep",
        "num_leaves=7,15,31",
        "-j",
        "2",
        "-e",
        "interrupted",
    ]
    # Its own session, so that the SIGINT goes to its whole process group, as a terminal's does.
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", *argv],
        cwd=sales,
        env=wb_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while len(_running(sales, "interrupted")) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, "the runs never ran"
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stderr
    found = run_wb("runs", "list", "-e", "interrupted", "--json", cwd=sales).json()
    assert sorted(r["status"] for r in found) == ["killed", "killed"]
    assert "Traceback" not in stderr and stdout == ""
    ids = ", ".join(r["id"][:12] for r in found)  # newest first; the message has them as they ended
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: interrupted; 2 runs marked killed ("), stderr
    assert sorted(lines[0].split("(")[1].split(")")[0].split(", ")) == sorted(ids.split(", "))
    assert lines[0].endswith("), and no more were started")


# -- wb ui without a terminal ---------------------------------------------------------------------
@pytest.mark.parametrize("side", ["stdin", "stdout"])
def test_wb_ui_with_one_side_not_a_terminal_says_it_needs_one_at_once(side: str, sales: Path):
    """The other side is a real terminal (a pty): half a terminal is not enough to draw on, and
    textual given one spins at 100% of a core instead of failing."""
    leader, follower = pty.openpty()
    try:
        ends = {"stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE}
        ends = {s: (ends[s] if s == side else follower) for s in ("stdin", "stdout")}
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "workbench", "ui"],
            cwd=sales,
            env=wb_env(),
            stdin=ends["stdin"],
            stdout=ends["stdout"],
            stderr=subprocess.PIPE,
            text=True,
            timeout=30,
        )
        elapsed = time.monotonic() - started
    finally:
        os.close(leader)
        os.close(follower)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "error: wb ui needs a terminal on its input and output; from a script, use the wb "
        "commands (`wb status`, `wb runs list --json`, ...)"
    ]
    assert elapsed < 10, f"took {elapsed:.1f} s to give up"
