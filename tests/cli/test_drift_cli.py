"""`wb drift`, `wb alerts` and `wb data validate / contract` through typer's CliRunner: what a
person and a script see, and the exit codes CI relies on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import DROPS

FEATURE_FIELDS = {"name", "type", "test", "score", "threshold", "drifted"}


@pytest.fixture
def sales(wb):
    """sales@1 = reference, @2 = week_01, @3 = week_05."""
    for drop in ("reference", "week_01", "week_05"):
        wb("data", "add", str(DROPS / f"{drop}.csv"), "--name", "sales")
    return wb


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    return lines[0]


def objects(root: Path) -> set[str]:
    return {p.name for p in (root / ".wb" / "objects").rglob("*") if p.is_file()}


# -- drift check -----------------------------------------------------------------------------
def test_drift_check_json_has_the_spec_fields(sales):
    report = json.loads(
        sales("drift", "check", "--reference", "sales@1", "--current", "sales@3", "--json").stdout
    )
    assert {
        "report_id",
        "dataset_drift",
        "drift_share",
        "features",
        "prediction_drift",
        "performance",
    } <= set(report)
    assert report["dataset_drift"] is True
    assert isinstance(report["drift_share"], float) and 0.5 <= report["drift_share"] <= 1.0
    assert report["prediction_drift"] is None and report["performance"] is None
    for f in report["features"]:
        assert FEATURE_FIELDS <= set(f)
        assert f["type"] in ("numerical", "categorical")
        assert isinstance(f["score"], float) and isinstance(f["threshold"], float)
        assert isinstance(f["drifted"], bool)
    drifted = {f["name"] for f in report["features"] if f["drifted"]}
    assert {"category", "item_id", "price", "temperature_c"} <= drifted


def test_drift_check_against_a_file(sales):
    report = json.loads(
        sales(
            "drift", "check", "--reference", "sales@1", "--current", str(DROPS / "week_06.csv"), "--json"
        ).stdout
    )
    assert report["dataset_drift"] is True
    assert report["current"] == str(DROPS / "week_06.csv")
    quiet = json.loads(
        sales(
            "drift", "check", "--reference", "sales@1", "--current", str(DROPS / "week_02.csv"), "--json"
        ).stdout
    )
    assert quiet["dataset_drift"] is False


def test_fail_on_drift_exits_1_only_on_dataset_drift(sales):
    sales("drift", "check", "--reference", "sales@1", "--current", "sales@3")  # exit 0 without
    drifted = sales(
        "drift", "check", "--reference", "sales@1", "--current", "sales@3", "--fail-on-drift", code=1
    )
    assert "DATASET DRIFT" in drifted.stdout and "category" in drifted.stdout
    quiet = sales("drift", "check", "--reference", "sales@1", "--current", "sales@2", "--fail-on-drift")
    assert "no dataset drift" in quiet.stdout
    as_json = sales(
        "drift",
        "check",
        "--reference",
        "sales@1",
        "--current",
        "sales@3",
        "--fail-on-drift",
        "--json",
        code=1,
    )
    assert json.loads(as_json.stdout)["dataset_drift"] is True  # still one JSON document


def test_drift_list_and_show(sales):
    first = json.loads(
        sales("drift", "check", "--reference", "sales@1", "--current", "sales@2", "--json").stdout
    )
    second = json.loads(
        sales("drift", "check", "--reference", "sales@1", "--current", "sales@3", "--json").stdout
    )
    listed = json.loads(sales("drift", "list", "--json").stdout)
    by_id = {r["report_id"]: r for r in listed}
    assert set(by_id) == {first["report_id"], second["report_id"]}
    assert by_id[second["report_id"]]["dataset_drift"] is True
    assert by_id[first["report_id"]]["dataset_drift"] is False
    assert by_id[second["report_id"]]["current"] == "sales@3"
    shown = json.loads(sales("drift", "show", second["report_id"][:10], "--json").stdout)
    assert shown == second
    human = sales("drift", "show", second["report_id"]).stdout
    assert "DATASET DRIFT" in human and "electronics" in human
    assert second["report_id"][:12] in sales("drift", "list").stdout


# -- alerts ----------------------------------------------------------------------------------
def test_alerts_list_and_ack(sales):
    assert json.loads(sales("alerts", "list", "--open", "--json").stdout) == []
    sales("drift", "check", "--reference", "sales@1", "--current", "sales@2")
    assert json.loads(sales("alerts", "list", "--open", "--json").stdout) == []  # no drift
    sales("drift", "check", "--reference", "sales@1", "--current", "sales@3")
    (alert,) = json.loads(sales("alerts", "list", "--open", "--json").stdout)
    assert {"id", "kind", "message", "created_at", "acked"} <= set(alert)  # SPEC's; more are welcome
    assert alert["severity"] == "warning" and alert["link"]["dataset"] == "sales@3"
    assert alert["delivery"] is None  # no [alerts] command or file to deliver it to
    assert alert["kind"] == "drift" and alert["acked"] is False and "sales@3" in alert["message"]
    assert "acknowledged" in sales("alerts", "ack", str(alert["id"])).stdout
    assert json.loads(sales("alerts", "list", "--open", "--json").stdout) == []
    (closed,) = json.loads(sales("alerts", "list", "--json").stdout)
    assert closed["id"] == alert["id"] and closed["acked"] is True
    assert "already" in sales("alerts", "ack", str(alert["id"])).stdout
    assert "No open alerts" in sales("alerts", "list", "--open").stdout


def test_fsck_stays_ok_after_drift_checks(sales):
    sales("drift", "check", "--reference", "sales@1", "--current", "sales@3")
    assert json.loads(sales("fsck", "--json").stdout)["ok"] is True


# -- contracts -------------------------------------------------------------------------------
def test_contract_infer_set_show(sales, tmp_path):
    printed = sales("data", "contract", "infer", "sales@1").stdout
    assert "[columns." in printed and "allowed" in printed
    out = tmp_path / "sales.toml"
    assert str(out) in sales("data", "contract", "infer", "sales@1", "-o", str(out)).stdout
    assert out.read_text() == printed
    sales("data", "contract", "infer", "sales@1", "-o", str(out), code=2)  # no overwrite
    sales("data", "contract", "set", "sales", str(out))
    assert sales("data", "contract", "show", "sales").stdout == printed
    shown = json.loads(sales("data", "contract", "show", "sales", "--json").stdout)
    assert "category" in shown["columns"]


def test_validate_json_and_exit_codes(sales, tmp_path):
    out = tmp_path / "sales.toml"
    sales("data", "contract", "infer", "sales@1", "-o", str(out))
    sales("data", "contract", "set", "sales", str(out))
    passed = json.loads(sales("data", "validate", "sales@2", "--json").stdout)
    assert passed == {"passed": True, "violations": []}
    failed = json.loads(sales("data", "validate", "sales@3", "--json", code=1).stdout)
    assert failed["passed"] is False
    for v in failed["violations"]:
        assert set(v) >= {"column", "check", "detail"}
    assert ("category", "allowed") in {(v["column"], v["check"]) for v in failed["violations"]}
    log = json.loads(sales("data", "log", "sales", "--json").stdout)
    assert [e["valid"] for e in log] == [None, True, False]
    human = sales("data", "validate", "sales@3", code=1).stdout
    assert "electronics" in human
    on_file = json.loads(
        sales("data", "validate", str(DROPS / "week_02.csv"), "--contract", "sales", "--json").stdout
    )
    assert on_file["passed"] is True
    sales("data", "validate", str(DROPS / "week_06.csv"), "--contract", "sales", code=1)


def test_validate_a_file_without_a_contract_name_is_exit_2(sales):
    result = sales("data", "validate", str(DROPS / "week_01.csv"), code=2)
    assert "--contract" in one_error_line(result)


def test_add_records_valid_and_strict_refuses(wb, tmp_path):
    wb("data", "add", str(DROPS / "reference.csv"), "--name", "sales")
    contract = tmp_path / "c.toml"
    wb("data", "contract", "infer", "sales@1", "-o", str(contract))
    wb("data", "contract", "set", "sales", str(contract))
    ok = json.loads(wb("data", "add", str(DROPS / "week_01.csv"), "--name", "sales", "--json").stdout)
    assert ok["valid"] is True and ok["version"] == 2
    stored_before = objects(tmp_path)
    refused = wb("data", "add", str(DROPS / "week_05.csv"), "--name", "sales", "--strict", code=1)
    assert "nothing was stored" in refused.stderr
    assert "electronics" in refused.stdout
    as_json = json.loads(
        wb("data", "add", str(DROPS / "week_05.csv"), "--name", "sales", "--strict", "--json", code=1).stdout
    )
    assert as_json["stored"] is False and as_json["passed"] is False and as_json["violations"]
    assert objects(tmp_path) == stored_before
    assert not list((tmp_path / ".wb" / "objects").glob("tmp/*"))
    log = json.loads(wb("data", "log", "sales", "--json").stdout)
    assert [(e["version"], e["valid"]) for e in log] == [(1, None), (2, True)]
    kept = json.loads(
        wb("data", "add", str(DROPS / "week_05.csv"), "--name", "sales", "--json").stdout
    )  # without --strict: stored, marked invalid
    assert kept["version"] == 3 and kept["valid"] is False
    assert json.loads(wb("fsck", "--json").stdout)["ok"] is True


# -- bad input: exit 2, one sentence on stderr -----------------------------------------------
def test_an_unknown_reference_is_exit_2(sales):
    result = sales("drift", "check", "--reference", "nosuch@1", "--current", "sales@2", code=2)
    assert "nosuch" in one_error_line(result)
    result = sales("drift", "check", "--reference", "sales@9", "--current", "sales@2", code=2)
    assert "9" in one_error_line(result)


def test_a_missing_current_file_is_exit_2(sales, tmp_path):
    missing = tmp_path / "missing.csv"
    result = sales("drift", "check", "--reference", "sales@1", "--current", str(missing), code=2)
    assert "missing.csv" in one_error_line(result)


def test_contract_show_without_a_contract_is_exit_2(sales):
    assert "no contract" in one_error_line(sales("data", "contract", "show", "sales", code=2))


def test_validate_a_missing_file_is_exit_2(sales, tmp_path):
    missing = tmp_path / "missing.csv"
    result = sales("data", "validate", str(missing), "--contract", "sales", code=2)
    assert "missing.csv" in one_error_line(result)


def test_an_unknown_report_or_alert_is_exit_2(sales):
    assert "drift list" in one_error_line(sales("drift", "show", "ffffffff", code=2))
    assert "999" in one_error_line(sales("alerts", "ack", "999", code=2))


def test_a_malformed_contract_is_refused_with_exit_2(sales, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[table]\nmin_rows = 1\n")
    assert "bad.toml" in one_error_line(sales("data", "contract", "set", "sales", str(bad), code=2))
    assert "no contract" in one_error_line(sales("data", "contract", "show", "sales", code=2))


# -- watch --retrain -------------------------------------------------------------------------
def test_watch_retrain_trains_a_challenger_on_a_drifted_drop(wb, tmp_path):
    wb("data", "add", str(DROPS / "reference.csv"), "--name", "sales")
    wb("train", "--data", "sales@1", "--target", "units_sold", "--model", "linear", "--register", "demand")
    wb("model", "promote", "demand@1", "--to", "production")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "week_05.csv").write_bytes((DROPS / "week_05.csv").read_bytes())
    result = wb("watch", str(folder), "--dataset", "sales", "--reference", "sales@1", "--retrain", "--once")
    assert "week_05.csv: added as sales@2; dataset drift" in result.stdout
    assert "retrained demand on sales@2 as demand@2, judged on the next drop" in result.stdout
    shown = json.loads(wb("model", "show", "demand", "--json").stdout)
    assert shown["version"] == 2 and "production" not in shown["aliases"]
