"""`wb data validate --all NAME`: the versions added before a contract are checked against it
and their results recorded as `wb data validate REF` records them; `wb data show` of a version
never checked says so (and checks nothing: a read writes nothing)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import DROPS


@pytest.fixture
def before_contract(wb, tmp_path):
    """sales@1..3 (weeks 1, 2 and 5) added before the contract inferred from sales@1 is set;
    sales@4 (week 2 again) after it."""
    for week in ("week_01", "week_02", "week_05"):
        wb("data", "add", DROPS / f"{week}.csv", "--name", "sales")
    wb("data", "contract", "infer", "sales@1", "-o", tmp_path / "c.toml")
    wb("data", "contract", "set", "sales", tmp_path / "c.toml")
    wb("data", "add", DROPS / "week_03.csv", "--name", "sales")
    return wb


def valid(wb) -> list:
    return [v["valid"] for v in json.loads(wb("data", "log", "sales", "--json").stdout)]


def test_validate_all_checks_and_records_the_versions_never_checked(before_contract):
    wb = before_contract
    assert valid(wb) == [None, None, None, True]
    shown = wb("data", "show", "sales@2").stdout.splitlines()
    assert (
        "valid    not checked against the contract of sales; `wb data validate --all "
        "sales` checks every version not yet checked"
    ) in shown
    assert valid(wb) == [None, None, None, True]  # a read records nothing

    lines = wb("data", "validate", "--all", "sales", code=1).stdout.splitlines()
    assert lines == [
        "sales@1 passes its contract",
        "sales@2 passes its contract",
        ("sales@3: 4 contract violations (item_id allowed, category allowed, price range, units_sold range)"),
        "checked 3 versions of sales: 2 pass, 1 breaks its contract (1 version checked "
        "before); `wb data validate sales@3` lists how",
    ]
    assert valid(wb) == [True, True, False, True]
    events = json.loads(wb("log", "--json").stdout)
    assert [(e["kind"], e["message"]) for e in events[:3]] == [
        ("dataset.validate", "validated sales@3: 4 violations"),
        ("dataset.validate", "validated sales@2: passed"),
        ("dataset.validate", "validated sales@1: passed"),
    ]
    assert (
        "valid    NO: breaks the contract of sales; `wb data validate sales@3` lists how"
        in wb("data", "show", "sales@3").stdout.splitlines()
    )
    assert "valid    yes: passes the contract of sales" in wb("data", "show", "sales@1").stdout.splitlines()

    # Again: nothing left to check, and it says which versions broke it before.
    again = wb("data", "validate", "sales", "--all")  # the flag after the name, too
    assert again.stdout == (
        "nothing to check: every version of sales was checked before "
        "(4 versions checked before, of which sales@3 breaks it)\n"
    )


def test_validate_all_json(before_contract):
    doc = json.loads(before_contract("data", "validate", "--all", "sales", "--json", code=1).stdout)
    assert doc["passed"] is False
    assert [(v["ref"], v["passed"]) for v in doc["versions"]] == [
        ("sales@1", True),
        ("sales@2", True),
        ("sales@3", False),
    ]
    assert {(v["version"], v["column"], v["check"]) for v in doc["violations"]} == {
        (3, "item_id", "allowed"),
        (3, "category", "allowed"),
        (3, "price", "range"),
        (3, "units_sold", "range"),
    }
    assert doc["already_checked"] == [4] and doc["recorded"] is True


def test_validate_all_passing_is_exit_0(wb, tmp_path):
    wb("data", "add", DROPS / "week_01.csv", "--name", "sales")
    wb("data", "contract", "infer", "sales@1", "-o", tmp_path / "c.toml")
    wb("data", "contract", "set", "sales", tmp_path / "c.toml")
    assert wb("data", "validate", "--all", "sales").stdout.splitlines() == [
        "sales@1 passes its contract",
        "checked 1 version of sales: it passes its contract",
    ]


@pytest.mark.parametrize(
    "args, words",
    [
        (("--all", "sales@1"), "--all takes a dataset name, not 'sales@1'"),
        (("--all", "sales", "--contract", "sales"), "leave out --contract"),
        (("--all", "nosuch"), "no dataset named 'nosuch'"),
        (("--all", "plain"), "dataset 'plain' has no contract"),
    ],
)
def test_validate_all_bad_input_is_exit_2(before_contract, args, words):
    before_contract("data", "add", DROPS / "week_01.csv", "--name", "plain")
    result = before_contract("data", "validate", *args, code=2)
    assert words in result.stderr and result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert valid(before_contract) == [None, None, None, True]  # nothing checked


def test_show_says_nothing_of_a_contract_a_dataset_has_not(wb):
    wb("data", "add", DROPS / "week_01.csv", "--name", "sales")
    assert "valid" not in wb("data", "show", "sales@1").stdout
