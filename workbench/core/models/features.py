"""Turning a dataset's columns into model features, the same way at training and at prediction.

Date and datetime columns become their parts (year, month, day, weekday, day of year); text and
boolean columns become categories (a missing value is a category of its own); numbers stay
numbers (missing values are handled by the model's pipeline). The recipe is plain JSON, stored
with the model, so prediction rebuilds exactly the training features.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

from ..errors import InvalidInput

DATE_PARTS = ("year", "month", "day", "weekday", "ordinal_day")
MISSING = "__missing__"


@dataclass(frozen=True)
class FeatureSpec:
    inputs: list[dict[str, str]]  # the raw input columns the model needs: {"name", "dtype"}
    dates: list[str]
    categorical: list[str]
    numeric: list[str]

    @property
    def columns(self) -> list[str]:
        """The feature columns, in model order: categoricals first, then numbers."""
        date_cols = [f"{d}_{part}" for d in self.dates for part in DATE_PARTS]
        return [*self.categorical, *self.numeric, *date_cols]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSpec:
        return cls(**data)


def infer(df: pl.DataFrame, target: str) -> FeatureSpec:
    """The recipe for every column but the target; refuses columns no model can learn from."""
    dates, categorical, numeric, inputs = [], [], [], []
    for name, dtype in df.schema.items():
        if name == target:
            continue
        column = df.get_column(name)
        if column.null_count() == column.len():
            raise InvalidInput(f"column {name!r} is entirely empty; drop it or fill it in")
        if dtype.is_temporal() and dtype != pl.Duration and dtype != pl.Time:
            dates.append(name)
        elif dtype.is_numeric():
            numeric.append(name)
        elif dtype in (pl.String, pl.Categorical, pl.Enum, pl.Boolean):
            categorical.append(name)
        else:
            raise InvalidInput(f"column {name!r} has type {dtype}, which wb cannot use as a feature")
        inputs.append({"name": name, "dtype": str(dtype)})
    if not inputs:
        raise InvalidInput(f"there are no feature columns besides the target {target!r}")
    return FeatureSpec(inputs=inputs, dates=dates, categorical=categorical, numeric=numeric)


def _dtype(name: str) -> pl.DataType:
    """The polars type a schema names ("Datetime(...)" as Datetime in microseconds)."""
    return getattr(pl, name.partition("(")[0])


def build(df: pl.DataFrame, spec: FeatureSpec) -> pl.DataFrame:
    """The feature frame for `df`, which must have every input column of the recipe."""
    missing = [c["name"] for c in spec.inputs if c["name"] not in df.columns]
    if missing:
        raise InvalidInput(f"the data lacks the model's input columns: {', '.join(missing)}")
    # A column empty in every row has no type of its own (a CSV reads it as text): give it the
    # type the model was trained on, so that dates still have date parts (all missing).
    empty = [
        pl.lit(None, dtype=_dtype(c["dtype"])).alias(c["name"])
        for c in spec.inputs
        if df.get_column(c["name"]).null_count() == df.height and str(df.schema[c["name"]]) != c["dtype"]
    ]
    if empty:
        df = df.with_columns(empty)
    exprs = [pl.col(c).cast(pl.String).fill_null(MISSING).alias(c) for c in spec.categorical]
    exprs += [pl.col(c).cast(pl.Float64).alias(c) for c in spec.numeric]
    for d in spec.dates:
        col = pl.col(d).dt
        exprs += [
            col.year().alias(f"{d}_year"),
            col.month().alias(f"{d}_month"),
            col.day().alias(f"{d}_day"),
            col.weekday().alias(f"{d}_weekday"),
            col.ordinal_day().alias(f"{d}_ordinal_day"),
        ]
    return df.select(exprs).select(spec.columns)
