"""Searches beyond the grid: random and TPE trials picked from ranges and lists, reproducible by
seed, tagged with their search, pruned on their learning curve with --early-stop, and the bad
ranges and options that must make no run."""

from __future__ import annotations

import pytest

from tests.conftest import DROPS
from workbench.core.data import datasets
from workbench.core.errors import InvalidInput
from workbench.core.experiments import runs, search, sweeps
from workbench.core.experiments.training import TrainSpec
from workbench.core.storage.workspace import Workspace

BASE = TrainSpec(data="sales@1", target="units_sold", params={"n_estimators": 30})
SPACE = {
    "learning_rate": search.Range(0.01, 0.3, "log"),
    "num_leaves": search.Range(4, 40, "int"),
    "min_child_samples": [5, 20],
    "subsample": search.Range(0.5, 1.0),
}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    workspace, _ = Workspace.init(tmp_path_factory.mktemp("search") / "ws")
    datasets.add(workspace, DROPS / "week_01.csv", "sales")
    yield workspace
    workspace.close()


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Runs record the current folder's git state; train from a plain folder."""
    monkeypatch.chdir(tmp_path)


def trial_params(ws, summary: search.SearchSummary) -> list[dict]:
    found = runs.list_runs(ws, where=f"tags.search = '{summary.name}'", limit=None, sort="started_at")
    return [{k: r.params[k] for k in SPACE} for r in found]


def searched(ws, kind: str, seed: int, trials: int = 6, **options) -> tuple[search.SearchSummary, list]:
    base = TrainSpec(**{**vars(BASE), "seed": seed})
    return sweeps.run_search(ws, base, SPACE, kind=kind, trials=trials, experiment="search", **options)


@pytest.mark.parametrize("kind, trials", [("random", 4), ("tpe", 12)])  # TPE's own past its 10 random
def test_a_search_is_reproducible_by_its_seed_and_keeps_to_its_ranges(ws, kind, trials):
    first, outcomes = searched(ws, kind, seed=7, trials=trials)
    again, _ = searched(ws, kind, seed=7, trials=trials)
    other, _ = searched(ws, kind, seed=8, trials=3)  # another seed differs from its first trials
    assert [o.error for o in outcomes] == [None] * trials
    picked = trial_params(ws, first)
    assert len(picked) == trials
    assert trial_params(ws, again) == picked
    assert trial_params(ws, other) != picked[:3]
    for params in picked:
        assert 0.01 <= params["learning_rate"] <= 0.3
        assert isinstance(params["num_leaves"], int) and 4 <= params["num_leaves"] <= 40
        assert params["min_child_samples"] in (5, 20)
        assert 0.5 <= params["subsample"] <= 1.0
    assert len({p["learning_rate"] for p in picked}) == trials  # drawn, not a grid's few values


def test_every_trial_is_a_run_tagged_with_its_search(ws):
    summary, outcomes = searched(ws, "tpe", seed=1, trials=3, name="tagged", tags={"owner": "me"})
    assert (summary.name, summary.kind, summary.trials) == ("tagged", "tpe", 3)
    for outcome in outcomes:
        record = runs.get(ws, outcome.run_id)
        assert record.status == "finished"
        assert record.tags == {"owner": "me", "search": "tagged", "search_kind": "tpe"}
    generated, _ = searched(ws, "random", seed=1, trials=2)
    assert generated.name and generated.name != "tagged"


def test_early_stop_prunes_the_trials_that_fall_behind(ws):
    # Rates from very slow to fast: on a 60-round budget the slow ones trail the median early.
    space = {"learning_rate": search.Range(0.001, 0.3, "log")}
    base = TrainSpec(**{**vars(BASE), "params": {"n_estimators": 60}, "seed": 2})
    summary, outcomes = sweeps.run_search(
        ws, base, space, kind="random", trials=14, experiment="prune", early_stop=True
    )
    assert summary.pruned, "no trial was pruned"
    for outcome in outcomes:
        record = runs.get(ws, outcome.run_id)
        rounds = len(runs.metric_history(ws, record.id, "val_mse"))
        assert record.status == "finished" and "rmse" in record.metrics
        if record.id in summary.pruned:
            assert record.tags["pruned"] == "true"
            assert search.PRUNE_AFTER_ROUNDS < rounds < 60  # stopped after the warm-up, before the end
        else:
            assert "pruned" not in record.tags and rounds == 60
    # Only trials after the first five completed ones can be pruned.
    assert all(o.run_id not in summary.pruned for o in outcomes[: search.PRUNE_AFTER_TRIALS])
    pruned_rates = [runs.get(ws, i).params["learning_rate"] for i in summary.pruned]
    kept = [
        runs.get(ws, o.run_id).params["learning_rate"] for o in outcomes if o.run_id not in summary.pruned
    ]
    assert max(pruned_rates) < max(kept)  # the slow learners are the ones cut


@pytest.mark.parametrize(
    "text, words",
    [
        ("0.3:0.01", "the low end of a range must be below its high end"),
        ("0.1:0.1", "the low end of a range must be below its high end"),
        ("0:0.3:log", "a log range must start above 0"),
        ("-1:3:log", "a log range must start above 0"),
        ("1.5:20:int", "an :int range needs whole numbers at both ends"),
        ("1:abc", "the ends of a range must be finite numbers"),
        ("1:5:cube", "not :cube"),
    ],
)
def test_a_bad_range_is_one_sentence(text, words):
    with pytest.raises(InvalidInput, match=words) as info:
        sweeps.parse_range("learning_rate", text)
    assert info.value.exit_code == 2
    assert str(info.value).startswith(f"--sweep learning_rate={text}: ")


def test_what_is_not_a_range_stays_a_grid_value():
    assert sweeps.parse_sweep("k", "0.01:0.3:log") == search.Range(0.01, 0.3, "log")
    assert sweeps.parse_sweep("k", "15:255:int") == search.Range(15, 255, "int")
    assert sweeps.parse_sweep("k", "0:1") == search.Range(0.0, 1.0)
    assert sweeps.parse_sweep("k", "a:b") == ["a:b"]
    assert sweeps.parse_sweep("k", "1,2,x") == [1, 2, "x"]


@pytest.mark.parametrize(
    "kind, space, trials, options, words",
    [
        ("grid", {"num_leaves": [7, 15]}, 5, {}, "--trials needs --search random or tpe"),
        ("grid", {"learning_rate": search.Range(0.01, 0.1)}, None, {}, "a grid cannot list"),
        ("grid", {"num_leaves": [7, 15]}, None, {"early_stop": True}, "--early-stop needs --search"),
        ("tpe", {"num_leaves": [7, 15]}, None, {}, "--search tpe needs --trials N"),
        ("tpe", {"num_leaves": [31]}, 5, {}, "--search tpe needs something to choose"),
        ("random", {}, 5, {}, "--search random needs something to choose"),
        ("bayes", {"num_leaves": [7, 15]}, 5, {}, "unknown search 'bayes'; use grid, random or tpe"),
    ],
)
def test_options_a_search_cannot_take_make_no_runs(ws, kind, space, trials, options, words):
    before = runs.count_runs(ws)
    with pytest.raises(InvalidInput, match=words):
        search.check(kind, space, trials, options.get("early_stop", False))
    if kind != "grid":
        with pytest.raises(InvalidInput, match=words):
            sweeps.run_search(ws, BASE, space, kind=kind, trials=trials, experiment="bad", **options)
    assert runs.count_runs(ws) == before


@pytest.mark.parametrize(
    "base, space, words",
    [
        # num_leaves below LightGBM's 2 at the low end: every end is checked before the first run
        (BASE, {"num_leaves": search.Range(1, 40, "int")}, "num_leaves must be a whole number from 2"),
        (BASE, {"min_child_samples": [5, -3]}, "min_child_samples"),
        (
            TrainSpec(data="sales@1", target="units_sold", model="linear"),
            {"alpha": search.Range(0.1, 1.0)},
            "--early-stop watches LightGBM's learning curve",
        ),
    ],
)
def test_a_bad_value_anywhere_in_the_space_makes_no_runs(ws, base, space, words):
    before = runs.count_runs(ws)
    with pytest.raises(InvalidInput, match=words):
        sweeps.run_search(ws, base, space, kind="tpe", trials=4, experiment="bad", early_stop=True)
    assert runs.count_runs(ws) == before
