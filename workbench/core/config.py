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
