"""`.wb/config.toml`: written commented by `wb init`, read with the defaults filled in."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .errors import InvalidInput

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

[drift]
# A numeric feature drifts when the Wasserstein distance between reference and current, in
# reference standard deviations, reaches this...
numeric_threshold = 0.1
# ...a categorical one when the Jensen-Shannon distance of its category shares (base 2, 0 to 1)
# reaches this...
categorical_threshold = 0.1
# ...or either when its share of missing values moves by this much (0.1 = 10 points).
missing_share_threshold = 0.1
# And only if the change is also significant (chi-square), with the false discovery rate across
# features held at this level (Benjamini-Hochberg): large samples pass this gate for changes of
# no practical size, which the thresholds above then reject; small ones fail it for noise.
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

[tui.keymap]
# Remap the terminal UI's keys by binding id (`?` in the UI lists them), e.g.:
# quit = "ctrl+q"
# area_runs = "w"

[registry]
# A promotion to production is refused when the candidate's primary metric (rmse, or roc_auc for
# classifiers) is worse than the current production model's by more than this fraction.
promotion_margin = 0.01
"""

DEFAULTS: dict[str, dict[str, Any]] = tomllib.loads(DEFAULT_CONFIG_TEXT)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not valid TOML: {exc}") from None


def load(path: Path) -> dict[str, dict[str, Any]]:
    """The settings in `path` over the defaults; a missing file means all defaults."""
    user = read_toml(path) if path.exists() else {}
    merged = {section: dict(values) for section, values in DEFAULTS.items()}
    for section, values in user.items():
        if isinstance(values, dict):
            merged.setdefault(section, {}).update(values)
    return merged
