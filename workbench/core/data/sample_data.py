"""The sample retail demand data: a seeded, deterministic generator (standard library only).

Writes a reference period plus six weekly "drops" with documented, injected shifts (see
``sample_data/README.md`` in the source tree). Every random draw comes from ``random.Random``
streams seeded with strings derived from the seed, and every float is written with a fixed
format, so the output is byte-for-byte identical across machines. ``wb demo`` builds its
workspace from these files; ``sample_data/generate.py`` regenerates the committed copies.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

DEFAULT_SEED = 7

COLUMNS = (
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
)

REFERENCE_START = date(2026, 1, 5)  # a Monday
REFERENCE_WEEKS = 8
N_DROPS = 6

# Stores: (store_id, region). Store size multipliers are drawn from the seed.
STORES = (
    ("S01", "north"),
    ("S02", "north"),
    ("S03", "north"),
    ("S04", "south"),
    ("S05", "south"),
    ("S06", "east"),
    ("S07", "east"),
    ("S08", "east"),
    ("S09", "west"),
    ("S10", "west"),
)

# category -> (number of items, price range, price elasticity, holiday uplift)
CATEGORIES = {
    "grocery": (14, (1.00, 8.00), -1.2, 1.45),
    "beverages": (10, (0.80, 4.50), -1.5, 1.40),
    "household": (8, (2.50, 15.00), -1.0, 1.10),
    "personal_care": (8, (2.00, 12.00), -0.8, 1.10),
}
# Introduced in week_05 (new product line), items I041..I044.
NEW_CATEGORY = "electronics"
NEW_CATEGORY_SPEC = (4, (15.00, 80.00), -2.0, 1.30)

# Climate: mean late-winter temperature per region (deg C), no trend.
REGION_TEMP = {"north": 1.0, "south": 12.0, "east": 5.0, "west": 8.0}
WEATHER_SD = 3.0  # stationary sd of the daily regional anomaly
WEATHER_PHI = 0.7  # AR(1) persistence of the daily anomaly

# Fixed holiday calendar covering the generated window.
HOLIDAYS = {
    date(2026, 1, 19),  # mid-January public holiday (MLK Day)
    date(2026, 2, 16),  # mid-February public holiday (Presidents' Day)
    date(2026, 4, 3),  # Good Friday
    date(2026, 4, 6),  # Easter Monday
}

# Day-of-week multipliers, Monday..Sunday (weekends higher).
WEEKDAY_FACTOR = (0.90, 0.88, 0.92, 0.97, 1.10, 1.32, 1.22)

PROMO_PROB = 0.07  # per (store, item, week)
PROMO_CUT_NUM, PROMO_CUT_DEN = 4, 5  # promo price = 4/5 of shelf price (20 % cut)
PROMO_UPLIFT = 1.25  # display/advertising effect on top of elasticity
BEVERAGE_TEMP_COEF = 0.035  # log-demand per deg C for beverages
BASE_MISSING_RATE = 0.01

# Injected shifts per file.  Keys not given take the "no shift" default.
Shift = dict[str, Any]  # setting -> value: a category name, a factor or a flag

NO_SHIFT: Shift = {
    "price_category": None,  # category whose shelf price changes
    "price_factor": 1.0,
    "north_factor": 1.0,  # demand multiplier for the north region
    "missing_rate": BASE_MISSING_RATE,  # share of rows with empty temperature
    "new_category": False,  # electronics items on sale
    "temp_shift": 0.0,  # deg C added to every region's temperature
}
DROP_SHIFTS: dict[int, Shift] = {
    1: {},
    2: {},
    3: {"price_category": "household", "price_factor": 1.15},
    4: {
        "price_category": "household",
        "price_factor": 1.15,
        "north_factor": 1.40,
        "missing_rate": 0.20,
    },
    5: {
        "price_category": "household",
        "price_factor": 1.15,
        "north_factor": 1.40,
        "new_category": True,
        "temp_shift": 6.0,
    },
    6: {
        "price_category": "household",
        "price_factor": 1.15,
        "north_factor": 1.60,
        "missing_rate": 0.20,
        "new_category": True,
        "temp_shift": 8.0,
    },
}


def _rng(seed: int, *parts: object) -> random.Random:
    """An independent, platform-stable stream (str seeds hash via SHA-512)."""
    return random.Random(":".join([str(seed), *map(str, parts)]))


def _charm_cents(price: float) -> int:
    """Round a price to a '.x9' shelf price, in integer cents (min 0.19)."""
    return max(19, math.floor(price * 10.0) * 10 + 9)


def _fmt_cents(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _fmt_temp(t: float) -> str:
    s = f"{t:.1f}"
    return "0.0" if s == "-0.0" else s


def _poisson(rng: random.Random, lam: float) -> int:
    """Poisson draw: Knuth for small lambda, rounded normal approximation above."""
    if lam <= 0.0:
        return 0
    if lam < 30.0:
        limit = math.exp(-lam)
        k = 0
        p = rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, math.floor(lam + math.sqrt(lam) * rng.gauss(0.0, 1.0) + 0.5))


def _build_catalog(seed: int) -> tuple[list[dict], dict[str, float]]:
    rng = _rng(seed, "catalog")
    items = []
    specs = [*CATEGORIES.items(), (NEW_CATEGORY, NEW_CATEGORY_SPEC)]
    n = 0
    for category, (count, (lo, hi), elasticity, holiday_uplift) in specs:
        for _ in range(count):
            n += 1
            # log-uniform base price, lognormal base demand (cheaper sells more)
            base_price = math.exp(rng.uniform(math.log(lo), math.log(hi)))
            rel = (math.log(base_price) - math.log(lo)) / (math.log(hi) - math.log(lo))
            base_demand = math.exp(rng.gauss(math.log(9.0), 0.45)) * (1.3 - 0.6 * rel)
            if category == NEW_CATEGORY:
                base_demand *= 0.35
            items.append(
                {
                    "item_id": f"I{n:03d}",
                    "category": category,
                    "base_price": base_price,
                    "base_demand": base_demand,
                    "elasticity": elasticity,
                    "holiday_uplift": holiday_uplift,
                }
            )
    store_size = {sid: rng.uniform(0.6, 1.6) for sid, _ in STORES}
    return items, store_size


def _store_price_factor(seed: int) -> dict[str, float]:
    rng = _rng(seed, "store-price")
    return {sid: rng.uniform(0.97, 1.03) for sid, _ in STORES}


def _weather(seed: int, start: date, n_days: int) -> dict[tuple[date, str], float]:
    """Daily temperature per store: regional AR(1) anomaly + store offset."""
    rng = _rng(seed, "weather")
    innovation_sd = WEATHER_SD * math.sqrt(1.0 - WEATHER_PHI**2)
    anomaly = {r: rng.gauss(0.0, WEATHER_SD) for r in REGION_TEMP}
    store_offset = {sid: rng.gauss(0.0, 0.8) for sid, _ in STORES}
    temps = {}
    for d in range(n_days):
        day = start + timedelta(days=d)
        for region in REGION_TEMP:
            anomaly[region] = WEATHER_PHI * anomaly[region] + rng.gauss(0.0, innovation_sd)
        for sid, region in STORES:
            temps[(day, sid)] = REGION_TEMP[region] + anomaly[region] + store_offset[sid]
    return temps


def _yearly_factor(day: date) -> float:
    """Mild yearly seasonality peaking just before Christmas."""
    phase = 2.0 * math.pi * (day.toordinal() - date(2025, 12, 20).toordinal()) / 365.25
    return 1.0 + 0.04 * math.cos(phase)


def _periods() -> list[tuple[str, date, int, Shift]]:
    periods = [("reference.csv", REFERENCE_START, REFERENCE_WEEKS * 7, dict(NO_SHIFT))]
    start = REFERENCE_START + timedelta(weeks=REFERENCE_WEEKS)
    for week in range(1, N_DROPS + 1):
        shift = {**NO_SHIFT, **DROP_SHIFTS[week]}
        periods.append((f"week_{week:02d}.csv", start + timedelta(weeks=week - 1), 7, shift))
    return periods


def _render_period(
    seed: int,
    start: date,
    n_days: int,
    shift: Shift,
    items: list[dict],
    store_size: dict[str, float],
    store_price: dict[str, float],
    temps: dict[tuple[date, str], float],
) -> str:
    lines = [",".join(COLUMNS)]
    promo_cache: dict[tuple[int, str, str], bool] = {}  # one draw per store/item/week
    active = [it for it in items if it["category"] != NEW_CATEGORY or shift["new_category"]]
    for d in range(n_days):
        day = start + timedelta(days=d)
        iso = day.isoformat()
        week_index = (day - REFERENCE_START).days // 7
        is_holiday = day in HOLIDAYS
        weekly = WEEKDAY_FACTOR[day.weekday()] * _yearly_factor(day)
        sales_rng = _rng(seed, "sales", iso)
        missing_rng = _rng(seed, "missing", iso)
        for sid, region in STORES:
            temp = temps[(day, sid)] + shift["temp_shift"]
            region_factor = shift["north_factor"] if region == "north" else 1.0
            for it in active:
                category = it["category"]
                ref_cents = _charm_cents(it["base_price"] * store_price[sid])
                shelf = it["base_price"] * store_price[sid]
                if category == shift["price_category"]:
                    shelf *= shift["price_factor"]
                cents = _charm_cents(shelf)
                key = (week_index, sid, it["item_id"])
                if key not in promo_cache:
                    promo_cache[key] = _rng(seed, "promo", *key).random() < PROMO_PROB
                promo = promo_cache[key]
                if promo:
                    cents = max(1, (cents * PROMO_CUT_NUM + PROMO_CUT_DEN // 2) // PROMO_CUT_DEN)
                lam = it["base_demand"] * store_size[sid] * weekly * region_factor
                lam *= (cents / ref_cents) ** it["elasticity"]
                if promo:
                    lam *= PROMO_UPLIFT
                if is_holiday:
                    lam *= it["holiday_uplift"]
                if category == "beverages":
                    lam *= math.exp(BEVERAGE_TEMP_COEF * (temp - 8.0))
                units = _poisson(sales_rng, lam)
                missing = missing_rng.random() < shift["missing_rate"]
                lines.append(
                    ",".join(
                        (
                            iso,
                            sid,
                            region,
                            it["item_id"],
                            category,
                            _fmt_cents(cents),
                            "1" if promo else "0",
                            "1" if is_holiday else "0",
                            "" if missing else _fmt_temp(temp),
                            str(units),
                        )
                    )
                )
    return "\n".join(lines) + "\n"


def generate(out_dir: Path | str, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write reference.csv and week_01..week_06.csv into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    items, store_size = _build_catalog(seed)
    store_price = _store_price_factor(seed)
    periods = _periods()
    total_days = sum(n for _, _, n, _ in periods)
    temps = _weather(seed, REFERENCE_START, total_days)
    written = []
    for name, start, n_days, shift in periods:
        text = _render_period(seed, start, n_days, shift, items, store_size, store_price, temps)
        path = out / name
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        written.append(path)
    return written
