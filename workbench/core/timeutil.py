"""Timestamps as wb stores and prints them: UTC, ISO 8601, millisecond precision."""

from __future__ import annotations

from datetime import datetime, timezone


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")
