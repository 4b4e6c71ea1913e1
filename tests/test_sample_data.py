"""The committed sample data is reproducible and tells the documented story."""

from __future__ import annotations

import csv
import importlib.util
import sys
from collections import defaultdict
from pathlib import Path

import pytest

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
DROPS_DIR = SAMPLE_DIR / "drops"
EXPECTED_FILES = ["reference.csv"] + [f"week_{i:02d}.csv" for i in range(1, 7)]
COLUMNS = [
    "date",
    "store_id",
    "region",
    "item_id",
    "category",
    "price",
    "promo",
    "holiday",
    "temperature_c",
    "units_sold",
]


def _load_generator():
    spec = importlib.util.spec_from_file_location("_wb_sample_generate", SAMPLE_DIR / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _rows(name: str) -> list[dict[str, str]]:
    with open(DROPS_DIR / name, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        return list(reader)


@pytest.fixture(scope="module")
def data() -> dict[str, list[dict[str, str]]]:
    return {name: _rows(name) for name in EXPECTED_FILES}


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def _mean_units_by(rows, key: str) -> dict[str, float]:
    groups: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        groups[r[key]].append(int(r["units_sold"]))
    return {k: _mean(v) for k, v in groups.items()}


def _missing_rate(rows) -> float:
    return sum(r["temperature_c"] == "" for r in rows) / len(rows)


def test_generator_reproduces_committed_files(tmp_path: Path) -> None:
    gen = _load_generator()
    assert gen.main(["--out", str(tmp_path), "--seed", "7"]) == 0
    committed = sorted(p.name for p in DROPS_DIR.iterdir())
    produced = sorted(p.name for p in tmp_path.iterdir())
    assert committed == EXPECTED_FILES
    assert produced == committed
    for name in committed:
        assert (tmp_path / name).read_bytes() == (DROPS_DIR / name).read_bytes(), name


def test_row_counts_and_basic_validity(data) -> None:
    assert len(data["reference.csv"]) == 10 * 40 * 56
    for name in EXPECTED_FILES[1:5]:
        assert len(data[name]) == 10 * 40 * 7
    for name in EXPECTED_FILES[5:]:
        assert len(data[name]) == 10 * 44 * 7
    for rows in data.values():
        assert all(int(r["units_sold"]) >= 0 for r in rows)
        assert all(float(r["price"]) > 0 for r in rows)


def test_files_follow_each_other_in_time(data) -> None:
    previous_last = None
    for name in EXPECTED_FILES:
        dates = sorted({r["date"] for r in data[name]})
        if previous_last is not None:
            assert dates[0] > previous_last
        previous_last = dates[-1]
    assert min(r["date"] for r in data["reference.csv"]) == "2026-01-05"


def test_no_drift_weeks_look_like_reference(data) -> None:
    ref = data["reference.csv"]
    for name in ("week_01.csv", "week_02.csv"):
        week = data[name]
        ratio = _mean(int(r["units_sold"]) for r in week) / _mean(int(r["units_sold"]) for r in ref)
        assert abs(ratio - 1) < 0.08
        assert {r["category"] for r in week} == {r["category"] for r in ref}
        assert _missing_rate(week) < 0.03


def test_week_03_price_rise(data) -> None:
    def mean_price(rows, category: str) -> float:
        return _mean(float(r["price"]) for r in rows if r["category"] == category)

    ref, week = data["reference.csv"], data["week_03.csv"]
    assert 1.10 < mean_price(week, "household") / mean_price(ref, "household") < 1.20
    # other categories are unchanged, and household demand falls via elasticity
    for category in ("grocery", "beverages", "personal_care"):
        assert abs(mean_price(week, category) / mean_price(ref, category) - 1) < 0.03
    ref_units = _mean_units_by(ref, "category")
    week_units = _mean_units_by(week, "category")
    assert week_units["household"] / ref_units["household"] < 0.92


def test_week_04_north_trend_and_missing_temperature(data) -> None:
    ref, week = data["reference.csv"], data["week_04.csv"]
    ref_units = _mean_units_by(ref, "region")
    week_units = _mean_units_by(week, "region")
    ratios = {region: week_units[region] / ref_units[region] for region in ref_units}
    assert ratios["north"] > 1.2
    assert ratios["north"] > max(v for k, v in ratios.items() if k != "north") + 0.2
    assert _missing_rate(ref) < 0.03
    assert _missing_rate(week) > 0.12
    assert _missing_rate(week) > 5 * _missing_rate(ref)


def test_week_05_new_category_and_warmer(data) -> None:
    ref, week = data["reference.csv"], data["week_05.csv"]
    new = {r["category"] for r in week} - {r["category"] for r in ref}
    assert new == {"electronics"}

    def mean_temp(rows) -> float:
        return _mean(float(r["temperature_c"]) for r in rows if r["temperature_c"])

    assert mean_temp(week) > mean_temp(ref) + 3.0


def test_week_06_combines_shifts(data) -> None:
    ref, week = data["reference.csv"], data["week_06.csv"]
    assert "electronics" in {r["category"] for r in week}
    assert _missing_rate(week) > 0.12
    ref_units = _mean_units_by(ref, "region")
    week_units = _mean_units_by(week, "region")
    assert week_units["north"] / ref_units["north"] > 1.3
