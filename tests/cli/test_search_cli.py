"""`wb train --search random|tpe --trials N`: what a user sees of a search (its trials, the best
marked, its name), its JSON, trials in parallel with -j, and the bad input that makes no run."""

from __future__ import annotations

import json

import pytest

from tests.conftest import DROPS

TRAIN = ("train", "--data", "sales", "--target", "units_sold", "--param", "n_estimators=20")
SEARCH = (*TRAIN, "--sweep", "learning_rate=0.02:0.3:log", "--sweep", "num_leaves=4:32:int")


@pytest.fixture
def sales(wb):
    wb("data", "add", DROPS / "week_01.csv", "--name", "sales")
    return wb


def run_ids(wb) -> list[str]:
    return [r["id"] for r in json.loads(wb("runs", "list", "--json").stdout)]


def test_a_tpe_search_prints_its_trials_the_best_and_its_name(sales):
    out = sales(*SEARCH, "--search", "tpe", "--trials", "2", "--tag", "search=first").stdout
    assert "* best of these runs" in out
    assert "search first (tpe): 2 trials; its runs have the tag search=first" in out
    listed = json.loads(sales("runs", "list", "--where", "tags.search = 'first'", "--json").stdout)
    assert len(listed) == 2


def test_a_search_in_parallel_reports_its_trials_in_json(sales):
    document = json.loads(
        sales(*SEARCH, "--search", "random", "--trials", "3", "-j", "2", "--seed", "5", "--json").stdout
    )
    assert [r["status"] for r in document["runs"]] == ["finished"] * 3
    assert document["search"]["kind"] == "random" and document["search"]["trials"] == 3
    for r in document["runs"]:
        assert 0.02 <= r["params"]["learning_rate"] <= 0.3 and 4 <= r["params"]["num_leaves"] <= 32
    # The same seed picks the same parameters, in parallel as one at a time.
    again = json.loads(sales(*SEARCH, "--search", "random", "--trials", "3", "--seed", "5", "--json").stdout)

    def picked(doc: dict) -> list:
        return sorted((r["params"]["learning_rate"], r["params"]["num_leaves"]) for r in doc["runs"])

    assert picked(again) == picked(document)


@pytest.mark.parametrize(
    "args, words",
    [
        (("--sweep", "learning_rate=0.3:0.01", "--search", "tpe", "--trials", "3"), "must be below its high"),
        (("--sweep", "learning_rate=0:0.3:log", "--search", "tpe", "--trials", "3"), "must start above 0"),
        (("--sweep", "num_leaves=4.5:32:int", "--search", "random", "--trials", "3"), "needs whole numbers"),
        (("--sweep", "num_leaves=7,15", "--trials", "3"), "--trials needs --search random or tpe"),
        (("--sweep", "num_leaves=15", "--search", "tpe", "--trials", "3"), "needs something to choose"),
        (("--sweep", "num_leaves=4:32:int"), "a grid cannot list"),
        (("--sweep", "num_leaves=4:32:int", "--search", "tpe"), "--search tpe needs --trials N"),
        (("--sweep", "num_leaves=1:32:int", "--search", "tpe", "--trials", "3"), "num_leaves must be"),
    ],
)
def test_bad_search_input_is_one_sentence_exit_2_and_no_runs(sales, args, words):
    result = sales(*TRAIN, *args, code=2)
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert run_ids(sales) == []
