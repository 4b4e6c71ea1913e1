"""Drift checks and contract checks of data too big for `[data] memory_budget_mb`, read in
batches: the same report and the same violations as a whole read of the same file, exactly,
but for the Wasserstein scores, which come from the current side's quantile sketch and stay
within the error the report states."""

from __future__ import annotations

import os

import polars as pl
import pytest

from tests.core.test_streaming_add import _frame, _with_budget
from workbench.core.data import contracts, datasets, validation
from workbench.core.errors import IntegrityError
from workbench.core.monitoring import drift
from workbench.presenters import drift as drift_words

WHOLE, TINY = 1024, 1  # MB: a 3 MB drop is read whole with the first, in batches with the second
SKETCHED = {"price", "units", "score"}  # numbers with more than 20 values, compared by Wasserstein


def _shifted(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.col("score") + 0.15, pl.col("price") * 1.1)


@pytest.fixture
def sales(ws, tmp_path):
    """sales@1, a reference read whole, and a shifted 60,000-row drop (3 MB) next to it."""
    ref = tmp_path / "ref.csv"
    _frame(20_000, seed=1).write_csv(ref)
    datasets.add(ws, ref, "sales")
    cur = tmp_path / "cur.csv"
    _shifted(_frame(60_000, seed=2)).write_csv(cur)
    return ws, cur


def _check(ws, current: str, budget_mb: int):
    _with_budget(ws, budget_mb)
    return drift.check(ws, "sales@1", current)


def _exact_part(report, estimated: set[str]) -> dict:
    """The report as JSON without what a sketch estimates: the Wasserstein scores (and the
    words that quote them) of the `estimated` columns, and what ranks by them."""
    out = report.to_dict()
    for key in ("report_id", "created_at", "features", "estimated"):
        out.pop(key, None)
    features = {}
    for f in report.features:
        d = f.to_dict()
        if f.name in estimated:
            for part in (d, *d["tests"]):
                if part["test"] == "wasserstein":
                    part["score"] = part["detail"] = None
        features[f.name] = d
    return {**out, "features": features}


def _scores(report) -> dict[str, float]:
    return {f.name: f.score for f in report.features}


def test_a_drift_check_streams_a_drop_too_big_for_the_budget_and_says_what_is_estimated(sales):
    ws, cur = sales
    whole = _check(ws, str(cur), WHOLE)
    streamed = _check(ws, str(cur), TINY)
    assert whole.estimated is None and "estimated" not in whole.to_dict()
    assert set(streamed.estimated) == SKETCHED
    assert set(streamed.drifted) == set(whole.drifted) == {"price", "score"}
    assert _exact_part(streamed, SKETCHED) == _exact_part(whole, SKETCHED)  # p-values, KS D, counts
    for name in SKETCHED:
        assert abs(_scores(streamed)[name] - _scores(whole)[name]) <= drift_words.WASSERSTEIN_SKETCH_ERROR
    said = [n.text for n in drift_words.notes(streamed)]
    assert "the Wasserstein scores of " in said[-1] and "every other figure is exact" in said[-1]
    assert drift.show(ws, streamed.report_id).estimated == streamed.estimated


def test_psi_and_ks_on_a_streamed_drop_are_exact(sales):
    ws, cur = sales
    with open(ws.config_path, "a") as f:
        f.write('\n[drift.columns.price]\ntest = "psi"\n\n[drift.columns.score]\ntest = "ks"\n')
    whole = _check(ws, str(cur), WHOLE)
    streamed = _check(ws, str(cur), TINY)
    assert streamed.estimated == ("units",)
    assert _exact_part(streamed, {"units"}) == _exact_part(whole, {"units"})
    assert {f.name: f.test for f in streamed.features if f.name in ("price", "score")} == {
        "price": "psi",
        "score": "ks",
    }


def test_a_stored_version_too_big_for_the_budget_streams_from_the_store_verified(sales):
    ws, cur = sales
    whole = _check(ws, str(cur), WHOLE)
    _with_budget(ws, TINY)
    version = datasets.add(ws, cur, "sales").version
    assert version.profile["streamed"] is True
    streamed = drift.check(ws, "sales@1", "sales@2")
    assert streamed.current == "sales@2" and set(streamed.estimated) == SKETCHED
    assert _exact_part(streamed, SKETCHED) | {"current": None} == _exact_part(whole, SKETCHED) | {
        "current": None
    }

    obj = ws.objects.path(version.hash)
    os.chmod(obj, 0o644)
    obj.write_bytes(obj.read_bytes().replace(b"S001", b"S002", 1))
    with pytest.raises(IntegrityError, match="corrupt"):
        drift.check(ws, "sales@1", "sales@2")


# -- contracts ------------------------------------------------------------------------------
def _with_channel(df: pl.DataFrame, extra: str | None = None) -> pl.DataFrame:
    """A text column of few values (the contract lists them) and a key, `order_id`."""
    channels = ["web", "store", "phone"] if extra is None else ["web", "store", extra]
    return df.with_row_index("order_id").with_columns(
        pl.Series("channel", channels * (df.height // 3) + channels[: df.height % 3])
    )


@pytest.fixture
def contracted(ws, tmp_path):
    """sales with the contract inferred from sales@1, and a drop that breaks every kind of
    check: range, missing share, allowed values, type, a missing and an extra column, and a
    key that repeats (with more different keys than a 1 MB budget holds in one pass)."""
    ref = tmp_path / "keyed.csv"
    _with_channel(_frame(20_000, seed=1)).write_csv(ref)
    datasets.add(ws, ref, "orders")
    contracts.set_contract(ws, "orders", validation.infer(ws, datasets.resolve(ws, "orders@1")), "inferred")
    bad = _with_channel(_frame(60_000, seed=2), extra="fax").with_columns(
        pl.col("score") * 5,
        pl.when(pl.col("shelf") == 3).then(None).otherwise(pl.col("shelf")).alias("shelf"),
        pl.col("order_id") % 45_000,
        pl.format("u{}", "units").alias("units"),
        pl.lit(1).alias("extra"),
    )
    path = tmp_path / "bad.csv"
    bad.drop("day").write_csv(path)
    return ws, path


def test_wb_data_validate_of_a_file_too_big_for_the_budget_says_what_a_whole_read_says(contracted):
    ws, bad = contracted
    _with_budget(ws, WHOLE)
    _, whole = validation.check(ws, str(bad), "orders")
    _with_budget(ws, TINY)
    _, streamed = validation.check(ws, str(bad), "orders")
    assert streamed == whole
    assert {v.check for v in whole} == {
        "range",
        "max_null_fraction",
        "allowed",
        "dtype",
        "required",
        "extra_column",
        "unique_key",
    }
    assert [v.detail for v in whole if v.check == "unique_key"] == ["15,000 rows repeat a key"]


def test_wb_data_add_checks_a_streamed_drop_in_the_same_pass_and_strict_refuses_it(contracted):
    ws, bad = contracted
    _with_budget(ws, WHOLE)
    _, whole = validation.check(ws, str(bad), "orders")
    _with_budget(ws, TINY)
    with pytest.raises(contracts.ContractBroken):
        datasets.add(ws, bad, "orders", strict=True)
    assert [v.version for v in datasets.log(ws, "orders")] == [1]
    added = datasets.add(ws, bad, "orders")
    assert added.version.profile["streamed"] is True
    assert added.violations == whole and added.version.valid is False
    # A stored version too big to read whole is checked from the store, and the result recorded.
    assert validation.check(ws, "orders@2")[1] == whole
    assert datasets.resolve(ws, "orders@2").valid is False


def test_validate_all_streams_the_versions_too_big_for_the_budget(contracted):
    ws, bad = contracted
    _with_budget(ws, WHOLE)
    _, whole = validation.check(ws, str(bad), "orders")
    _with_budget(ws, TINY)
    datasets.add(ws, bad, "unchecked")  # no contract yet: not checked
    contracts.set_contract(ws, "unchecked", contracts.get_text(ws, "orders"), "copied")
    sweep = validation.check_unchecked(ws, "unchecked")
    assert [found for _, found in sweep.checked] == [whole]


def test_a_contract_inferred_from_a_streamed_version_is_the_one_a_whole_read_infers(ws, tmp_path):
    path = tmp_path / "keyed.csv"
    _with_channel(_frame(60_000, seed=1)).write_csv(path)
    whole = datasets.add(ws, path, "whole").version
    _with_budget(ws, TINY)
    streamed = datasets.add(ws, path, "streamed").version
    assert streamed.profile["streamed"] is True

    def rules(version) -> list[str]:
        """Past the header (which names the version), without the ranges: they come from the
        1st and 99th percentiles, which a streamed profile sketches."""
        ranges = ("# min", "# max", "min =", "max =")
        return [
            line for line in validation.infer(ws, version).splitlines()[1:] if not line.startswith(ranges)
        ]

    assert rules(streamed) == rules(whole)
    assert 'allowed = ["phone", "store", "web"]' in rules(streamed)
