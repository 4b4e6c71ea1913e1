"""A training asked field by field: the values a form starts with, and wb train's checks told
against the field each is about."""

from __future__ import annotations

import pytest

from tests.conftest import DROPS
from workbench.core.data import contracts, datasets
from workbench.core.experiments import train_checks, train_request, training
from workbench.core.experiments.train_checks import FieldError
from workbench.core.experiments.train_request import Request


def test_an_empty_workspace_starts_with_lightgbm_alone(ws):
    assert train_request.first_values(ws) == Request()


def test_the_likely_target_is_the_contracts_then_the_last_trainings_then_the_last_column(ws):
    datasets.add(ws, DROPS / "week_01.csv", "sales")
    assert train_request.first_values(ws).target == "units_sold"  # the last column
    training.train(ws, training.TrainSpec(data="sales@1", target="price", model="baseline"))
    datasets.add(ws, DROPS / "week_02.csv", "sales")
    found = train_request.first_values(ws)
    assert (found.data, found.target, found.experiment) == ("sales@2", "price", "default")
    text = '[columns."promo"]\nrole = "target"\n[columns."units_sold"]\n'
    contracts.set_contract(ws, "sales", text, "inline")
    assert train_request.first_values(ws).target == "promo"


@pytest.mark.parametrize(
    ("request_", "field", "words"),
    [
        (Request("nope@1", "units_sold"), "data", "no dataset named 'nope'"),
        (Request("sales@1", ""), "target", "a target column is needed"),
        (Request("sales@1", "units_sold", experiment="a b"), "experiment", "experiment name 'a b'"),
        (Request("sales@1", "units_sold", params=("num_leaves",)), "params", "params takes KEY=VALUE"),
        (Request("sales@1", "units_sold", sweep=("num_leaves=8,zz",)), "sweep", "num_leaves must be"),
        (Request("sales@1", "units_sold", model="xgb"), "model", "unknown model 'xgb'"),
    ],
)
def test_each_problem_names_its_field(ws, request_, field, words):
    datasets.add(ws, DROPS / "week_01.csv", "sales")
    with pytest.raises(FieldError) as found:
        train_checks.check(ws, request_)
    assert found.value.field == field and words in str(found.value)


def test_a_request_that_passes_is_wb_trains_arguments(ws):
    datasets.add(ws, DROPS / "week_01.csv", "sales")
    request = Request("sales@1", "units_sold", "baseline", "e1", sweep=("strategy=mean,median",))
    train_checks.check(ws, request)  # no FieldError
    assert request.argv() == [
        "--data",
        "sales@1",
        "--target",
        "units_sold",
        "--model",
        "baseline",
        "--experiment",
        "e1",
        "--sweep",
        "strategy=mean,median",
    ]
