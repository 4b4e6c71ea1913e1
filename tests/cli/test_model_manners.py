"""The CLI's manners with models (issue 11, section 4): a repeated promotion is a no-op that
says so, `--reason` goes with `--force` only, unknown aliases and model names say what there
is, a new alias that looks like a typo warns, and `wb model alias rm` removes one.

Every test asserts what a user sees (the exact sentence, the exit code) and that nothing moved
when nothing should. One workspace (sales@1, sales@2; demand@1 a linear model, demand@2 the
mean) is built once and copied for each test.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from workbench.cli.main import app

RUNNER = CliRunner()


def sales_frame(n: int = 120, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.uniform(0, 10, size=n)
    units = 3 * x1 + 0.5 * x2 + rng.normal(scale=0.3, size=n)
    return pl.DataFrame({"x1": x1.round(4), "x2": x2.round(4), "units": units.round(4)})


def invoke(*args, code: int = 0):
    result = RUNNER.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("manners")
    here = Path.cwd()
    os.chdir(root)
    try:
        invoke("init")
        sales_frame().write_csv(root / "week1.csv")
        invoke("data", "add", root / "week1.csv", "--name", "sales")
        for model in ("linear", "baseline"):
            invoke("train", "--data", "sales", "--target", "units", "--model", model, "--register", "demand")
        sales_frame(seed=5).write_csv(root / "week2.csv")
        invoke("data", "add", root / "week2.csv", "--name", "sales")
    finally:
        os.chdir(here)
    return root


@pytest.fixture
def wb(template, tmp_path, monkeypatch):
    """`wb(*args, code=0)` in a copy of the template workspace."""
    root = tmp_path / "ws"
    shutil.copytree(template, root)
    monkeypatch.chdir(root)
    monkeypatch.delenv("WB_RUN_ID", raising=False)
    return invoke


def doc(result):
    return json.loads(result.stdout)


def aliases(wb) -> dict[str, int]:
    [demand] = doc(wb("model", "list", "--json"))
    return demand["aliases"]


def history(wb) -> list[dict]:
    return doc(wb("model", "show", "demand", "--json"))["alias_history"]


def log_kinds(wb) -> list[str]:
    return [e["kind"] for e in doc(wb("log", "--json", "--limit", "1000"))]


def error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and result.stdout == "", (result.stdout, result.stderr)
    return lines[0]


# -- idempotent repeats -----------------------------------------------------------------------
def test_promoting_to_where_it_already_is_exits_0_says_so_and_moves_nothing(wb):
    wb("model", "promote", "demand@1", "--to", "production")
    before, kinds = history(wb), log_kinds(wb)
    again = wb("model", "promote", "demand@1", "--to", "production")
    assert again.stdout == "demand@1 is already demand@production; nothing to do\n"
    assert again.stderr == ""
    by_alias = wb(
        "model",
        "promote",
        "demand@production",
        "--to",
        "Production",
        "--force",
        "--reason",
        "again",
        "--json",
    )
    assert doc(by_alias) == {
        "promoted": False,
        "model": "demand",
        "version": 1,
        "alias": "production",
        "gates": [],
        "forced": False,
        "caution": "",
        "already": True,
    }
    assert history(wb) == before and log_kinds(wb) == kinds
    assert aliases(wb) == {"production": 1}
    moved = doc(wb("model", "promote", "demand@2", "--to", "staging", "--json"))
    assert (moved["promoted"], moved["already"]) == (True, False)


# -- --reason goes with --force -----------------------------------------------------------------
def test_reason_without_force_is_refused_and_moves_nothing(wb):
    wb("model", "promote", "demand@1", "--to", "production")
    before = history(wb)
    for alias in ("production", "staging"):
        refused = wb("model", "promote", "demand@2", "--to", alias, "--reason", "looks better", code=2)
        assert error_line(refused) == (
            "error: --reason goes with --force (it says why the gates are overridden); a "
            "promotion through the gates takes no reason"
        )
    assert history(wb) == before and aliases(wb) == {"production": 1}


# -- unknown names say what there is ------------------------------------------------------------
def test_an_unknown_alias_lists_the_known_ones_and_the_nearest(wb, tmp_path):
    no_aliases = wb("model", "show", "demand@production", code=2)
    assert error_line(no_aliases) == (
        "error: demand has no alias 'production'; it has no aliases yet "
        "(`wb model promote demand@VERSION --to ALIAS` makes one)"
    )
    wb("model", "promote", "demand@1", "--to", "production")
    wb("model", "promote", "demand@2", "--to", "staging")
    sales_frame(5).drop("units").write_csv(tmp_path / "new.csv")
    for args in (
        ("model", "show", "demand@prodcution"),
        ("predict", "demand@prodcution", tmp_path / "new.csv", "-o", tmp_path / "out.csv"),
    ):
        assert error_line(wb(*args, code=2)) == (
            "error: demand has no alias 'prodcution'; its aliases are production, staging "
            "(did you mean production?)"
        )
    assert not (tmp_path / "out.csv").exists()
    far = wb("model", "show", "demand@canary", code=2)
    assert error_line(far) == ("error: demand has no alias 'canary'; its aliases are production, staging")
    rollback = wb("model", "rollback", "demand", "--alias", "stagign", code=2)
    assert error_line(rollback) == (
        "error: demand has no alias 'stagign' to roll back; its aliases are production, "
        "staging (did you mean staging?)"
    )


def test_an_unknown_model_name_suggests_the_nearest(wb):
    assert error_line(wb("model", "show", "demnad@1", code=2)) == (
        "error: no model named 'demnad' (did you mean demand?); `wb model list` shows the models"
    )
    assert error_line(wb("model", "promote", "Demand@1", "--to", "staging", code=2)) == (
        "error: no model named 'Demand' (did you mean demand?); `wb model list` shows the models"
    )
    assert error_line(wb("model", "show", "churn", code=2)) == (
        "error: no model named 'churn'; `wb model list` shows the models"
    )
    assert aliases(wb) == {}


# -- a new alias that looks like a typo ---------------------------------------------------------
def test_a_new_alias_close_to_a_known_one_warns(wb):
    wb("model", "promote", "demand@1", "--to", "production")
    typo = wb("model", "promote", "demand@2", "--to", "prodution")
    assert typo.stdout.splitlines()[-1] == "demand@2 is now demand@prodution"
    assert typo.stderr == (
        "warning: demand@prodution is a new alias, close to production (only production is "
        "gated on schema and performance): if you meant production, `wb model alias rm "
        "demand prodution` removes it\n"
    )
    staged = wb("model", "promote", "demand@2", "--to", "stagin", "--json")
    assert doc(staged)["promoted"] is True
    assert staged.stderr == (
        "warning: demand@stagin is a new alias, close to staging: if you "
        "meant staging, `wb model alias rm demand stagin` removes it\n"
    )
    for alias in ("staging", "canary"):  # a known name, or one near nothing: no warning
        assert wb("model", "promote", "demand@2", "--to", alias).stderr == ""
    assert aliases(wb) == {"canary": 2, "production": 1, "prodution": 2, "stagin": 2, "staging": 2}


# -- wb model alias rm ------------------------------------------------------------------------
def test_alias_rm_removes_one_and_records_it(wb):
    wb("model", "promote", "demand@1", "--to", "production")
    wb("model", "promote", "demand@2", "--to", "prodution")
    removed = wb("model", "alias", "rm", "demand", "prodution")
    assert removed.stdout == ("removed the alias demand@prodution (it pointed at demand@2, which stays)\n")
    assert aliases(wb) == {"production": 1}
    last = history(wb)[-1]
    assert (last["action"], last["alias"], last["from_version"], last["to_version"], last["forced"]) == (
        "remove",
        "prodution",
        2,
        None,
        False,
    )
    event = doc(wb("log", "--json"))[0]
    assert (event["kind"], event["subject"], event["message"]) == (
        "model.alias_rm",
        "demand@2",
        "removed the alias demand@prodution (was @2)",
    )
    assert "remove @2 -> -" in wb("model", "show", "demand").stdout
    assert doc(wb("model", "show", "demand@2", "--json"))["version"] == 2  # the version stays


def test_alias_rm_of_an_unknown_alias_or_model_exits_2_and_changes_nothing(wb):
    wb("model", "promote", "demand@1", "--to", "production")
    before = history(wb)
    assert error_line(wb("model", "alias", "rm", "demand", "prod", code=2)) == (
        "error: demand has no alias 'prod'; its aliases are production (did you mean production?)"
    )
    assert error_line(wb("model", "alias", "rm", "demnad", "production", code=2)) == (
        "error: no model named 'demnad' (did you mean demand?); `wb model list` shows the models"
    )
    assert history(wb) == before and aliases(wb) == {"production": 1}


def test_alias_rm_of_production_needs_force_and_a_reason(wb):
    wb("model", "promote", "demand@1", "--to", "production")
    before = history(wb)
    assert error_line(wb("model", "alias", "rm", "demand", "production", code=2)) == (
        "error: demand@production (demand@1) is what predictions and the watcher use, and "
        "removing it leaves them no model: pass --force --reason TEXT to remove it anyway"
    )
    assert error_line(wb("model", "alias", "rm", "demand", "Production", "--force", code=2)) == (
        "error: --force needs --reason: say why the alias is removed"
    )
    assert history(wb) == before and aliases(wb) == {"production": 1}
    gone = doc(
        wb(
            "model",
            "alias",
            "rm",
            "demand",
            "production",
            "--force",
            "--reason",
            "the stores closed",
            "--json",
        )
    )
    assert gone == {
        "model": "demand",
        "alias": "production",
        "version": 1,
        "removed": True,
        "forced": True,
        "reason": "the stores closed",
    }
    assert aliases(wb) == {}
    last = history(wb)[-1]
    assert (last["action"], last["forced"], last["reason"]) == ("remove", True, "the stores closed")
    assert doc(wb("log", "--json"))[0]["message"] == (
        "removed the alias demand@production (was @1) FORCED: the stores closed"
    )
    # Made again, it starts afresh: no rollback to before the removal.
    wb("model", "promote", "demand@2", "--to", "production")
    assert "no earlier version" in error_line(wb("model", "rollback", "demand", code=2))


# -- plurals ------------------------------------------------------------------------------------
def test_a_count_of_one_is_singular(wb, tmp_path):
    wb("drift", "check", "--reference", "sales@1", "--current", "sales@1")
    status = wb("status").stdout.splitlines()
    assert "datasets   1 (2 versions)" in status
    assert "runs       2 in 1 experiment" in status
    assert "drift      1 report, 0 open alerts" in status
    (tmp_path / "ref.csv").write_text("id,region\n1,a\n2,b\n3,a\n4,b\n")
    (tmp_path / "cur.csv").write_text("id,region\n1,a\n1,b\n3,c\n4,b\n")
    wb("data", "add", tmp_path / "ref.csv", "--name", "shops")
    report = doc(wb("drift", "check", "--reference", "shops@1", "--current", tmp_path / "cur.csv", "--json"))
    [region] = [f for f in report["features"] if f["name"] == "region"]
    assert region["detail"].startswith("1 unseen category (25.0% of rows): c;"), region
    (tmp_path / "shops.toml").write_text(
        '[table]\nkey = ["id"]\n\n[columns.id]\ndtype = "Int64"\n\n'
        '[columns.region]\ndtype = "String"\nallowed = ["a", "b"]\n'
    )
    wb("data", "contract", "set", "shops", tmp_path / "shops.toml")
    checked = doc(wb("data", "validate", tmp_path / "cur.csv", "--contract", "shops", "--json", code=1))
    assert sorted(v["detail"] for v in checked["violations"]) == [
        "1 row repeats a key",
        "1 value not allowed: c (1)",
    ]


def test_register_names_the_run_by_its_12_hex_id(wb):
    run_id = doc(wb("model", "show", "demand@1", "--json"))["run_id"]
    said = wb("model", "register", run_id, "--name", "other").stdout
    assert said == f"registered other@1 from run {run_id[:12]} (trained on sales@1)\n"


def test_a_description_is_kept_shown_and_carried_by_a_bundle(wb, tmp_path):
    run_id = doc(wb("model", "show", "demand@1", "--json"))["run_id"]
    wb(
        "model",
        "register",
        run_id,
        "--name",
        "other",
        "--description",
        "  linear on week 1; the stores' first champion  ",
    )
    said = "linear on week 1; the stores' first champion"
    assert doc(wb("model", "show", "other@1", "--json"))["description"] == said
    (about,) = [ln for ln in wb("model", "show", "other@1").stdout.splitlines() if ln.startswith("about")]
    assert said in about
    assert doc(wb("model", "show", "demand@1", "--json"))["description"] == ""
    assert "about" not in wb("model", "show", "demand@1").stdout
    wb("model", "export", "other@1", "-o", tmp_path / "other.wbm")
    elsewhere = tmp_path / "elsewhere"
    wb("init", elsewhere)
    wb("-w", elsewhere, "import", tmp_path / "other.wbm")
    assert doc(wb("-w", elsewhere, "model", "show", "other", "--json"))["description"] == said


@pytest.mark.parametrize("text", ["two\nlines", "bell\x07", "x" * 2001])
def test_a_description_that_a_terminal_would_mangle_is_refused(wb, text):
    run_id = doc(wb("model", "show", "demand@1", "--json"))["run_id"]
    said = wb("model", "register", run_id, "--name", "other", "--description", text, code=2)
    assert "one line of printable text" in said.stderr
    assert "other" not in wb("model", "list").stdout
