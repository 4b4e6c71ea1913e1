"""`.wb/config.toml`: written commented by `wb init`, read with the defaults filled in."""

from __future__ import annotations

import difflib
import json
import math
import sys
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

from .errors import Caution, InvalidInput

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DEFAULT_CONFIG_TEXT = """\
# wb workspace settings. Every value below is the default; edit to taste.

[store]
# `wb gc` never deletes an object younger than this, so it cannot race a writer.
gc_grace_hours = 24

[data]
# Bins in each numeric column's histogram (the reference that drift checks compare against).
histogram_bins = 20
# How many most frequent values a text column's profile keeps.
top_values = 10
# Memory `wb data add` may use to read a file, in MB: a file that would need more is read in
# batches (its quantiles and, past 100,000 values, distinct counts become sketches).
memory_budget_mb = 1024

[drift]
# A numeric feature drifts when the Wasserstein distance between reference and current, in
# reference standard deviations, reaches this...
numeric_threshold = 0.1
# ...a categorical one when the Jensen-Shannon distance of its category shares (base 2, 0 to 1)
# reaches this...
categorical_threshold = 0.1
# ...or either when its share of missing values moves by this much (0.1 = 10 points).
missing_share_threshold = 0.1
# And only if the change is also significant (Kolmogorov-Smirnov for numbers, chi-square for
# counts), with the false discovery rate across features held at this level (Benjamini-
# Hochberg): large samples pass this gate for changes of no practical size, which the
# thresholds above then reject; small ones fail it for noise.
false_discovery_rate = 0.05
# Numbers with at most this many distinct values in the reference are compared as categories.
categorical_max_distinct = 5
# The dataset drifts when at least this share of its features drift.
dataset_drift_share = 0.5
# With --model and the target in the current data: performance has drifted when the model's
# main metric (rmse, or roc_auc for classifiers) is worse than at validation by this fraction.
performance_degradation = 0.1
# With --classifier: the data drifted when a model can tell reference rows from current rows
# with at least this ROC AUC (0.5 = no better than a coin)...
classifier_auc_threshold = 0.55
# ...trained on at most this many rows from each side.
classifier_max_rows = 20000

# Columns by name (in any dataset checked): a role, and for features and targets a test and
# threshold where the defaults above do not fit. Roles: "feature" (compared, the default),
# "id" and "ignored" (left out; a column unique per row in the reference, or a contract's
# one-column key, is an id unless said otherwise), "target" (the label: compared on its own,
# as label drift, outside the dataset's share) and "time" (names the period each side covers;
# a date or time column is one unless said otherwise). Tests, each an effect size that must
# reach the threshold (then the p-value gate above): "wasserstein" (numbers, in reference
# sds), "ks" (numbers: the Kolmogorov-Smirnov distance, 0 to 1; default 0.1), "psi"
# (population stability index, numbers on the reference's deciles; default 0.25),
# "jensen_shannon" (as above) and "chi2" (Cramer's V of the chi-square, 0 to 1; default 0.1).
[drift.columns]
# [drift.columns.order_id]
# role = "id"
# [drift.columns.price]
# test = "psi"
# threshold = 0.2

[alerts]
# Where each new alert goes besides `wb alerts list` (`wb alerts test` sends a sample one).
# A program and its arguments, run in the workspace folder with the alert as one JSON document
# on stdin, e.g. ["/usr/local/bin/notify", "--team", "demand"]; [] runs nothing.
command = []
# A file (relative to the workspace folder) that gets each alert as one JSON line; "" for none.
file = ""
# A command still running after this many seconds is stopped, and counts as failed...
timeout_s = 30
# ...and a failed delivery is tried this many times in all, waiting 1, 2, 4... seconds between.
attempts = 4

[tui.keymap]
# Remap the terminal UI's keys by binding id (`?` in the UI lists them), e.g.:
# quit = "ctrl+q"
# area_runs = "w"

[registry]
# A promotion to production is refused when the candidate's primary metric (rmse, or roc_auc for
# classifiers) is worse than the current production model's by more than this fraction.
promotion_margin = 0.01

[retrain]
# What `wb watch --retrain` trains a challenger on: "latest" (the drop alone), "all" (the drop
# and every version before it that keeps its contract) or a number of such versions, newest
# first (3 = the drop and the two before it).
window = "latest"
# What it does with a challenger that beat production on a drop: "promote" it, or "rollout":
# start a rollout (`wb rollout start`) putting it on [rollout] share of the segments first.
mode = "promote"

[rollout]
# `wb rollout status` gives a verdict once each arm has this many labelled rows ("collecting"
# before)...
min_labelled = 1000
# ..."promote" when the challenger's metric (rmse, or roc_auc for classifiers) is better than
# the champion's by at least this fraction, with the bootstrap interval of the difference clear
# of zero...
margin = 0.02
# ..."rollback" when it is worse by more than this fraction, the interval clear of zero; "hold"
# otherwise.
guardrail = 0.1
# What `wb watch --retrain` starts a rollout with ([retrain] mode = "rollout"): the column whose
# values are the segments, and the percent of them on the challenger.
segment = "store_id"
share = 20

[compute]
# The Dask cluster that `wb train` runs a sweep's runs on, e.g. "tcp://10.0.0.5:8786" (needs
# `pip install "wb-workbench[dask]"`); "" trains on this machine. `--cluster` overrides it.
cluster = ""

[bundles]
# `wb import` refuses a bundle whose objects come to more than this many megabytes expanded
# (a compressed bundle can unpack to far more than its file's size).
max_expanded_mb = 10240
"""

DEFAULTS: dict[str, dict[str, Any]] = tomllib.loads(DEFAULT_CONFIG_TEXT)  # the file's tables


@dataclass(frozen=True)
class Rule:
    """The values a setting may take: a number (or a whole number) from `low` to `high`."""

    integer: bool = False
    low: float = 0.0
    high: float = math.inf
    low_open: bool = False  # `low` itself is not allowed

    def allows(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int if self.integer else (int, float)):
            return False
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high and math.isfinite(value)

    def problem(self, value: Any) -> str | None:
        """What is wrong with `value`, as the end of a sentence naming it; None if nothing."""
        return None if self.allows(value) else f"must be {self.describe()}, not {shown(value)}"

    def describe(self) -> str:
        kind = "a whole number" if self.integer else "a number"
        low, high = _number(self.low), _number(self.high)
        if not math.isfinite(self.high):
            return f"{kind} {'above' if self.low_open else 'of at least'} {low}"
        if self.low_open:
            return f"{kind} above {low} and at most {high}"
        return f"{kind} from {low} to {high}"


WINDOW_WORDS = {"latest": 1, "all": 0}


@dataclass(frozen=True)
class Window(Rule):
    """A number of versions, or "latest" (1) or "all" (0, as `TrainSpec.window` takes it)."""

    def allows(self, value: Any) -> bool:
        return value in WINDOW_WORDS or super().allows(value)

    def describe(self) -> str:
        return '"latest", "all" or ' + super().describe()

    def versions(self, value: Any) -> int:
        return WINDOW_WORDS[value] if isinstance(value, str) else value


@dataclass(frozen=True)
class Strings(Rule):
    """A list of strings: a program and its arguments (alerts.command)."""

    def allows(self, value: Any) -> bool:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)

    def describe(self) -> str:
        return "a list of strings (a program and its arguments)"


@dataclass(frozen=True)
class Choice(Rule):
    """One of a few words (retrain.mode)."""

    words: tuple[str, ...] = ()

    def allows(self, value: Any) -> bool:
        return value in self.words

    def describe(self) -> str:
        return " or ".join(json.dumps(w) for w in self.words)


@dataclass(frozen=True)
class Text(Rule):
    """A string (alerts.file, compute.cluster)."""

    def allows(self, value: Any) -> bool:
        return isinstance(value, str)

    def describe(self) -> str:
        return "a string"


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def shown(value: Any) -> str:
    """A value as the user wrote it in TOML or on the command line: true, "abc", 1e+999."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return json.dumps(value, default=str)


WINDOW = Window(integer=True, low=1)  # retrain.window

# Every setting in DEFAULTS that is a number (or may be one), with the values the code using it
# can take (tests/core/test_config.py checks that no number is missing), and the settings that
# are lists or strings whose type the code relies on.
RULES: dict[str, dict[str, Rule]] = {
    "store": {"gc_grace_hours": Rule()},
    "data": {
        "histogram_bins": Rule(integer=True, low=1),
        "top_values": Rule(integer=True),
        "memory_budget_mb": Rule(integer=True, low=1),
    },
    "drift": {
        "numeric_threshold": Rule(),
        "categorical_threshold": Rule(high=1),
        "missing_share_threshold": Rule(high=1),
        "false_discovery_rate": Rule(high=1, low_open=True),
        "categorical_max_distinct": Rule(integer=True),
        "dataset_drift_share": Rule(high=1),
        "performance_degradation": Rule(),
        "classifier_auc_threshold": Rule(low=0.5, high=1),
        "classifier_max_rows": Rule(integer=True, low=1),
    },
    "alerts": {
        "command": Strings(),
        "file": Text(),
        "timeout_s": Rule(low_open=True),
        "attempts": Rule(integer=True, low=1),
    },
    "registry": {"promotion_margin": Rule()},
    "bundles": {"max_expanded_mb": Rule(integer=True, low=1)},
    "retrain": {"window": WINDOW, "mode": Choice(words=("promote", "rollout"))},
    "rollout": {
        "min_labelled": Rule(integer=True, low=1),
        "margin": Rule(),
        "guardrail": Rule(),
        "segment": Text(),
        "share": Rule(high=100, low_open=True),
    },
    "compute": {"cluster": Text()},
}
# Tables whose keys are the user's to choose; their values are strings.
FREE_TABLES = {("tui", "keymap")}
# Tables another module reads and checks: `[remote.NAME]` (workbench.core.remotes.settings).
CHECKED_ELSEWHERE = {"remote"}


class ConfigWarning(Caution):
    """A setting wb does not know (a typo, most likely): ignored, and said on stderr."""


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not valid TOML: {exc}") from None


# -- the settings, typed: one record per section of the file -------------------------------
@dataclass(frozen=True)
class StoreSettings:
    gc_grace_hours: float


@dataclass(frozen=True)
class DataSettings:
    histogram_bins: int
    top_values: int
    memory_budget_mb: int  # what reading one file may use; bigger files are read in batches


# A column's role in a drift check, and the tests a feature or target may be given instead of
# its default (explained in DEFAULT_CONFIG_TEXT); the tests whose score runs from 0 to 1.
DRIFT_ROLES = ("feature", "id", "ignored", "target", "time")
DRIFT_TESTS = ("wasserstein", "ks", "psi", "jensen_shannon", "chi2")
BOUNDED_TESTS = ("ks", "jensen_shannon", "chi2")
DRIFT_COLUMNS = ("drift", "columns")  # the table of them: its keys are column names


@dataclass(frozen=True)
class DriftColumn:
    """`[drift.columns.NAME]`: what a drift check makes of one column (None: its default)."""

    role: str | None = None
    test: str | None = None
    threshold: float | None = None


def one_of(choices: tuple[str, ...]) -> str:
    """'one of "a", "b" or "c"': the values a setting may take, in a sentence."""
    quoted = [f'"{c}"' for c in choices]
    return "one of " + ", ".join(quoted[:-1]) + " or " + quoted[-1]


def drift_columns(where: str, table: Any) -> dict[str, DriftColumn]:
    """The `[drift.columns]` table (read from `where`) as records; InvalidInput names a
    setting that is not a table, a role or test wb does not have, or a threshold out of range
    (`load` warns of unknown settings)."""
    if not isinstance(table, dict):
        raise InvalidInput(
            f"{where}: drift.columns must be a table of columns ([drift.columns.NAME]), not {shown(table)}"
        )
    out = {}
    for name, spec in table.items():
        at = f"{where}: drift.columns.{name}"
        if not isinstance(spec, dict):
            raise InvalidInput(f"{at} must be a table (role, test, threshold), not {shown(spec)}")
        role, test, threshold = spec.get("role"), spec.get("test"), spec.get("threshold")
        if role is not None and role not in DRIFT_ROLES:
            raise InvalidInput(f"{at}.role must be {one_of(DRIFT_ROLES)}, not {shown(role)}")
        if test is not None and test not in DRIFT_TESTS:
            raise InvalidInput(f"{at}.test must be {one_of(DRIFT_TESTS)}, not {shown(test)}")
        problem = threshold is not None and Rule(high=1 if test in BOUNDED_TESTS else math.inf).problem(
            threshold
        )
        if problem:
            raise InvalidInput(f"{at}.threshold {problem}")
        out[str(name)] = DriftColumn(role, test, None if threshold is None else float(threshold))
    return out


@dataclass(frozen=True)
class DriftSettings:
    """What `wb drift check` calls drift (each setting is explained in DEFAULT_CONFIG_TEXT)."""

    numeric_threshold: float
    categorical_threshold: float
    missing_share_threshold: float
    false_discovery_rate: float
    categorical_max_distinct: int
    dataset_drift_share: float
    performance_degradation: float
    classifier_auc_threshold: float
    classifier_max_rows: int
    columns: dict[str, DriftColumn]  # [drift.columns.NAME]


@dataclass(frozen=True)
class AlertSettings:
    """Where new alerts are delivered (each setting is explained in DEFAULT_CONFIG_TEXT)."""

    command: list[str]  # a program and its arguments; [] for none
    file: str  # relative to the workspace root; "" for none
    timeout_s: float
    attempts: int

    @property
    def configured(self) -> bool:
        return bool(self.command or self.file)


@dataclass(frozen=True)
class TuiSettings:
    keymap: dict[str, str] = field(default_factory=dict)  # binding id -> keys


@dataclass(frozen=True)
class RegistrySettings:
    promotion_margin: float


@dataclass(frozen=True)
class RetrainSettings:
    window: int  # versions to train on, newest first: 1 for "latest", 0 for "all"
    mode: str = "promote"  # or "rollout": a winning challenger starts a rollout


@dataclass(frozen=True)
class RolloutSettings:
    """When `wb rollout status` gives a verdict (each setting is explained in
    DEFAULT_CONFIG_TEXT)."""

    min_labelled: int
    margin: float
    guardrail: float
    segment: str
    share: float


@dataclass(frozen=True)
class ComputeSettings:
    cluster: str  # a Dask scheduler's address; "" for this machine


@dataclass(frozen=True)
class BundleSettings:
    max_expanded_mb: int


@dataclass(frozen=True)
class Config:
    """A workspace's `.wb/config.toml` over the defaults, checked: read once per Workspace."""

    store: StoreSettings
    data: DataSettings
    drift: DriftSettings
    alerts: AlertSettings
    tui: TuiSettings
    registry: RegistrySettings
    retrain: RetrainSettings
    rollout: RolloutSettings
    compute: ComputeSettings
    bundles: BundleSettings

    @classmethod
    def from_sections(cls, sections: dict[str, dict[str, Any]]) -> Config:
        """From checked TOML tables (every key present); a TOML integer where a float is
        meant becomes a float, a retraining window its number of versions and each
        `[drift.columns.NAME]` a DriftColumn."""
        values: dict[str, dict[str, Any]] = {
            "retrain": {"window": WINDOW.versions(sections["retrain"]["window"])},
            "drift": {"columns": drift_columns("config", sections["drift"]["columns"])},
        }
        kinds = get_type_hints(cls)  # the section records, not their names (annotations are strings here)
        return cls(
            **{
                f.name: _section(kinds[f.name], {**sections[f.name], **values.get(f.name, {})})
                for f in fields(cls)
            }
        )


Section = TypeVar("Section", bound="DataclassInstance")  # one of the records above


def _section(kind: type[Section], values: dict[str, Any]) -> Section:
    hints = get_type_hints(kind)
    return kind(
        **{
            f.name: float(values[f.name]) if hints[f.name] is float else values[f.name]
            for f in fields(kind)
            if f.name in values
        }
    )


def load(path: Path) -> Config:
    """The settings in `path` over the defaults; a missing file means all defaults. A value of
    the wrong type or out of range is an error; an unknown key or section a ConfigWarning."""
    user = read_toml(path) if path.exists() else {}
    _check(path, user, DEFAULTS, ())
    merged = {section: dict(values) for section, values in DEFAULTS.items()}
    for section, values in user.items():
        if section in merged:
            merged[section].update(values)
    return Config.from_sections(merged)


def _check(path: Path, given: dict[str, Any], known: dict[str, Any], where: tuple[str, ...]) -> None:
    for key, value in given.items():
        name = ".".join((*where, key))
        if not where and key in CHECKED_ELSEWHERE:
            continue
        if (*where, key) == DRIFT_COLUMNS:
            drift_columns(str(path), value)  # refuses what is wrong; what is unknown is said below
            for column, spec in value.items():
                _check(path, spec, {f.name: None for f in fields(DriftColumn)}, (*where, key, column))
            continue
        if key not in known:
            near = difflib.get_close_matches(key, list(known), n=1)
            hint = f"; did you mean {'.'.join((*where, near[0]))}?" if near else ""
            warnings.warn(ConfigWarning(f"{path}: unknown setting {name}, ignored{hint}"), stacklevel=2)
        elif isinstance(known[key], dict):
            if not isinstance(value, dict):
                raise InvalidInput(
                    f"{path}: {name} must be a table ([{name}] with its "
                    f"settings under it), not {shown(value)}"
                )
            if (*where, key) in FREE_TABLES:
                _check_strings(path, name, value)
            else:
                _check(path, value, known[key], (*where, key))
        else:
            rule = RULES.get(where[0], {}).get(key) if len(where) == 1 else None
            problem = rule and rule.problem(value)
            if problem:
                raise InvalidInput(f"{path}: {name} {problem}")


def _check_strings(path: Path, table: str, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if not isinstance(value, str):
            raise InvalidInput(f"{path}: {table}.{key} must be a string, not {shown(value)}")


DEFAULT = Config.from_sections(DEFAULTS)  # what a workspace without a config.toml has
