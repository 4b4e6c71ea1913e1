"""`wb model ...`, `wb predict` and `wb train --register` through typer's CliRunner (the `wb`
fixture of conftest.py): what a person sees and what a script parses (SPEC.md's JSON, exit
codes 0 / 1 / 2)."""

from __future__ import annotations

import getpass
import json
import re

import numpy as np
import polars as pl
import pytest

PROMOTE_KEYS = {"promoted", "model", "version", "alias", "gates"}
SHOW_KEYS = {
    "name",
    "version",
    "aliases",
    "run_id",
    "dataset",
    "dataset_hash",
    "artifact_hash",
    "metrics",
    "created_at",
}
REGIONS = ["east", "north", "south"]


def sales_frame(n: int = 240, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    region = rng.choice(REGIONS, n)
    x1, x2 = rng.normal(size=n), rng.uniform(0, 10, size=n)
    units = 3 * x1 + 0.5 * x2 + np.where(region == "north", 2.0, 0.0) + rng.normal(scale=0.3, size=n)
    return pl.DataFrame({"region": region, "x1": x1.round(4), "x2": x2.round(4), "units": units.round(4)})


@pytest.fixture(autouse=True)
def sales(wb, tmp_path):
    """`sales@1`: units with a strong linear signal, so a linear model beats the mean."""
    sales_frame().write_csv(tmp_path / "sales.csv")
    wb("data", "add", tmp_path / "sales.csv", "--name", "sales")


def as_json(result) -> object:
    return json.loads(result.stdout)


def train(wb, model: str = "linear", *args: str) -> str:
    [run] = as_json(wb("train", "--data", "sales", "--target", "units", "--model", model, *args, "--json"))[
        "runs"
    ]
    assert run["status"] == "finished"
    return run["id"]


@pytest.fixture
def demand(wb, tmp_path) -> tuple[str, str]:
    """demand@1 a linear model, demand@2 the mean: much worse on this data; both trained on
    sales@1, and a later week, sales@2, for the gates to judge them on."""
    good, bad = train(wb, "linear"), train(wb, "baseline")
    wb("model", "register", good, "--name", "demand")
    wb("model", "register", bad[:8], "--name", "demand")
    sales_frame(seed=5).write_csv(tmp_path / "week2.csv")
    wb("data", "add", tmp_path / "week2.csv", "--name", "sales")
    return good, bad


def promote(wb, ref: str, *args: str, code: int = 0) -> dict:
    doc = as_json(wb("model", "promote", ref, *args, "--json", code=code))
    assert PROMOTE_KEYS <= set(doc)
    return doc


def aliases(wb, name: str = "demand") -> dict[str, int]:
    return {m["name"]: m["aliases"] for m in as_json(wb("model", "list", "--json"))}[name]


def model_count(wb) -> int:
    return len(as_json(wb("model", "list", "--json")))


# -- register, list, show ---------------------------------------------------------------------
def test_register_list_and_show_in_json(wb, demand):
    good, bad = demand
    listed = as_json(wb("model", "list", "--json"))
    assert listed == [{"name": "demand", "versions": 2, "aliases": {}}]
    shown = as_json(wb("model", "show", "demand@1", "--json"))
    assert SHOW_KEYS <= set(shown) and "alias_history" not in shown
    assert (shown["version"], shown["run_id"], shown["dataset"]) == (1, good, "sales@1")
    assert isinstance(shown["version"], int) and len(shown["artifact_hash"]) == 64
    assert shown["metrics"]["rmse"] > 0 and shown["aliases"] == []
    assert [c["name"] for c in shown["schema"]] == ["region", "x1", "x2"]
    assert shown["lineage"]["run"]["id"] == good
    assert shown["lineage"]["inputs"][0]["dataset"] == "sales"
    latest = as_json(wb("model", "show", "demand", "--json"))
    assert (latest["version"], latest["run_id"], latest["alias_history"]) == (2, bad, [])
    third = as_json(wb("model", "register", good, "--name", "demand", "--json"))
    assert (third["name"], third["version"]) == ("demand", 3)


def test_human_output_of_register_list_and_show(wb):
    assert "No models yet" in wb("model", "list").stdout
    run_id = train(wb)
    assert "registered demand@1" in wb("model", "register", run_id, "--name", "demand").stdout
    assert "demand" in wb("model", "list").stdout
    shown = wb("model", "show", "demand@1").stdout
    assert "demand@1" in shown and run_id in shown and "sales@1" in shown and "x1" in shown


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("deadbeef", "--name", "demand"), "no run matches 'deadbeef'"),
        (("RUN", "--name", "my model"), "not allowed"),
        (("RUN", "--name", "demand@2"), "not allowed"),
    ],
)
def test_register_errors_exit_2_and_register_nothing(wb, args, words):
    run_id = train(wb)
    result = wb("model", "register", *(run_id if a == "RUN" else a for a in args), code=2)
    assert words in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == "" and model_count(wb) == 0


def test_a_run_without_a_model_does_not_register(wb):
    run = wb("run", "--", "true")
    run_id = as_json(wb("runs", "list", "--json"))[0]["id"]
    assert run.exit_code == 0
    result = wb("model", "register", run_id, "--name", "demand", code=2)
    assert "no model" in result.stderr and model_count(wb) == 0


def test_a_failed_run_does_not_register(wb):
    wb("run", "--", "false", code=1)
    [failed] = as_json(wb("runs", "list", "--json"))
    assert failed["status"] == "failed"
    result = wb("model", "register", failed["id"], "--name", "demand", code=2)
    assert "failed" in result.stderr and model_count(wb) == 0


def test_runs_rm_of_a_registered_run_is_refused(wb, demand):
    good, _ = demand
    result = wb("runs", "rm", good, code=2)
    assert "demand@1" in result.stderr
    assert good in {r["id"] for r in as_json(wb("runs", "list", "--json"))}


@pytest.mark.parametrize(
    ("ref", "words"),
    [
        ("nosuch", "no model named 'nosuch'"),
        ("demand@9", "no version 9"),
        ("demand@production", "no alias 'production'"),
        ("demand@", "nothing after '@'"),
    ],
)
def test_unknown_model_references_exit_2_with_one_sentence(wb, demand, ref, words):
    result = wb("model", "show", ref, code=2)
    assert result.stdout == ""
    assert result.stderr.strip().startswith("error:") and words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# -- promote ----------------------------------------------------------------------------------
def test_promotion_through_the_gates(wb, demand):
    first = promote(wb, "demand@1", "--to", "production")
    assert (first["promoted"], first["model"], first["version"], first["alias"]) == (
        True,
        "demand",
        1,
        "production",
    )
    assert [g["name"] for g in first["gates"]] == ["artifact_hash", "schema", "loads_safely", "performance"]
    for g in first["gates"]:
        assert set(g) >= {"name", "passed", "detail"} and g["passed"] is True

    refused = promote(wb, "demand@2", "--to", "production", code=1)
    assert refused["promoted"] is False and type(refused["version"]) is int
    [perf] = [g for g in refused["gates"] if g["name"] == "performance"]
    assert perf["passed"] is False and "rmse" in perf["detail"]
    assert any(ch.isdigit() for ch in perf["detail"])
    assert aliases(wb) == {"production": 1}
    assert [e["kind"] for e in as_json(wb("log", "--json"))].count("model.promote") == 1

    human = wb("model", "promote", "demand@2", "--to", "production", code=1)
    assert "performance" in human.stdout and "NO" in human.stdout
    assert "refused" in human.stdout and "nothing moved" in human.stdout
    assert aliases(wb) == {"production": 1}


def test_a_better_challenger_passes(wb, demand):
    good, _ = demand
    promote(wb, "demand@2", "--to", "production")  # the baseline first: no production yet
    better = promote(wb, "demand@1", "--to", "production")
    assert better["promoted"] is True
    assert aliases(wb) == {"production": 1}
    wb("model", "register", good, "--name", "demand")  # the same model again: equal passes
    assert "is now demand@production" in wb("model", "promote", "demand@3", "--to", "production").stdout
    assert aliases(wb) == {"production": 3}


def test_force_with_a_reason_moves_it_and_says_so(wb, demand):
    promote(wb, "demand@1", "--to", "production")
    no_reason = wb("model", "promote", "demand@2", "--to", "production", "--force", code=2)
    assert "--reason" in no_reason.stderr and aliases(wb) == {"production": 1}
    forced = promote(
        wb,
        "demand@2",
        "--to",
        "production",
        "--force",
        "--reason",
        "the linear model misbehaves in the north",
    )
    assert forced["promoted"] is True and forced["forced"] is True
    assert aliases(wb) == {"production": 2}
    [last] = as_json(wb("model", "show", "demand", "--json"))["alias_history"][-1:]
    assert (last["forced"], last["reason"], last["to_version"]) == (
        True,
        "the linear model misbehaves in the north",
        2,
    )
    again = wb("model", "promote", "demand@2", "--to", "production")
    assert again.stdout.strip() == "demand@2 is already demand@production; nothing to do"
    assert len(as_json(wb("model", "show", "demand", "--json"))["alias_history"]) == 2


def test_the_schema_gate_reads_the_datasets_contract(wb, demand, tmp_path):
    def contract(columns: dict[str, str]) -> str:
        path = tmp_path / "sales.toml"
        path.write_text("".join(f'[columns.{c}]\ndtype = "{t}"\n\n' for c, t in columns.items()))
        wb("data", "contract", "set", "sales", path)
        return path

    contract({"region": "String", "x1": "Float64", "units": "Float64"})
    missing = promote(wb, "demand@1", "--to", "production", code=1)
    [schema] = [g for g in missing["gates"] if g["name"] == "schema"]
    assert schema["passed"] is False and "x2" in schema["detail"]
    contract({"region": "String", "x1": "String", "x2": "Float64", "units": "Float64"})
    retyped = promote(wb, "demand@1", "--to", "production", code=1)
    [schema] = [g for g in retyped["gates"] if g["name"] == "schema"]
    assert schema["passed"] is False and "x1 is String" in schema["detail"]
    assert aliases(wb) == {}
    contract({"region": "String", "x1": "Int64", "x2": "Float64", "units": "Float64"})
    ok = promote(wb, "demand@1", "--to", "production")  # whole numbers where floats go: fine
    assert ok["promoted"] is True and all(g["passed"] for g in ok["gates"])


def tamper(tmp_path, oid: str) -> None:
    path = tmp_path / ".wb" / "objects" / "blake3" / oid[:2] / oid[2:]
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_tampered_model_is_refused_and_cannot_predict(wb, demand, tmp_path):
    oid = as_json(wb("model", "show", "demand@1", "--json"))["artifact_hash"]
    tamper(tmp_path, oid)
    for alias in ("production", "staging"):
        refused = promote(wb, "demand@1", "--to", alias, code=1)
        [hash_gate] = [g for g in refused["gates"] if g["name"] == "artifact_hash"]
        assert refused["promoted"] is False and hash_gate["passed"] is False
    assert aliases(wb) == {}
    sales_frame(10).write_csv(tmp_path / "new.csv")
    result = wb("predict", "demand@1", tmp_path / "new.csv", "-o", tmp_path / "out.csv", code=1)
    assert "corrupt" in result.stderr and not (tmp_path / "out.csv").exists()


def test_a_tampered_challenger_gets_the_gates_document_not_a_bare_error(wb, demand, tmp_path):
    """`--json` promises one document; a tampered challenger against a production model must
    get it too (promoted false, the artifact_hash gate failed), not only an error line."""
    promote(wb, "demand@1", "--to", "production")
    tamper(tmp_path, as_json(wb("model", "show", "demand@2", "--json"))["artifact_hash"])
    result = wb("model", "promote", "demand@2", "--to", "production", "--json", code=1)
    doc = json.loads(result.stdout or "null")
    assert doc is not None, f"no JSON document on stdout; stderr: {result.stderr!r}"
    [hash_gate] = [g for g in doc["gates"] if g["name"] == "artifact_hash"]
    assert doc["promoted"] is False and hash_gate["passed"] is False
    assert aliases(wb) == {"production": 1}


def test_staging_skips_the_performance_and_schema_gates(wb, demand):
    promote(wb, "demand@1", "--to", "production")
    staged = promote(wb, "demand@2", "--to", "staging")
    assert staged["promoted"] is True
    assert [g["name"] for g in staged["gates"]] == ["artifact_hash"]
    assert aliases(wb) == {"production": 1, "staging": 2}
    assert as_json(wb("model", "list", "--json")) == [
        {"name": "demand", "versions": 2, "aliases": {"production": 1, "staging": 2}}
    ]


# -- rollback ---------------------------------------------------------------------------------
def test_rollback_and_the_alias_history(wb, demand):
    promote(wb, "demand@1", "--to", "production")
    promote(wb, "demand@2", "--to", "production", "--force", "--reason", "trial")
    out = wb("model", "rollback", "demand").stdout
    assert "from @2 to @1" in out
    assert aliases(wb) == {"production": 1}
    history = as_json(wb("model", "show", "demand", "--json"))["alias_history"]
    assert [(h["action"], h["from_version"], h["to_version"]) for h in history] == [
        ("promote", None, 1),
        ("promote", 1, 2),
        ("rollback", 2, 1),
    ]
    assert {h["user"] for h in history} == {getpass.getuser()}
    assert as_json(wb("log", "--json"))[0]["kind"] == "model.rollback"
    human = wb("model", "show", "demand").stdout
    assert "rollback @2 -> @1" in human and "FORCED" in human and "trial" in human


def test_the_audit_log_says_what_a_rollback_did(wb, demand):
    promote(wb, "demand@1", "--to", "production")
    promote(wb, "demand@2", "--to", "production", "--force", "--reason", "trial")
    wb("model", "rollback", "demand", "--reason", "the baseline is worse")
    [event] = [e for e in as_json(wb("log", "--json")) if e["kind"] == "model.rollback"]
    assert event["subject"] == "demand@1"
    assert "rolled back" in event["message"], event["message"]
    assert "the baseline is worse" in event["message"]
    assert "rolled back" in wb("log").stdout


def test_rollback_errors_exit_2(wb, demand):
    assert "no alias 'production'" in wb("model", "rollback", "demand", code=2).stderr
    promote(wb, "demand@1", "--to", "production")
    assert "no earlier version" in wb("model", "rollback", "demand", code=2).stderr
    assert "no alias 'staging'" in wb("model", "rollback", "demand", "--alias", "staging", code=2).stderr
    assert "no model named 'nosuch'" in wb("model", "rollback", "nosuch", code=2).stderr
    assert aliases(wb) == {"production": 1}


# -- evaluate ---------------------------------------------------------------------------------
def test_evaluate_two_versions_by_segment(wb, demand):
    doc = as_json(
        wb(
            "model",
            "evaluate",
            "demand@1",
            "--against",
            "demand@2",
            "--data",
            "sales",
            "--by",
            "region",
            "--json",
        )
    )
    assert doc["models"] == ["demand@1", "demand@2"]
    assert doc["overall"]["demand@1"]["rmse"] < doc["overall"]["demand@2"]["rmse"]
    assert [s["segment"] for s in doc["segments"]] == REGIONS
    assert sum(s["rows"] for s in doc["segments"]) == 240
    for s in doc["segments"]:
        assert {m: s["metrics"][m]["rmse"] > 0 for m in doc["models"]} == {"demand@1": True, "demand@2": True}
    human = wb(
        "model", "evaluate", "demand@1", "--against", "demand@2", "--data", "sales", "--by", "region"
    ).stdout
    assert "demand@1 rmse" in human and "demand@2 rmse" in human
    assert all(region in human for region in REGIONS)


def test_evaluate_by_an_unknown_column_exits_2(wb, demand):
    result = wb("model", "evaluate", "demand@1", "--data", "sales", "--by", "nope", code=2)
    assert "'nope'" in result.stderr and result.stdout == ""


def test_evaluate_json_stays_json_when_a_segment_has_a_single_row(wb, demand, tmp_path):
    """r2 of one row is undefined: the document must still parse as JSON (null, not NaN),
    as scripts and jq read it."""
    one_off = pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("solo")).otherwise("region")
    sales_frame().with_columns(one_off.alias("region")).write_csv(tmp_path / "sales2.csv")
    wb("data", "add", tmp_path / "sales2.csv", "--name", "sales")
    out = wb(
        "model",
        "evaluate",
        "demand@1",
        "--against",
        "demand@2",
        "--data",
        "sales@3",
        "--by",
        "region",
        "--json",
    ).stdout

    def not_json(constant: str):
        raise AssertionError(f"{constant} is not JSON")

    doc = json.loads(out, parse_constant=not_json)
    [solo] = [s for s in doc["segments"] if s["segment"] == "solo"]
    assert solo["rows"] == 1


# -- predict ----------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predict_to_csv_or_parquet(wb, demand, tmp_path, suffix):
    new = sales_frame(25, seed=5).drop("units")
    new.write_csv(tmp_path / "new.csv")
    dest = tmp_path / f"scored{suffix}"
    doc = as_json(wb("predict", "demand@1", tmp_path / "new.csv", "-o", dest, "--json"))
    assert (doc["model"], doc["rows"]) == ("demand@1", 25)
    out = pl.read_csv(dest) if suffix == ".csv" else pl.read_parquet(dest)
    assert out.columns == ["region", "x1", "x2", "prediction"] and out.height == 25
    assert out.get_column("prediction").dtype == pl.Float64
    [event] = [e for e in as_json(wb("log", "--json")) if e["kind"] == "model.predict"]
    assert event["subject"] == "demand@1"


def test_predict_with_the_production_alias(wb, demand, tmp_path):
    promote(wb, "demand@2", "--to", "production")
    sales_frame(10).write_csv(tmp_path / "new.csv")
    out = wb("predict", "demand@production", tmp_path / "new.csv", "-o", tmp_path / "scored.csv").stdout
    assert "10 predictions of demand@2" in out
    # demand@2 is the mean: one value for every row
    assert pl.read_csv(tmp_path / "scored.csv").get_column("prediction").n_unique() == 1


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda df: df.drop("x2"), "x2 is missing"),
        (lambda df: df.with_columns(pl.lit("n/a").alias("x1")), "x1 is String"),
    ],
)
def test_predict_refuses_input_that_does_not_fit(wb, demand, tmp_path, change, named):
    change(sales_frame(10)).write_csv(tmp_path / "new.csv")
    result = wb("predict", "demand@1", tmp_path / "new.csv", "-o", tmp_path / "scored.csv", code=2)
    assert named in result.stderr and result.stdout == ""
    assert not (tmp_path / "scored.csv").exists()


def test_predict_refuses_an_unsupported_output(wb, demand, tmp_path):
    sales_frame(10).write_csv(tmp_path / "new.csv")
    result = wb("predict", "demand@1", tmp_path / "new.csv", "-o", tmp_path / "scored.xlsx", code=2)
    assert ".csv or .parquet" in result.stderr and not (tmp_path / "scored.xlsx").exists()


# -- export and import -----------------------------------------------------------------------
def test_export_and_import_say_what_they_did(wb, demand, tmp_path):
    bundle = tmp_path / "demand.wbm"
    exported = as_json(wb("model", "export", "demand@1", "-o", bundle, "--with-data", "--json"))
    assert exported == {
        "model": "demand@1",
        "file": str(bundle),
        "objects": exported["objects"],
        "with_data": True,
        "with_contract": False,
    }
    assert exported["objects"] >= 2  # the model and the dataset, with the run's own files
    again = wb("model", "export", "demand@2", "-o", tmp_path / "two.wbm").stdout
    assert again.startswith(f"exported demand@2 to {tmp_path / 'two.wbm'} (")
    elsewhere = tmp_path / "elsewhere"
    wb("init", elsewhere)
    imported = as_json(wb("-w", elsewhere, "import", bundle, "--json"))
    run_id = as_json(wb("model", "show", "demand@1", "--json"))["run_id"]
    assert imported == {
        "model": "demand@1",
        "run": run_id,
        "dataset": "sales",
        "objects": exported["objects"],
        "already_present": False,
        "contract": {"dataset": None, "imported": False, "note": "the bundle carries no contract"},
    }
    assert as_json(wb("-w", elsewhere, "import", bundle, "--json")) == {
        "model": "demand@1",
        "run": run_id,
        "dataset": "sales",
        "objects": 0,
        "already_present": True,
    }
    said = wb("-w", elsewhere, "import", bundle).stdout
    assert said == "nothing to import: this workspace already has it as demand@1\n"
    second = as_json(wb("model", "show", "demand@2", "--json"))["run_id"]
    said = wb("-w", elsewhere, "import", tmp_path / "two.wbm").stdout
    assert re.fullmatch(rf"imported demand@2 \(run {second[:12]}, \d+ objects verified\)\n", said)


# -- train --register -------------------------------------------------------------------------
def test_train_register_takes_the_best_run_of_a_sweep(wb):
    doc = as_json(
        wb(
            "train",
            "--data",
            "sales",
            "--target",
            "units",
            "--model",
            "linear",
            "--sweep",
            "alpha=0.01,1000,100000",
            "--register",
            "demand",
            "--json",
        )
    )
    best = min(doc["runs"], key=lambda r: r["metrics"]["rmse"])
    assert best["params"]["alpha"] == 0.01
    assert doc["registered"]["name"] == "demand" and doc["registered"]["version"] == 1
    assert doc["registered"]["run_id"] == best["id"]
    assert as_json(wb("model", "show", "demand@1", "--json"))["run_id"] == best["id"]


def test_train_register_with_a_bad_name_fails_before_training(wb):
    result = wb(
        "train", "--data", "sales", "--target", "units", "--model", "linear", "--register", "bad name", code=2
    )
    assert "not allowed" in result.stderr
    assert as_json(wb("runs", "list", "--json")) == [] and model_count(wb) == 0
