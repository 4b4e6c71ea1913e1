"""Data contracts: what every version of a dataset must look like, inferred from one version
and edited by people. Stored as commented TOML; checked by `wb data validate` and by
`wb data add` when the dataset has one.

Checks: columns present (and no others, unless `allow_extra_columns`), dtypes, null rates,
numeric ranges (from the reference's 1st and 99th percentiles widened by half their spread,
not its exact min and max, which a new drop would breach every time), allowed values of
low-cardinality text, key uniqueness (when a key is declared) and row-count bounds. A column
may also carry a `role` for drift checks (`roles` reads them; the data is not checked for it).
"""

from __future__ import annotations

import functools
import json
import math
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .. import config as config_mod
from .. import events
from ..errors import EXIT_CHECK_FAILED, InvalidInput, WbError
from ..names import check_name, plural
from ..storage import records
from ..storage.db import transaction
from ..storage.workspace import Workspace
from ..timeutil import now_iso

if TYPE_CHECKING:  # at run time polars is imported by the functions that use it
    import polars as pl

MAX_ALLOWED_VALUES = 50
NULL_TOLERANCE = 0.05
RANGE_MARGIN = 0.5
OUT_OF_RANGE_TOLERANCE = 0.001
SHOW_VALUES = 5


@dataclass(frozen=True)
class Violation:
    column: str | None
    check: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "check": self.check, "detail": self.detail}


class ContractBroken(WbError):
    """A version that breaks its dataset's contract, refused by `wb data add --strict`."""

    exit_code = EXIT_CHECK_FAILED

    def __init__(self, name: str, violations: list[Violation]):
        super().__init__(
            f"{plural(len(violations), 'contract violation')} in the new version "
            f"of {name}; nothing was stored (--strict)"
        )
        self.violations = violations


# -- inferring ------------------------------------------------------------------------------
def infer(frame: Callable[[], pl.DataFrame], prof: dict[str, Any], ref: str) -> str:
    """A contract (TOML text, with comments) that the version `ref`, profiled as `prof`, passes
    and a normal drop would too. Read off the profile: `frame()` gives the version's data, only
    asked for when the profile predates counting categories."""
    frame = functools.cache(frame)
    rows = prof["rows"]
    key = next((c["name"] for c in prof["columns"] if unique_per_row(c, rows)), None)
    lines = [
        f"# wb data contract, inferred from {ref} ({rows:,} rows) on {now_iso()[:10]}.",
        "# Edit freely, then attach it: wb data contract set NAME FILE",
        "",
        "[table]",
        "# Rows a version may have; inferred as a tenth to ten times the rows seen.",
        f"min_rows = {max(1, rows // 10)}",
        f"max_rows = {rows * 10}",
        "# Columns that together identify a row; checked for duplicates when not empty.",
        f"key = {_toml([key] if key else [])}",
        "# Columns not listed below are violations unless this is true.",
        "allow_extra_columns = false",
    ]
    for col in prof["columns"]:
        lines += [
            "",
            f"[columns.{_toml(col['name'])}]",
            f"dtype = {_toml(col['dtype'])}",
            "required = true",
            *_null_lines(col),
        ]
        values = _few_values(frame, col)
        if values is not None:
            lines += ["# a flag: only 0 and 1 seen"] * (values == [0, 1])
            lines.append(f"allowed = {_toml(values)}")
        elif col["kind"] == "numeric" and col.get("quantiles", {}).get("0.01") is not None:
            lines += _range_lines(col)
    return "\n".join(lines) + "\n"


def unique_per_row(col: dict[str, Any], rows: int) -> bool:
    """Whether profiled column `col` of a table of `rows` rows looks like a row's key: text or
    whole numbers, a different value in every row (measured floats often are too)."""
    return (
        rows > 1
        and col["distinct"] == rows
        and col["nulls"] == 0
        and col["kind"] in ("text", "numeric")
        and not col["dtype"].startswith(("Float", "Decimal"))
    )


def _null_lines(col: dict[str, Any]) -> list[str]:
    # Rounded up to a whole percent: a limit of 0.084 reads as a measurement, not a rule.
    limit = min(1.0, math.ceil(round((col["null_fraction"] + NULL_TOLERANCE) * 100, 6)) / 100)
    seen = f"{col['null_fraction']:.1%} missing" if col["nulls"] else "none missing"
    return [f"# {seen} here, plus {NULL_TOLERANCE:.0%} to spare", f"max_null_fraction = {limit:g}"]


def _few_values(frame: Callable[[], pl.DataFrame], col: dict[str, Any]) -> list[Any] | None:
    """The values a column may take when they are few enough to list: the categories of a
    text column, or 0 and 1 of a whole-number flag (a range of 0 to 2 would let 2 through).
    A profile counts every value of a column this few-valued (`category_counts`)."""
    flag = col["kind"] == "numeric" and col["dtype"].startswith(("Int", "UInt")) and 0 < col["distinct"] <= 2
    if not (flag or (col["kind"] == "text" and 0 < col["distinct"] <= MAX_ALLOWED_VALUES)):
        return None
    if "category_counts" in col:
        seen = set(col["category_counts"])
    else:
        seen = {str(v) for v in frame().get_column(col["name"]).drop_nulls().unique().to_list()}
    if not flag:
        return sorted(seen)
    return [0, 1] if seen <= {"0", "1"} else None


def _range_lines(col: dict[str, Any]) -> list[str]:
    """`min` and `max` with a comment saying which rule made each: the 1st and 99th
    percentiles widened by half their spread, but never inside the values seen, never below
    0 for a column that was never negative, and rounded outward to a tidy step."""
    q1, q99 = col["quantiles"]["0.01"], col["quantiles"]["0.99"]
    spread = (q99 - q1) or abs(q99) or 1.0
    lo, hi = q1 - RANGE_MARGIN * spread, q99 + RANGE_MARGIN * spread
    margin = f"{RANGE_MARGIN:g}x the 1st-99th percentile spread"
    lo_rule = f"the 1st percentile ({q1:.4g}) less {margin}, rounded down"
    hi_rule = f"the 99th percentile ({q99:.4g}) plus {margin}, rounded up"
    if col["min"] < lo:
        lo, lo_rule = col["min"], "the smallest value here, rounded down"
    if col["max"] > hi:
        hi, hi_rule = col["max"], "the largest value here, rounded up"
    if col["min"] >= 0 and lo < 0:
        lo, lo_rule = 0, "0, as the column was never negative"
    lo, hi = _tidy(lo, hi, whole=not col["dtype"].startswith(("Float", "Decimal")))
    return [f"# min: {lo_rule}", f"min = {lo!r}", f"# max: {hi_rule}", f"max = {hi!r}"]


def _tidy(lo: float, hi: float, whole: bool) -> tuple[float, float]:
    """`lo` rounded down and `hi` up to a step a hundredth of their span (a power of ten, at
    least 1 for whole numbers), without float noise (0.30000000000000004)."""
    exponent = math.floor(math.log10(hi - lo)) - 2 if hi > lo else 0
    if whole:
        exponent = max(exponent, 0)
    step = 10**exponent
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    if whole:
        return int(lo), int(hi)
    return round(float(lo), max(0, -exponent)), round(float(hi), max(0, -exponent))


def _toml(value: Any) -> str:
    """A TOML string or list of strings. JSON's quoting is TOML's, but its \\u escapes of
    characters outside the BMP (emoji) are not: write those as they are. DEL, which TOML
    refuses raw, and the C1 and bidi controls, which would drive a terminal showing the
    contract, become \\u escapes (JSON already escapes the rest of C0)."""
    return _UNSEEN.sub(lambda m: f"\\u{ord(m[0]):04x}", json.dumps(value, ensure_ascii=False))


_UNSEEN = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# -- storing --------------------------------------------------------------------------------
def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _strings(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


# The polars type names a contract may use (as `wb data show` prints them).
DTYPES = {
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "Int128",
    "UInt8",
    "UInt16",
    "UInt32",
    "UInt64",
    "Float32",
    "Float64",
    "Decimal",
    "String",
    "Categorical",
    "Enum",
    "Boolean",
    "Date",
    "Datetime",
    "Duration",
    "Time",
    "Binary",
    "List",
    "Array",
    "Struct",
    "Null",
}
# Each setting: (what it must be, in words; a check).
COLUMN_SETTINGS = {
    "dtype": (
        'a type name such as "Float64", "Int64", "String" or "Date"',
        lambda v: isinstance(v, str) and v.partition("(")[0] in DTYPES,
    ),
    "required": ("true or false", lambda v: isinstance(v, bool)),
    "max_null_fraction": ("a number from 0 to 1", lambda v: _number(v) and 0 <= v <= 1),
    "min": ("a number", _number),
    "max": ("a number", _number),
    "allowed": (
        "a list of strings or a list of numbers",
        lambda v: _strings(v) or (isinstance(v, list) and all(map(_number, v))),
    ),
    # What a drift check makes of the column (config.DRIFT_ROLES; not checked on the data).
    "role": (
        config_mod.one_of(config_mod.DRIFT_ROLES),
        lambda v: v in config_mod.DRIFT_ROLES,
    ),
}
TABLE_SETTINGS = {
    "min_rows": ("a whole number", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "max_rows": ("a whole number", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "key": ("a list of column names", _strings),
    "allow_extra_columns": ("true or false", lambda v: isinstance(v, bool)),
}


def _check_settings(settings: dict[str, Any], known: dict, where: str) -> None:
    for key, value in settings.items():
        if key not in known:
            raise InvalidInput(f"{where} has unknown setting {key!r}")
        words, ok = known[key]
        if not ok(value):
            raise InvalidInput(f"{where}: {key} must be {words}, not {value!r}")


def parse(text: str, source: str) -> dict[str, Any]:
    """The contract in `text`, checked for shape; InvalidInput names what is wrong."""
    try:
        contract = config_mod.tomllib.loads(text)
    except config_mod.tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{source} is not valid TOML: {exc}") from None
    columns = contract.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise InvalidInput(f"{source} has no [columns.NAME] tables")
    for name, spec in columns.items():
        if not isinstance(spec, dict):
            raise InvalidInput(f"{source}: columns.{name} must be a table")
        _check_settings(spec, COLUMN_SETTINGS, f"{source}: columns.{name}")
    table = contract.get("table", {})
    if not isinstance(table, dict):
        raise InvalidInput(f"{source}: [table] must be a table")
    _check_settings(table, TABLE_SETTINGS, f"{source}: [table]")
    for key_col in table.get("key", []):
        if key_col not in columns:
            raise InvalidInput(f"{source}: key column {key_col!r} is not among the columns")
    return contract


def roles(contract: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    """The roles a parsed contract gives its columns, and its key column when the key is one
    column (a composite key's parts are each no id)."""
    key = contract.get("table", {}).get("key", [])
    given = {name: spec["role"] for name, spec in contract["columns"].items() if "role" in spec}
    return given, key[0] if len(key) == 1 else None


def set_contract(ws: Workspace, name: str, text: str, source: str) -> None:
    check_name(name, "dataset")
    parse(text, source)
    with transaction(ws.conn) as conn:
        write(conn, name, text, source)
        records.write(ws.store, conn, record_of(conn, name))


def record_of(conn: sqlite3.Connection, name: str) -> records.Record:
    """The contract of dataset `name`, as it stands, as a record object."""
    text, set_at = conn.execute("SELECT text, set_at FROM contracts WHERE dataset = ?", (name,)).fetchone()
    return records.Record(records.CONTRACT, name, {"dataset": name, "text": text}, set_at)


def unrecorded(conn: sqlite3.Connection) -> list[str]:
    """The datasets whose contract no record stands for (set before records, or imported)."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT dataset FROM contracts c WHERE NOT EXISTS (SELECT 1 FROM records r "
            "WHERE r.kind = ? AND r.key = c.dataset AND r.created_at = c.set_at) ORDER BY dataset",
            (records.CONTRACT,),
        )
    ]


def write(conn: sqlite3.Connection, name: str, text: str, source: str, set_at: str | None = None) -> None:
    """Set a contract inside the caller's transaction (the text already parsed); `set_at` is when
    it was first set, for one pulled from a remote (now, else)."""
    conn.execute(
        "INSERT INTO contracts (dataset, text, set_at) VALUES (?, ?, ?) "
        "ON CONFLICT (dataset) DO UPDATE SET text = excluded.text, "
        "set_at = excluded.set_at",
        (name, text, set_at or now_iso()),
    )
    events.record(conn, "contract.set", f"set the contract of {name} from {source}", subject=name)


def get_text(ws: Workspace, name: str) -> str | None:
    row = ws.conn.execute("SELECT text FROM contracts WHERE dataset = ?", (name,)).fetchone()
    return row[0] if row else None


# -- checking -------------------------------------------------------------------------------
# Checks count what they find (`ColumnFacts`, which add up across the batches of a file read in
# parts) and `violations` words them: a whole frame and a streamed file say the same.


@dataclass(frozen=True)
class ColumnFacts:
    """What the value checks of one column found in some rows."""

    dtype: str
    nulls: int = 0
    values: int = 0  # non-null
    outside: int = 0  # values outside [min, max]
    outside_sample: tuple[Any, ...] = ()  # the smallest different ones, up to SHOW_VALUES
    unexpected: pl.DataFrame | None = None  # counts ("v" as text, "n") of values not allowed

    def __add__(self, other: ColumnFacts) -> ColumnFacts:
        import polars as pl

        unexpected = self.unexpected
        if other.unexpected is not None:
            unexpected = (
                other.unexpected
                if unexpected is None
                else pl.concat([unexpected, other.unexpected]).group_by("v").agg(pl.col("n").sum())
            )
        return ColumnFacts(
            self.dtype,
            self.nulls + other.nulls,
            self.values + other.values,
            self.outside + other.outside,
            tuple(sorted({*self.outside_sample, *other.outside_sample})[:SHOW_VALUES]),
            unexpected,
        )


def column_facts(series: pl.Series, spec: dict[str, Any]) -> ColumnFacts:
    """What `spec`'s checks find in `series` (only its type and nulls when the type is wrong:
    the value checks assume the right one)."""
    import polars as pl

    nulls = series.null_count()
    facts = ColumnFacts(str(series.dtype), nulls, series.len() - nulls)
    if not compatible(spec.get("dtype") or facts.dtype, facts.dtype):
        return facts
    values = series.drop_nulls()
    outside, sample = 0, ()
    if series.dtype.is_numeric() and ("min" in spec or "max" in spec):
        lo, hi = spec.get("min", -math.inf), spec.get("max", math.inf)
        found = values.filter((values < lo) | (values > hi))
        outside, sample = found.len(), tuple(found.unique().sort().head(SHOW_VALUES).to_list())
    unexpected = None
    if "allowed" in spec:
        found = values.filter(~_allowed(values, spec["allowed"]))
        unexpected = found.cast(pl.String).rename("v").value_counts(name="n").cast({"n": pl.Int64})
    return replace(facts, outside=outside, outside_sample=sample, unexpected=unexpected)


def validate(df: pl.DataFrame, contract: dict[str, Any]) -> list[Violation]:
    """Every way `df` breaks the contract (an empty list when it passes)."""
    import polars as pl

    columns: dict[str, dict] = contract["columns"]
    facts = {
        name: column_facts(df.get_column(name), spec) for name, spec in columns.items() if name in df.columns
    }
    key = checked_key(contract, df.columns)
    dupes = df.height - df.select(pl.struct(key).n_unique()).item() if key else 0
    return violations(contract, df.height, df.columns, facts, dupes)


def checked_key(contract: dict[str, Any], present: list[str]) -> list[str]:
    """The contract's key when every one of its columns is there (else it is not checked)."""
    key = contract.get("table", {}).get("key", [])
    return key if key and all(k in present for k in key) else []


def violations(
    contract: dict[str, Any], rows: int, present: list[str], facts: dict[str, ColumnFacts], dupes: int
) -> list[Violation]:
    """The violations of a table of `rows` rows with columns `present`, whose contract columns'
    checks found `facts`, and whose key repeats in `dupes` rows."""
    found: list[Violation] = []
    columns: dict[str, dict] = contract["columns"]
    table = contract.get("table", {})
    if "min_rows" in table and rows < table["min_rows"]:
        found.append(
            Violation(
                None, "min_rows", f"{rows:,} row{'' if rows == 1 else 's'}, fewer than {table['min_rows']:,}"
            )
        )
    if "max_rows" in table and rows > table["max_rows"]:
        found.append(Violation(None, "max_rows", f"{rows:,} rows, more than {table['max_rows']:,}"))
    for name, spec in columns.items():
        if name not in facts:
            if spec.get("required", True):
                found.append(Violation(name, "required", "the column is missing"))
            continue
        found += _column_violations(name, spec, rows, facts[name])
    if not table.get("allow_extra_columns", False):
        for name in present:
            if name not in columns:
                found.append(Violation(name, "extra_column", "the column is not in the contract"))
    if dupes:
        found.append(
            Violation(
                ", ".join(checked_key(contract, present)),
                "unique_key",
                f"{dupes:,} " + ("row repeats" if dupes == 1 else "rows repeat") + " a key",
            )
        )
    return found


def _column_violations(name: str, spec: dict[str, Any], rows: int, facts: ColumnFacts) -> list[Violation]:
    out = []
    expected = spec.get("dtype")
    if expected and not compatible(expected, facts.dtype):
        return [Violation(name, "dtype", f"expected {expected}, found {facts.dtype}")]
    nulls = facts.nulls
    limit = spec.get("max_null_fraction")
    if limit is not None and rows and nulls / rows > limit:
        out.append(
            Violation(
                name,
                "max_null_fraction",
                f"{nulls / rows:.1%} missing ({nulls:,} row{'' if nulls == 1 else 's'}), "
                f"more than {limit:.1%}",
            )
        )
    if facts.outside > OUT_OF_RANGE_TOLERANCE * max(facts.values, 1):
        lo, hi = spec.get("min", -math.inf), spec.get("max", math.inf)
        sample = ", ".join(str(v) for v in facts.outside_sample)
        count = facts.outside
        out.append(
            Violation(
                name,
                "range",
                f"{count:,} value{'' if count == 1 else 's'} outside [{lo:g}, {hi:g}], e.g. {sample}",
            )
        )
    if facts.unexpected is not None and facts.unexpected.height:
        ranked = facts.unexpected.sort(["n", "v"], descending=[True, False])
        shown = ", ".join(f"{v} ({n:,})" for v, n in ranked.head(SHOW_VALUES).iter_rows())
        count = int(ranked.get_column("n").sum())
        out.append(
            Violation(name, "allowed", f"{count:,} value{'' if count == 1 else 's'} not allowed: {shown}")
        )
    return out


def _allowed(values: pl.Series, allowed: list[Any]) -> pl.Series:
    """Which `values` are in `allowed`: compared as numbers when the contract lists numbers
    and the column holds them (1.0 is 1), as text otherwise."""
    import polars as pl

    if allowed and all(map(_number, allowed)) and values.dtype.is_numeric():
        return values.cast(pl.Float64).is_in([float(x) for x in allowed])
    return values.cast(pl.String).is_in([str(x) for x in allowed])


def compatible(expected: str, actual: str) -> bool:
    # Whole numbers are fine where a float is expected (a drop without decimals).
    return expected == actual or (expected.startswith("Float") and actual.startswith(("Int", "UInt")))
