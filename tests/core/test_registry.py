"""The model registry underneath `wb model ...` and `wb predict`: registering runs as versions,
references, gated promotion, rollback, evaluation and batch prediction."""

from __future__ import annotations

import datetime as dt
import getpass
import re
import subprocess
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import workbench as wb
from workbench.core import events
from workbench.core.data import datasets
from workbench.core.errors import IntegrityError, InvalidInput, NotFound
from workbench.core.experiments import runs, training
from workbench.core.experiments.executor import ENV_RUN_ID
from workbench.core.models import evaluation, prediction, registry
from workbench.core.models.gates import Gate
from workbench.core.models.records import Promotion, PromotionPreview

INPUTS = [
    {"name": "date", "dtype": "Date"},
    {"name": "region", "dtype": "String"},
    {"name": "x1", "dtype": "Float64"},
    {"name": "x2", "dtype": "Float64"},
]
REGIONS = ["east", "north", "south"]


def sales_frame(n: int = 300, seed: int = 0) -> pl.DataFrame:
    """Units with a strong linear signal: a linear model beats the mean by far."""
    rng = np.random.default_rng(seed)
    region = rng.choice(REGIONS, n)
    x1, x2 = rng.normal(size=n), rng.uniform(0, 10, size=n)
    units = 3 * x1 + 0.5 * x2 + np.where(region == "north", 2.0, 0.0) + rng.normal(scale=0.3, size=n)
    return pl.DataFrame(
        {
            "date": [dt.date(2026, 1, 1) + dt.timedelta(days=i % 30) for i in range(n)],
            "region": region,
            "x1": x1.round(4),
            "x2": x2.round(4),
            "units": units.round(4),
        }
    )


def churn_frame(n: int = 300, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    return pl.DataFrame(
        {
            "region": rng.choice(REGIONS, n),
            "x1": x1.round(4),
            "churned": np.where(x1 + rng.normal(scale=0.3, size=n) > 0, "yes", "no"),
        }
    )


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Runs record the current folder's git state: train from a plain folder, not under a
    `wb run` of the developer's."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_RUN_ID, raising=False)


def add_frame(ws, tmp_path: Path, df: pl.DataFrame, name: str) -> str:
    path = tmp_path / f"{name}.csv"
    df.write_csv(path)
    return datasets.add(ws, path, name).version.ref


@pytest.fixture
def sales(ws, tmp_path) -> str:
    return add_frame(ws, tmp_path, sales_frame(), "sales")


def train(ws, model: str = "linear", data: str = "sales@1", target: str = "units", **params) -> str:
    return training.train(ws, training.TrainSpec(data=data, target=target, model=model, params=params))


@pytest.fixture
def good_and_bad(ws, sales, tmp_path) -> tuple[str, str]:
    """demand@1: a linear model (good); demand@2: the mean (much worse); both trained on
    sales@1, and sales@2, a later week neither has seen, for the gates to judge them on."""
    good, bad = train(ws, "linear"), train(ws, "baseline")
    registry.register(ws, good, "demand")
    registry.register(ws, bad, "demand")
    add_frame(ws, tmp_path, sales_frame(seed=5), "sales")
    return good, bad


def target_of(ws, name: str, alias: str = "production") -> int | None:
    aliases = {m.name: m.aliases for m in registry.list_models(ws)}[name]
    return aliases.get(alias)


def gate(result: Promotion | PromotionPreview, name: str) -> Gate:
    [found] = [g for g in result.gates if g.name == name]
    return found


def tamper(ws, oid: str) -> None:
    """What a stray editor or a bad disk does to a stored model: one byte flipped."""
    path = ws.objects.path(oid)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def numbers_in(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)]


def close_to_one_of(value: float, candidates: list[float]) -> bool:
    return any(abs(value - c) <= 1e-3 * max(1.0, abs(value)) for c in candidates)


def wb_log(ws) -> list[dict]:
    """The audit log, newest first, as `wb log --json` shows it."""
    return [e.to_dict() for e in events.recent(ws.conn, 1000)]


def nothing_registered(ws) -> bool:
    return (
        registry.list_models(ws) == []
        and ws.conn.execute("SELECT COUNT(*) FROM model_versions").fetchone()[0] == 0
        and all(e["kind"] != "model.register" for e in wb_log(ws))
    )


# -- registering ------------------------------------------------------------------------------
def test_versions_count_up_and_show_has_the_lineage(ws, tmp_path):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "train.py").write_text("print('hi')\n")
    subprocess.run([*git, "add", "train.py"], check=True)
    subprocess.run([*git, "commit", "-qm", "first"], check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    ref = add_frame(ws, tmp_path, sales_frame(), "sales")
    run_id = train(ws, "linear", alpha=0.5)

    first = registry.register(ws, run_id, "demand")
    second = registry.register(ws, run_id[:8], "demand")
    assert (first.version, second.version) == (1, 2)
    assert registry.register(ws, run_id, "other").version == 1  # numbered per model

    version = datasets.resolve(ws, ref)
    detail = registry.show(ws, "demand@1")
    info = detail.version
    assert (info.name, info.version, info.run_id) == ("demand", 1, run_id)
    assert (info.dataset, info.dataset_hash) == (ref, version.hash)
    [model] = [a for a in runs.get(ws, run_id).artifacts if a.kind == "model"]
    assert info.artifact_hash == model.hash
    assert info.metrics["rmse"] == pytest.approx(runs.get(ws, run_id).metrics["rmse"])
    assert info.schema == INPUTS  # the input columns, without the target
    assert info.aliases == [] and info.task == "regression" and info.target == "units"
    lineage = detail.lineage
    assert lineage.run_id == run_id and lineage.run_name
    assert lineage.params["model"] == "linear" and lineage.params["alpha"] == 0.5
    assert [i.to_dict() for i in lineage.inputs] == [{"dataset": "sales", "version": 1, "hash": version.hash}]
    assert lineage.git_commit == head
    assert "alias_history" not in detail.to_dict()  # only for a bare name
    kinds = [e["kind"] for e in wb_log(ws)]
    assert kinds.count("model.register") == 3


def test_a_failed_run_a_run_without_a_model_an_unknown_run_and_a_bad_name_register_nothing(ws, sales):
    from sklearn.linear_model import LinearRegression

    with pytest.raises(RuntimeError), wb.start_run(workspace=ws.root) as failed:
        failed.log_model(LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0]))
        raise RuntimeError("the script crashed after logging its model")
    assert runs.get(ws, failed.id).status == "failed"
    with wb.start_run(workspace=ws.root) as bare:
        bare.log_metrics({"rmse": 1.0})
    good = train(ws)

    with pytest.raises(InvalidInput, match="failed"):
        registry.register(ws, failed.id, "demand")
    with pytest.raises(InvalidInput, match="no model"):
        registry.register(ws, bare.id, "demand")
    with pytest.raises(NotFound, match="deadbeef"):
        registry.register(ws, "deadbeef", "demand")
    for bad in ("my model", "", "-x", "a/b", "demand@2"):
        with pytest.raises(InvalidInput, match="not allowed"):
            registry.register(ws, good, bad)
    assert nothing_registered(ws)


def test_a_registered_run_cannot_be_removed(ws, sales):
    run_id = train(ws)
    registry.register(ws, run_id, "demand")
    with pytest.raises(InvalidInput, match="demand@1"):
        runs.remove(ws, run_id)
    assert runs.get(ws, run_id).status == "finished"
    assert registry.show(ws, "demand@1").version.run_id == run_id


# -- references -------------------------------------------------------------------------------
def test_references_by_name_version_alias_and_latest(ws, good_and_bad):
    good, bad = good_and_bad
    registry.promote(ws, "demand@1", "production")
    assert registry.resolve(ws, "demand").version == 2
    assert registry.resolve(ws, "demand@latest").version == 2
    assert registry.resolve(ws, "demand@1").run_id == good
    assert registry.resolve(ws, "demand@2").run_id == bad
    prod = registry.resolve(ws, "demand@production")
    assert (prod.version, prod.aliases) == (1, ["production"])


@pytest.mark.parametrize(
    ("ref", "words"),
    [
        ("nosuch", "no model named 'nosuch'"),
        ("nosuch@1", "no model named 'nosuch'"),
        ("demand@7", "no version 7"),
        ("demand@staging", "no alias 'staging'"),
    ],
)
def test_unknown_references_say_what_was_looked_for(ws, good_and_bad, ref, words):
    with pytest.raises(NotFound, match=re.escape(words)):
        registry.resolve(ws, ref)
    with pytest.raises(NotFound, match=re.escape(words)):
        registry.show(ws, ref)


# -- promotion --------------------------------------------------------------------------------
def test_the_first_promotion_passes_and_a_worse_challenger_is_refused(ws, good_and_bad):
    first = registry.promote(ws, "demand@1", "production")
    assert first.promoted and not first.forced
    assert {g.name for g in first.gates} == {"artifact_hash", "schema", "loads_safely", "performance"}
    assert all(g.passed for g in first.gates)
    assert target_of(ws, "demand") == 1

    refused = registry.promote(ws, "demand@2", "production")
    assert refused.promoted is False
    perf = gate(refused, "performance")
    assert perf.passed is False
    scores = evaluation.evaluate(ws, "demand@2", "sales@2", against="demand@1").overall
    shown = numbers_in(perf.detail)
    assert "rmse on sales@2" in perf.detail  # the week neither has seen
    assert close_to_one_of(scores["demand@2"]["rmse"], shown), perf.detail
    assert close_to_one_of(scores["demand@1"]["rmse"], shown), perf.detail
    assert gate(refused, "artifact_hash").passed and gate(refused, "schema").passed
    # Nothing moved: the alias, its history and the audit log are as they were.
    assert target_of(ws, "demand") == 1
    assert len(registry.alias_history(ws, "demand")) == 1
    assert [e["kind"] for e in wb_log(ws)].count("model.promote") == 1
    assert registry.resolve(ws, "demand@production").version == 1


def test_a_better_or_equal_challenger_passes(ws, sales, tmp_path):
    good, bad = train(ws, "linear"), train(ws, "baseline")
    for run_id in (bad, good, good):
        registry.register(ws, run_id, "demand")
    add_frame(ws, tmp_path, sales_frame(seed=5), "sales")
    assert registry.promote(ws, "demand@1", "production").promoted
    better = registry.promote(ws, "demand@2", "production")
    assert better.promoted and gate(better, "performance").passed
    equal = registry.promote(ws, "demand@3", "production")  # the same model: not worse
    assert equal.promoted and not equal.forced
    assert target_of(ws, "demand") == 3
    history = registry.alias_history(ws, "demand")
    assert [(h.from_version, h.to_version, h.action) for h in history] == [
        (None, 1, "promote"),
        (1, 2, "promote"),
        (2, 3, "promote"),
    ]


def test_a_classifier_is_gated_on_roc_auc(ws, tmp_path):
    add_frame(ws, tmp_path, churn_frame(), "churn")
    for model in ("linear", "baseline"):
        registry.register(ws, train(ws, model, data="churn@1", target="churned"), "churn")
    add_frame(ws, tmp_path, churn_frame(seed=2), "churn")
    assert registry.promote(ws, "churn@1", "production").promoted
    refused = registry.promote(ws, "churn@2", "production")
    assert refused.promoted is False
    assert "roc_auc" in gate(refused, "performance").detail
    assert target_of(ws, "churn") == 1


def test_force_needs_a_reason_and_is_recorded_with_it(ws, good_and_bad):
    registry.promote(ws, "demand@1", "production")
    for reason in ("", "   "):
        with pytest.raises(InvalidInput, match="reason"):
            registry.promote(ws, "demand@2", "production", force=True, reason=reason)
    assert target_of(ws, "demand") == 1
    forced = registry.promote(ws, "demand@2", "production", force=True, reason="hotfix for the north stores")
    assert forced.promoted and forced.forced
    assert gate(forced, "performance").passed is False  # the gates are still reported
    assert target_of(ws, "demand") == 2
    last = registry.alias_history(ws, "demand")[-1]
    assert (last.from_version, last.to_version, last.forced, last.reason) == (
        1,
        2,
        True,
        "hotfix for the north stores",
    )
    assert last.user == getpass.getuser()
    event = wb_log(ws)[0]
    assert event["kind"] == "model.promote" and "hotfix for the north stores" in event["message"]


def test_promoting_the_version_already_there_changes_nothing_and_says_so(ws, good_and_bad):
    registry.promote(ws, "demand@1", "production")
    events_before = len(wb_log(ws))
    for again in (
        registry.promote(ws, "demand@1", "production"),
        registry.promote(ws, "demand@production", "Production", force=True, reason="again"),
    ):
        assert (again.promoted, again.already, again.forced, again.gates) == (False, True, False, ())
        assert again.message == "demand@1 is already demand@production; nothing to do"
        assert again.to_dict()["already"] is True
    assert len(registry.alias_history(ws, "demand")) == 1
    assert len(wb_log(ws)) == events_before and target_of(ws, "demand") == 1


@pytest.mark.parametrize("alias", ["latest", "3", "two words"])
def test_an_alias_that_reads_as_a_version_or_is_no_name_is_refused(ws, good_and_bad, alias):
    with pytest.raises(InvalidInput):
        registry.promote(ws, "demand@1", alias)
    assert registry.list_models(ws)[0].aliases == {}


def contract_text(columns: dict[str, str]) -> str:
    return "".join(
        f'[columns.{name}]\ndtype = "{dtype}"\nrequired = true\n\n' for name, dtype in columns.items()
    )


@pytest.mark.parametrize(
    ("columns", "passes", "named"),
    [
        (
            {"date": "Date", "region": "String", "x1": "Float64", "x2": "Float64", "units": "Float64"},
            True,
            None,
        ),
        ({"date": "Date", "region": "String", "x1": "Float64", "units": "Float64"}, False, "x2"),
        (
            {"date": "Date", "region": "String", "x1": "String", "x2": "Float64", "units": "Float64"},
            False,
            "x1",
        ),
    ],
)
def test_the_schema_gate_checks_the_inputs_against_the_datasets_contract(
    ws, good_and_bad, columns, passes, named
):
    from workbench.core.data import contracts

    contracts.set_contract(ws, "sales", contract_text(columns), "test.toml")
    result = registry.promote(ws, "demand@1", "production")
    schema = gate(result, "schema")
    assert schema.passed is passes and result.promoted is passes
    assert "contract" in schema.detail
    if named:
        assert named in schema.detail
        assert target_of(ws, "demand") is None and registry.alias_history(ws, "demand") == []


def test_a_tampered_model_fails_the_hash_gate_and_will_not_load(ws, good_and_bad, tmp_path):
    mv = registry.resolve(ws, "demand@1")
    tamper(ws, mv.artifact_hash)
    result = registry.promote(ws, "demand@1", "production")
    assert result.promoted is False
    hash_gate = gate(result, "artifact_hash")
    assert hash_gate.passed is False and mv.artifact_hash[:12] in hash_gate.detail
    assert target_of(ws, "demand") is None
    with pytest.raises(IntegrityError):
        registry.load(ws, mv)
    source, dest = tmp_path / "in.csv", tmp_path / "out.csv"
    sales_frame(20).drop("units").write_csv(source)
    with pytest.raises(IntegrityError):
        prediction.predict(ws, "demand@1", source, dest)
    assert not dest.exists()


def test_a_tampered_challenger_is_refused_by_its_gates_not_by_a_crash(ws, good_and_bad):
    """With a production model to beat, the performance gate must not try to load a candidate
    whose bytes failed the hash gate: the answer is still a refusal that lists the gates."""
    registry.promote(ws, "demand@1", "production")
    tamper(ws, registry.resolve(ws, "demand@2").artifact_hash)
    result = registry.promote(ws, "demand@2", "production")
    assert result.promoted is False
    assert gate(result, "artifact_hash").passed is False
    assert target_of(ws, "demand") == 1


def test_other_aliases_skip_the_performance_and_schema_gates_but_not_the_hash(ws, good_and_bad):
    registry.promote(ws, "demand@1", "production")
    staged = registry.promote(ws, "demand@2", "staging")  # worse than production: no matter
    assert staged.promoted and [g.name for g in staged.gates] == ["artifact_hash"]
    assert list_aliases(ws) == {"production": 1, "staging": 2}

    third = registry.register(ws, registry.resolve(ws, "demand@1").run_id, "demand")
    other = train(ws, "linear", alpha=3.0)
    fourth = registry.register(ws, other, "demand")
    tamper(ws, fourth.artifact_hash)
    assert third.artifact_hash != fourth.artifact_hash
    refused = registry.promote(ws, "demand@4", "staging")
    assert refused.promoted is False and gate(refused, "artifact_hash").passed is False
    assert list_aliases(ws) == {"production": 1, "staging": 2}


def list_aliases(ws, name: str = "demand") -> dict[str, int]:
    return {m.name: m.aliases for m in registry.list_models(ws)}[name]


# -- rollback ---------------------------------------------------------------------------------
def test_rollback_returns_production_to_the_version_before(ws, good_and_bad):
    registry.promote(ws, "demand@1", "production")
    registry.promote(ws, "demand@2", "production", force=True, reason="try the baseline")
    moved = registry.rollback(ws, "demand")
    assert (moved.from_version, moved.to_version) == (2, 1)
    assert target_of(ws, "demand") == 1
    history = registry.show(ws, "demand").alias_history or ()
    assert [(h.action, h.from_version, h.to_version, h.forced) for h in history] == [
        ("promote", None, 1, False),
        ("promote", 1, 2, True),
        ("rollback", 2, 1, False),
    ]
    assert history[-1].user == getpass.getuser()
    assert history[-1].alias == "production"
    assert wb_log(ws)[0]["kind"] == "model.rollback"


def test_rollback_with_nowhere_to_go_is_an_error(ws, good_and_bad):
    with pytest.raises(InvalidInput, match="no alias 'production'"):
        registry.rollback(ws, "demand")
    registry.promote(ws, "demand@1", "production")
    with pytest.raises(InvalidInput, match="no earlier version"):
        registry.rollback(ws, "demand")
    with pytest.raises(InvalidInput, match="no alias 'staging'"):
        registry.rollback(ws, "demand", "staging")
    with pytest.raises(NotFound, match="no model named 'nosuch'"):
        registry.rollback(ws, "nosuch")
    assert target_of(ws, "demand") == 1 and len(registry.alias_history(ws, "demand")) == 1


def test_each_rollback_undoes_one_more_promotion(ws, sales, tmp_path):
    """v1 -> v2 -> v3 in production, v3 turns out bad: rollback to v2; v2 is bad too: the next
    rollback goes to v1, never back to the v3 the first one left; then there is nowhere to go."""
    run_id = train(ws)
    add_frame(ws, tmp_path, sales_frame(seed=5), "sales")
    for _ in range(3):
        registry.register(ws, run_id, "demand")
    for version in (1, 2, 3):
        registry.promote(ws, f"demand@{version}", "production")
    assert registry.rollback(ws, "demand").to_version == 2
    assert registry.rollback(ws, "demand").to_version == 1
    assert target_of(ws, "demand") == 1
    with pytest.raises(InvalidInput, match="no earlier version"):
        registry.rollback(ws, "demand")
    assert target_of(ws, "demand") == 1


def test_aliases_ignore_case(ws, good_and_bad):
    """`Production` is production: the same alias, through the same gates."""
    assert registry.promote(ws, "demand@1", "Production").alias == "production"
    refused = registry.promote(ws, "demand@2", "PRODUCTION")
    assert refused.promoted is False and gate(refused, "performance").passed is False
    assert list_aliases(ws) == {"production": 1}
    assert registry.resolve(ws, "demand@Production").version == 1
    registry.promote(ws, "demand@2", "production", force=True, reason="trial")
    assert registry.rollback(ws, "demand", "Production").to_version == 1


# -- listing ----------------------------------------------------------------------------------
def test_list_models_counts_versions_and_maps_aliases(ws, good_and_bad):
    good, _ = good_and_bad
    registry.register(ws, good, "another")
    registry.promote(ws, "demand@1", "production")
    registry.promote(ws, "demand@2", "staging")
    found = registry.list_models(ws)
    assert [(m.name, m.versions, m.aliases) for m in found] == [
        ("another", 1, {}),
        ("demand", 2, {"production": 1, "staging": 2}),
    ]
    assert registry.resolve(ws, "demand@2").aliases == ["staging"]


# -- evaluate ---------------------------------------------------------------------------------
def test_evaluate_two_versions_overall_and_by_segment(ws, good_and_bad):
    result = evaluation.evaluate(ws, "demand@1", "sales@1", against="demand@2", by="region")
    assert result.models == ("demand@1", "demand@2") and result.primary == "rmse"
    overall = result.overall
    assert set(overall) == {"demand@1", "demand@2"}
    assert {"rmse", "mae", "r2"} <= set(overall["demand@1"])
    assert overall["demand@1"]["rmse"] < overall["demand@2"]["rmse"]
    df = sales_frame()
    assert [s.value for s in result.segments] == REGIONS
    assert [s.rows for s in result.segments] == [df.filter(pl.col("region") == r).height for r in REGIONS]
    for segment in result.segments:
        assert set(segment.scores) == {"demand@1", "demand@2"}
        assert all(m["rmse"] >= 0 for m in segment.scores.values())
    alone = evaluation.evaluate(ws, "demand@1", "sales@1")
    assert alone.overall["demand@1"]["rmse"] == pytest.approx(overall["demand@1"]["rmse"])
    assert alone.segments == ()


def test_evaluate_by_an_unknown_column_is_an_error(ws, good_and_bad):
    with pytest.raises(InvalidInput, match="'nope'"):
        evaluation.evaluate(ws, "demand@1", "sales@1", against="demand@2", by="nope")


# -- predict ----------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predict_writes_the_input_columns_plus_predictions(ws, good_and_bad, tmp_path, suffix):
    source, dest = tmp_path / "new.csv", tmp_path / f"scored{suffix}"
    new = sales_frame(50, seed=7).drop("units")
    new.write_csv(source)
    result = prediction.predict(ws, "demand@1", source, dest)
    assert (result.model, result.rows) == ("demand@1", 50)
    out = pl.read_csv(dest, try_parse_dates=True) if suffix == ".csv" else pl.read_parquet(dest)
    assert out.columns == [*new.columns, "prediction"]
    assert out.drop("prediction").equals(new)
    expected, _ = registry.load(ws, registry.resolve(ws, "demand@1")).predict(new)
    assert np.allclose(out.get_column("prediction").to_numpy(), expected)
    [event] = [e for e in wb_log(ws) if e["kind"] == "model.predict"]
    assert event["subject"] == "demand@1" and event["data"]["rows"] == 50


def test_a_classifier_adds_a_probability_per_class(ws, tmp_path):
    add_frame(ws, tmp_path, churn_frame(), "churn")
    run_id = train(ws, "lightgbm", data="churn@1", target="churned", n_estimators=20)
    registry.register(ws, run_id, "churn")
    source, dest = tmp_path / "new.parquet", tmp_path / "scored.parquet"
    churn_frame(40, seed=3).drop("churned").write_parquet(source)
    prediction.predict(ws, "churn", source, dest)
    out = pl.read_parquet(dest)
    assert out.columns == ["region", "x1", "prediction", "proba_no", "proba_yes"]
    assert set(out.get_column("prediction").to_list()) <= {"yes", "no"}
    total = out.get_column("proba_no") + out.get_column("proba_yes")
    assert np.allclose(total.to_numpy(), 1.0)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda df: df.drop("x2"), "x2"),
        (lambda df: df.with_columns(pl.col("x1").cast(pl.String) + "kg"), "x1"),
    ],
)
def test_predict_refuses_input_that_does_not_fit_and_writes_nothing(
    ws, good_and_bad, tmp_path, change, named
):
    source, dest = tmp_path / "new.csv", tmp_path / "scored.csv"
    change(sales_frame(30).drop("units")).write_csv(source)
    with pytest.raises(InvalidInput, match=named):
        prediction.predict(ws, "demand@1", source, dest)
    assert not dest.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert all(e["kind"] != "model.predict" for e in wb_log(ws))


@pytest.mark.parametrize("name", ["scored.json", "scored.txt", "scored"])
def test_predict_refuses_an_output_format_it_cannot_write(ws, good_and_bad, tmp_path, name):
    source = tmp_path / "new.csv"
    sales_frame(10).write_csv(source)
    with pytest.raises(InvalidInput, match=r"\.csv or \.parquet"):
        prediction.predict(ws, "demand@1", source, tmp_path / name)
    assert not (tmp_path / name).exists()


def test_predict_with_an_alias(ws, good_and_bad, tmp_path):
    registry.promote(ws, "demand@1", "production")
    source, dest = tmp_path / "new.csv", tmp_path / "scored.csv"
    sales_frame(10).write_csv(source)  # an extra column (the target) is carried along
    assert prediction.predict(ws, "demand@production", source, dest).model == "demand@1"
    assert pl.read_csv(dest).columns[-2:] == ["units", "prediction"]


@pytest.mark.parametrize(("column", "dtype"), [("x1", pl.Float64), ("date", pl.Date)])
def test_a_csv_with_a_column_empty_in_every_row_scores_like_its_parquet_twin(
    ws, good_and_bad, tmp_path, column, dtype
):
    """A batch where a sensor was down or a field was not filled in: the column is empty in
    every row. The model imputes missing values, and the same rows as Parquet (a typed column
    of nulls) score fine; as CSV the empty column has no type (polars reads it as text), which
    must not make the file unfit, nor crash wb."""
    rows = sales_frame(10).drop("units").with_columns(pl.lit(None, dtype).alias(column))
    rows.write_parquet(tmp_path / "down.parquet")
    rows.write_csv(tmp_path / "down.csv")
    prediction.predict(ws, "demand@1", tmp_path / "down.parquet", tmp_path / "a.parquet")
    prediction.predict(ws, "demand@1", tmp_path / "down.csv", tmp_path / "b.parquet")
    a, b = pl.read_parquet(tmp_path / "a.parquet"), pl.read_parquet(tmp_path / "b.parquet")
    assert np.allclose(a.get_column("prediction").to_numpy(), b.get_column("prediction").to_numpy())


def test_a_scripts_model_records_the_dataset_its_run_read(ws, sales):
    from sklearn.linear_model import LinearRegression

    with wb.start_run(workspace=ws.root) as run:
        df = run.use_dataset("sales@1")
        X = df.select("x1", "x2")
        run.log_model(
            LinearRegression().fit(X.to_numpy(), df["units"].to_numpy()), input_example=X, target="units"
        )
    mv = registry.register(ws, run.id, "scripted")
    assert mv.dataset == "sales@1" and mv.dataset_hash == datasets.resolve(ws, "sales@1").hash


def test_the_gate_judges_on_data_the_candidate_has_not_seen(ws, sales, tmp_path):
    registry.register(ws, train(ws), "demand")
    assert registry.promote(ws, "demand@1", "production").caution == ""  # nothing compared
    add_frame(ws, tmp_path, sales_frame(seed=1), "sales")
    registry.register(ws, train(ws, data="sales@2"), "demand")
    # demand@2 has seen every version of sales: no default, and a sentence saying what to do.
    blind = registry.promote(ws, "demand@2", "production")
    assert not blind.promoted and gate(blind, "performance").detail == (
        "not measured: demand@2 was trained on sales@2, and no newer version of sales exists "
        "to judge it on; pass --data with data it has not seen"
    )
    # Its own training data, chosen by the user, is measured with a caution.
    flattered = registry.promote(ws, "demand@2", "production", data="sales@2")
    assert "demand@2 was trained on sales@2" in flattered.caution
    registry.rollback(ws, "demand")
    # A newer week is the default, and a fair test.
    add_frame(ws, tmp_path, sales_frame(seed=2), "sales")
    preview = registry.preview_promotion(ws, "demand@2", "production")
    assert "on sales@3" in gate(preview, "performance").detail
    fair = registry.promote(ws, "demand@2", "production")
    assert fair.caution == "" and "on sales@3" in gate(fair, "performance").detail


def test_a_model_with_no_inputs_on_record_fails_the_schema_gate(ws, good_and_bad):
    registry.promote(ws, "demand@1", "production")
    ws.conn.execute("UPDATE model_versions SET schema = '[]' WHERE version = 2")
    ws.conn.commit()
    refused = registry.promote(ws, "demand@2", "production")
    assert not refused.promoted
    assert gate(refused, "schema").detail.startswith("demand@2 records no inputs to check")
