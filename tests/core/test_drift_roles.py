"""Columns have roles in a drift check: an id is left out (and the report says why), the target
gets label drift of its own outside the dataset's share, the time column names the period each
side covers, and a column can be given its own test and threshold. Roles and tests come from
`[drift.columns]` in the config and from the contract; what wb cannot do is refused.

Through typer's CliRunner in a workspace of small seeded tables, so each answer is known.
"""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from workbench.cli.main import app
from workbench.core.monitoring import statistics
from workbench.core.monitoring.records import DriftReport
from workbench.tui import views

ROWS = 300


def drop(
    seed: int, first_id: int, first_day: date, *, x_shift: float = 0.0, units: bool = True
) -> pl.DataFrame:
    """A day's orders: an order number unique per row, its date, two features and the label."""
    rng = np.random.default_rng(seed)
    cols = {
        "order_id": np.arange(first_id, first_id + ROWS),
        "day": [first_day + timedelta(days=i // 50) for i in range(ROWS)],
        "x": rng.normal(10.0 + 2.0 * x_shift, 2.0, ROWS),
        "shop": np.array(["s1", "s2", "s3"])[rng.choice(3, ROWS, p=[0.5, 0.3, 0.2])],
    }
    if units:
        # The label moves on every new drop (seed > 1): demand went up, the inputs did not.
        cols["units"] = rng.poisson(12 if seed == 1 else 20, ROWS)
    return pl.DataFrame(cols)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """A workspace with d@1 (the reference), d@2 (new orders, the label moved), d@3 (x moved
    0.3 sd as well) and d@4 (no labels yet)."""
    base = tmp_path_factory.mktemp("roles")
    mp = pytest.MonkeyPatch()
    mp.chdir(base)
    run("init")
    for seed, kwargs in [(1, {}), (2, {}), (3, {"x_shift": 0.3}), (4, {"units": False})]:
        path = base / f"drop_{seed}.csv"
        drop(
            seed, 1 + ROWS * (seed - 1), date(2026, 1, 1) + timedelta(days=7 * (seed - 1)), **kwargs
        ).write_csv(path)
        run("data", "add", path, "--name", "d")
    yield base
    mp.undo()


def run(*args, code: int = 0):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    return result


def check(current: str, *extra: str) -> dict:
    return json.loads(
        run("drift", "check", "--reference", "d@1", "--current", current, "--json", *extra).stdout
    )


@pytest.fixture
def config(root):
    """Settings appended to the workspace's config.toml for one test."""
    path = root / ".wb" / "config.toml"
    original = path.read_text()
    yield lambda text: path.write_text(original + "\n" + text)
    path.write_text(original)


def names(report: dict) -> list[str]:
    return [f["name"] for f in report["features"]]


def left_out(report: dict) -> dict[str, tuple[str, str]]:
    return {c["name"]: (c["role"], c["reason"]) for c in report["left_out"]}


# -- ids ---------------------------------------------------------------------------------------
def test_an_id_column_no_longer_drifts_on_a_new_drop(root):
    report = check("d@2")
    assert "order_id" not in names(report)
    assert left_out(report)["order_id"] == ("id", "unique per row in the reference")
    assert not report["dataset_drift"] and report["n_features"] == 3  # x, shop, units
    assert "left out of feature drift: order_id (id: unique per row in the reference)" in run(
        "drift", "show", report["report_id"]
    ).stdout.replace("\n", " ")


def test_a_column_given_the_feature_role_is_compared_and_an_order_number_drifts(root, config):
    config('[drift.columns.order_id]\nrole = "feature"\n')
    report = check("d@2")
    assert next(f for f in report["features"] if f["name"] == "order_id")["drifted"]


def test_the_contracts_key_and_roles_hold_for_its_dataset(root, tmp_path):
    contract = tmp_path / "contract.toml"
    contract.write_text(
        '[table]\nkey = ["order_id"]\nallow_extra_columns = true\n\n'
        '[columns.order_id]\ndtype = "Int64"\n\n[columns.shop]\nrole = "ignored"\n'
    )
    run("data", "contract", "set", "d", contract)
    try:
        report = check("d@2")
    finally:  # the other tests see the dataset without it
        contract.write_text('[table]\nallow_extra_columns = true\n\n[columns.x]\ndtype = "Float64"\n')
        run("data", "contract", "set", "d", contract)
    assert left_out(report)["order_id"] == ("id", "the key of the contract of d")
    assert left_out(report)["shop"] == ("ignored", "set in the contract of d")
    assert sorted(names(report)) == ["units", "x"]


# -- the target and the time --------------------------------------------------------------------
def test_a_target_column_shows_label_drift_apart(root, config):
    config('[drift.columns.units]\nrole = "target"\n')
    report = check("d@2")
    assert sorted(names(report)) == ["shop", "x"]
    assert not report["dataset_drift"] and report["drifted_features"] == 0
    (label,) = report["label_drift"]
    assert label["name"] == "units" and label["drifted"] and label["test"] == "wasserstein"
    assert left_out(report)["units"] == ("target", "set in .wb/config.toml [drift.columns.units]")
    printed = run("drift", "show", report["report_id"]).stdout.replace("\n", " ")
    assert "label drift: units wasserstein" in printed and "DRIFTED" in printed
    shown = views.drift_detail(root, f"report:{report['report_id']}")
    assert "! label drift: units" in shown and "units (target: set in" in shown
    table = views.report_table(root, report["report_id"])  # the report's screen: features, then it
    assert table.rows[-1][:2] == ("LABEL DRIFT", "units")
    assert views.feature_detail(root, table.keys[-1], 80).startswith("units: DRIFT  wasserstein")


def test_without_the_role_the_label_is_a_feature_and_its_drift_counts(root):
    report = check("d@2")
    assert report["label_drift"] == []
    assert next(f for f in report["features"] if f["name"] == "units")["drifted"]


def test_a_drop_without_its_labels_has_no_label_drift_and_no_schema_problem(root, config):
    config('[drift.columns.units]\nrole = "target"\n')
    report = check("d@4")
    assert report["label_drift"] == [] and report["schema_problems"] == []
    assert "label units: not in the current data" in run("drift", "show", report["report_id"]).stdout


def test_the_time_column_names_the_period_each_side_covers(root):
    report = check("d@2")
    assert left_out(report)["day"] == ("time", "a date or time column")
    assert report["period"] == {
        "column": "day",
        "reference": {"start": "2026-01-01", "end": "2026-01-06"},
        "current": {"start": "2026-01-08", "end": "2026-01-13"},
    }
    assert "period (day): reference 2026-01-01 to 2026-01-06; current 2026-01-08 to 2026-01-13" in run(
        "drift", "show", report["report_id"]
    ).stdout.replace("\n", " ")


def test_a_stored_report_reads_back_with_its_roles_and_one_made_before_them_too(root, config):
    config('[drift.columns.units]\nrole = "target"\n')
    report = check("d@2")
    shown = json.loads(run("drift", "show", report["report_id"], "--json").stdout)
    assert shown == report
    old = {k: v for k, v in report.items() if k not in ("left_out", "label_drift", "period")}
    back = DriftReport.from_dict(old)
    assert back.left_out == () and back.label_drift == () and back.period is None


# -- tests and thresholds -----------------------------------------------------------------------
def test_a_per_column_test_and_threshold_is_used(root, config):
    assert next(f for f in check("d@3")["features"] if f["name"] == "x")["drifted"]  # wasserstein, 0.1
    config("[drift.columns.x]\nthreshold = 0.9\n")
    x = next(f for f in check("d@3")["features"] if f["name"] == "x")
    assert (x["test"], x["threshold"], x["drifted"]) == ("wasserstein", 0.9, False)
    config('[drift.columns.x]\ntest = "psi"\nthreshold = 0.05\n[drift.columns.shop]\ntest = "chi2"\n')
    features = {f["name"]: f for f in check("d@3")["features"]}
    assert (features["x"]["test"], features["x"]["threshold"], features["x"]["drifted"]) == (
        "psi",
        0.05,
        True,
    )
    assert (features["shop"]["test"], features["shop"]["threshold"]) == ("chi2", 0.1)
    assert not features["shop"]["drifted"]


@pytest.mark.parametrize("test", ["ks", "psi", "jensen_shannon", "chi2"])
def test_every_test_flags_the_moved_column_and_not_the_unmoved_one(root, config, test):
    shop = "" if test == "ks" else f'[drift.columns.shop]\ntest = "{test}"\n'  # ks compares numbers only
    config(f'[drift.columns.x]\ntest = "{test}"\nthreshold = 0.05\n' + shop)
    features = {f["name"]: f for f in check("d@3")["features"]}
    assert features["x"]["test"] == test and features["x"]["drifted"]
    assert not features["shop"]["drifted"]


def test_psi_and_cramers_v_match_their_formulas():
    from scipy.stats import chi2_contingency

    ref, cur = [50, 30, 20], [30, 30, 40]
    p, q = [r / 100 for r in ref], [c / 100 for c in cur]
    assert statistics.psi(ref, cur) == pytest.approx(
        sum((b - a) * math.log(b / a) for a, b in zip(p, q, strict=True))
    )
    assert statistics.psi(ref, ref) == 0.0
    chi2 = chi2_contingency([ref, cur], correction=False)[0]
    assert statistics._cramers_v([ref, cur]) == pytest.approx(math.sqrt(chi2 / 200))


# -- refused ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ('[drift.columns.x]\nrole = "key"\n', 'drift.columns.x.role must be one of "feature", "id"'),
        ('[drift.columns.x]\ntest = "anderson"\n', 'drift.columns.x.test must be one of "wasserstein"'),
        (
            '[drift.columns.x]\ntest = "ks"\nthreshold = 2\n',
            "drift.columns.x.threshold must be a number from 0 to 1",
        ),
        ("[drift.columns.x]\nthreshold = -1\n", "drift.columns.x.threshold must be a number of at least 0"),
        ('[drift.columns.x]\nrole = ["id"]\n', 'drift.columns.x.role must be one of "feature", "id"'),
        ('[drift.columns.shop]\ntest = "wasserstein"\n', "the wasserstein test compares numbers"),
    ],
)
def test_bad_column_settings_are_refused_in_one_sentence_and_nothing_is_stored(root, config, setting, said):
    before = json.loads(run("drift", "list", "--json").stdout)
    config(setting)
    result = run("drift", "check", "--reference", "d@1", "--current", "d@2", code=2)
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert said in result.stderr and "Traceback" not in result.stderr
    assert json.loads(run("drift", "list", "--json").stdout) == before


def test_a_contract_with_an_unknown_role_is_refused(root, tmp_path):
    contract = tmp_path / "bad.toml"
    contract.write_text('[columns.x]\ndtype = "Float64"\nrole = "label"\n')
    result = run("data", "contract", "set", "d", contract, code=2)
    assert "role must be one of" in result.stderr and len(result.stderr.strip().splitlines()) == 1
