"""`wb train` and `wb runs ...` through typer's CliRunner: what a person and a script see."""

from __future__ import annotations

import json

import numpy as np
import pytest

TRAIN_KEYS = {"id", "name", "status", "params", "metrics"}
LIST_KEYS = {"id", "name", "experiment", "status", "params", "metrics", "started_at", "duration_s"}
FAST = ("--param", "n_estimators=5")


def _csv(n: int = 80) -> str:
    rng = np.random.default_rng(0)
    rows = ["day,store,x1,x2,y"]
    for i in range(n):
        x1, x2 = rng.normal(), rng.uniform(0, 10)
        store = "ABC"[i % 3]
        y = 3 * x1 + 0.5 * x2 + {"A": 2.0, "B": -1.0, "C": 0.0}[store] + rng.normal(scale=0.3)
        rows.append(f"2026-02-{i % 28 + 1:02d},{store},{x1:.4f},{x2:.4f},{y:.4f}")
    return "\n".join(rows) + "\n"


@pytest.fixture
def wb(wb, tmp_path):
    """The CLI in a workspace that holds dataset `d`."""
    (tmp_path / "d.csv").write_text(_csv())
    wb("data", "add", tmp_path / "d.csv", "--name", "d")
    return wb


def train_json(wb, *args: str) -> list[dict]:
    doc = json.loads(wb("train", "--data", "d", "--target", "y", *args, "--json").stdout)
    assert set(doc) == {"runs"}
    return doc["runs"]


def list_json(wb, *args: str) -> list[dict]:
    return json.loads(wb("runs", "list", *args, "--json").stdout)


def test_train_json_is_one_document_with_the_spec_fields(wb):
    [run] = train_json(wb, *FAST)
    assert TRAIN_KEYS <= set(run)
    assert run["status"] == "finished" and len(run["id"]) >= 8 and run["name"]
    assert run["params"]["n_estimators"] == 5 and run["params"]["model"] == "lightgbm"
    assert {"rmse", "mae", "wape", "r2"} <= set(run["metrics"])
    assert all(isinstance(run["metrics"][k], float) for k in ("rmse", "mae", "wape", "r2"))


def test_train_prints_a_table_for_people(wb):
    result = wb("train", "--data", "d", "--target", "y", *FAST)
    assert "rmse" in result.stdout and "lightgbm" in result.stdout
    assert "finished" in result.stderr


def test_a_sweep_over_two_keys_makes_a_grid(wb):
    found = train_json(wb, *FAST, "--sweep", "num_leaves=4,8", "--sweep", "learning_rate=0.1,0.3")
    assert len(found) == 4 and {r["status"] for r in found} == {"finished"}
    assert sorted((r["params"]["num_leaves"], r["params"]["learning_rate"]) for r in found) == [
        (4, 0.1),
        (4, 0.3),
        (8, 0.1),
        (8, 0.3),
    ]
    assert len({r["id"] for r in found}) == 4


def test_params_are_typed(wb):
    [run] = train_json(
        wb,
        "--param",
        "n_estimators=7",
        "--param",
        "learning_rate=0.25",
        "--param",
        "boosting_type=gbdt",
        "--param",
        "early_stopping_rounds=0",
    )
    params = run["params"]
    assert params["n_estimators"] == 7 and isinstance(params["n_estimators"], int)
    assert params["learning_rate"] == 0.25 and isinstance(params["learning_rate"], float)
    assert params["boosting_type"] == "gbdt"
    assert params["early_stopping_rounds"] == 0


def test_a_config_file_gives_params_and_sweep_and_flags_override_it(wb, tmp_path):
    config = tmp_path / "train.toml"
    config.write_text(
        'data = "d"\ntarget = "y"\nmodel = "lightgbm"\nseed = 1\n'
        'experiment = "from-config"\n\n'
        "[params]\nn_estimators = 5\nlearning_rate = 0.2\n\n"
        "[sweep]\nnum_leaves = [4, 8]\n"
    )
    doc = json.loads(wb("train", "--config", config, "--seed", "3", "--json").stdout)
    found = doc["runs"]
    assert sorted(r["params"]["num_leaves"] for r in found) == [4, 8]
    assert all(
        r["params"]["n_estimators"] == 5 and r["params"]["learning_rate"] == 0.2 and r["params"]["seed"] == 3
        for r in found
    )
    assert {r["experiment"] for r in list_json(wb)} == {"from-config"}


def test_bad_train_requests_exit_2_and_make_no_run(wb, tmp_path):
    for args in (
        ("--target", "nope"),
        ("--target", "y", "--param", "novalue"),
        ("--target", "y", "--model", "xgboost"),
        ("--target", "y", "--split", "weird"),
    ):
        result = wb("train", "--data", "d", *args, code=2)
        assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
        assert result.stdout == ""
    config = tmp_path / "bad.toml"
    config.write_text('data = "d"\ntarget = "y"\nlearning_rate = 0.1\n')
    assert "unknown key 'learning_rate'" in wb("train", "--config", config, code=2).stderr
    assert list_json(wb) == []


def test_runs_list_json_fields_where_sort_and_limit(wb):
    found = train_json(wb, *FAST, "--sweep", "num_leaves=4,8,16")
    listed = list_json(wb)
    assert len(listed) == 3
    for row in listed:
        assert LIST_KEYS <= set(row)
        assert row["experiment"] == "default" and row["status"] == "finished"
        assert isinstance(row["started_at"], str) and isinstance(row["duration_s"], float)
        assert isinstance(row["params"], dict) and isinstance(row["metrics"], dict)
    assert {r["id"] for r in listed} == {r["id"] for r in found}

    assert [r["params"]["num_leaves"] for r in list_json(wb, "--where", "params.num_leaves >= 8")] in (
        [8, 16],
        [16, 8],
    )
    assert (
        list_json(wb, "--where", "params.num_leaves = 4 and status = finished")[0]["params"]["num_leaves"]
        == 4
    )
    assert list_json(wb, "--where", "status = failed") == []

    by_rmse = [r["metrics"]["rmse"] for r in list_json(wb, "--sort", "metrics.rmse")]
    assert by_rmse == sorted(by_rmse)
    by_rmse_desc = [r["metrics"]["rmse"] for r in list_json(wb, "--sort", "-metrics.rmse")]
    assert by_rmse_desc == sorted(by_rmse, reverse=True)
    assert [r["params"]["num_leaves"] for r in list_json(wb, "--sort", "-params.num_leaves")] == [16, 8, 4]

    assert len(list_json(wb, "--limit", "2")) == 2
    assert len(list_json(wb, "--limit", "0")) == 3
    assert len(list_json(wb, "-n", "1", "--sort", "params.num_leaves")) == 1
    assert list_json(wb, "--experiment", "nosuch") == []
    human = wb("runs", "list").stdout
    assert all(r["name"] in human for r in listed)


def test_runs_show_by_id_prefix_and_by_name(wb):
    [run] = train_json(wb, *FAST)
    by_prefix = json.loads(wb("runs", "show", run["id"][:8], "--json").stdout)
    by_name = json.loads(wb("runs", "show", run["name"], "--json").stdout)
    assert by_prefix["id"] == by_name["id"] == run["id"]
    assert by_prefix["inputs"][0]["dataset"] == "d"
    assert by_prefix["params"] == run["params"] and by_prefix["metrics"] == run["metrics"]
    assert any(a["path"] == "model" for a in by_prefix["artifacts"])
    human = wb("runs", "show", run["id"][:8]).stdout
    assert run["name"] in human and "rmse" in human and "n_estimators" in human
    missing = wb("runs", "show", "nosuch-run", code=2)
    assert missing.stderr.startswith("error: no run matches 'nosuch-run'")


def test_runs_compare_shows_the_differing_param_and_marks_the_best(wb):
    found = train_json(wb, *FAST, "--sweep", "num_leaves=2,31")
    a, b = (r["id"][:8] for r in found)
    out = wb("runs", "compare", a, b).stdout
    assert "num_leaves" in out and "*" in out and "rmse" in out
    assert "n_estimators" not in out.split("metric")[0]  # the same in both: not listed as differing
    doc = json.loads(wb("runs", "compare", a, b, "--json").stdout)
    assert sorted(doc["params_differ"]["num_leaves"]) == [2, 31]
    assert sum(doc["metrics"]["rmse"]["best"]) >= 1
    assert wb("runs", "compare", a, code=2).stderr.startswith("error: compare needs")


def test_runs_reproduce_json_says_identical(wb):
    [run] = train_json(wb, *FAST, "--seed", "4")
    doc = json.loads(wb("runs", "reproduce", run["name"], "--json").stdout)
    assert doc["identical"] is True and doc["original"] == run["id"] and doc["run"] != run["id"]
    assert set(doc["metric_deltas"]) == set(run["metrics"])
    assert "identical metrics" in wb("runs", "reproduce", run["id"][:8]).stdout
    assert len(list_json(wb)) == 3


def test_runs_rm_deletes_the_run(wb):
    first, second = train_json(wb, *FAST, "--sweep", "num_leaves=4,8")
    assert "removed run" in wb("runs", "rm", first["id"][:8]).stdout
    assert [r["id"] for r in list_json(wb)] == [second["id"]]
    assert wb("runs", "show", first["id"], code=2).stderr.startswith("error: no run matches")
    assert wb("runs", "rm", first["id"], code=2).stdout == ""


@pytest.mark.parametrize(
    "where",
    [
        "nosuch = 1",
        "metrics.rmse < ",
        "(status = failed",
        "status < failed",
        "metrics.rmse = abc",
        "status = x y",
        "   ",
    ],
)
def test_a_bad_where_exits_2_with_one_line(wb, where):
    result = wb("runs", "list", "--where", where, "--json", code=2)
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: --where")


def test_a_bad_sort_exits_2(wb):
    result = wb("runs", "list", "--sort", "nosuch", code=2)
    assert result.stderr.startswith("error: --sort") and result.stdout == ""


def test_a_window_trains_on_earlier_versions_and_an_invalid_one_warns(wb, tmp_path):
    """`--window 2` trains on d@3 and the version before it that keeps d's contract (d@2
    breaks it, so d@1); training on an INVALID version on purpose says so, and goes on."""
    (tmp_path / "d2.csv").write_text(_csv(60).replace(",A,", ",Z,"))  # a store the contract lacks
    (tmp_path / "d3.csv").write_text(_csv(70))
    wb("data", "contract", "infer", "d@1", "-o", tmp_path / "d.toml")
    wb("data", "contract", "set", "d", tmp_path / "d.toml")
    wb("data", "add", tmp_path / "d2.csv", "--name", "d")
    wb("data", "add", tmp_path / "d3.csv", "--name", "d")
    [run] = json.loads(
        wb("train", "--data", "d@3", "--target", "y", "--window", "2", *FAST, "--json").stdout
    )["runs"]
    shown = json.loads(wb("runs", "show", run["id"], "--json").stdout)
    assert [i["version"] for i in shown["inputs"]] == [1, 3]
    assert "--window 2" in " ".join(shown["command"])
    warned = wb("train", "--data", "d@2", "--target", "y", *FAST)
    assert warned.stderr.splitlines()[0] == (
        "warning: d@2 breaks its contract (`wb data validate d@2`); training on it anyway"
    )


def test_runs_list_at_80_columns_keeps_the_metrics_and_says_what_it_left_out(wb, monkeypatch):
    from workbench.cli import output

    train_json(wb, *FAST)
    monkeypatch.setattr(output.stdout, "width", 80)  # a terminal of 80 columns
    *rows, note = wb("runs", "list").stdout.splitlines()
    assert all(len(line) <= 80 for line in rows), rows
    assert all(metric in rows[0] for metric in ("rmse", "mae", "wape", "r2")), rows[0]
    assert note.startswith("(left out to fit 80 columns: experiment, model, started, secs")


def test_key_value_tables_have_no_empty_header_row(wb):
    [run] = train_json(wb, *FAST)
    lines = wb("runs", "show", run["id"]).stdout.splitlines()
    assert lines[1].split()[0] == "experiment", lines[:3]


def test_tags_from_train_and_on_a_finished_run_are_what_where_finds(wb):
    [run] = train_json(wb, *FAST, "--tag", "owner=ana", "--tag", "ticket=DS-7")
    assert json.loads(wb("runs", "show", run["id"], "--json").stdout)["tags"] == {
        "owner": "ana",
        "ticket": "DS-7",
    }
    said = wb("runs", "tag", run["id"][:8], "reviewed=yes", "owner=bo").stdout
    assert said.strip() == f"tagged run {run['id'][:12]}: reviewed=yes, owner=bo"
    assert [r["id"] for r in list_json(wb, "--where", "tags.reviewed = yes")] == [run["id"]]
    assert json.loads(wb("runs", "show", run["id"], "--json").stdout)["tags"] == {
        "owner": "bo",
        "ticket": "DS-7",
        "reviewed": "yes",
    }
    bad = wb("runs", "tag", run["id"], "noequals", code=2)
    assert bad.stderr.strip() == "error: a tag takes KEY=VALUE, not 'noequals'"
    assert (
        wb("train", "--data", "d", "--target", "y", "--tag", "x", code=2).stderr.strip()
        == "error: --tag takes KEY=VALUE, not 'x'"
    )
    assert len(list_json(wb)) == 1  # the refused train made no run


def test_runs_list_csv_has_a_column_per_field_param_and_metric(wb):
    import csv
    import io

    [run] = train_json(wb, *FAST)
    rows = list(csv.DictReader(io.StringIO(wb("runs", "list", "--csv").stdout)))
    assert len(rows) == 1 and rows[0]["id"] == run["id"]
    assert rows[0]["params.n_estimators"] == "5"
    assert float(rows[0]["metrics.rmse"]) == pytest.approx(run["metrics"]["rmse"])
    both = wb("runs", "list", "--csv", "--json", code=2)
    assert both.stderr.strip() == "error: --csv and --json are two formats: choose one"
