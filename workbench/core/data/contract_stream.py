"""A contract's checks on a file bigger than memory: each batch checked, the counts added up,
and the same violations, in the same words, as `contracts.validate` of the whole frame.

Everything adds up exactly but the key: its check keeps a 64-bit hash of every different key
(8 bytes each; two different keys share a hash with odds of about rows**2 / 2**65, one in
3,000 at 100 million rows). More different keys than a share of the budget holds are counted
in further passes over the file, each keeping the hashes of one part of the hash space.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from . import contracts, streaming, trees

KEY_SHARE = 8  # the key's hashes may take this share of the budget (merging takes 2-3x more)
KEY_PART_ROOM = 1.25  # parts of the hash space are not all the same size: room for the biggest


def validate_file(
    path: Path | trees.Tree, fmt: str, contract: dict[str, Any], budget_mb: int
) -> list[contracts.Violation]:
    """`contracts.validate` of the file at `path`, read in batches."""
    checks = ContractChecks(contract, budget_mb)
    streaming.read_in_batches(path, fmt, budget_mb, [checks])
    return checks.violations(path, fmt)


class ContractChecks:
    """A `streaming.Sink` that runs a contract's checks on every batch."""

    def __init__(self, contract: dict[str, Any], budget_mb: int):
        self.contract = contract
        self.budget_mb = budget_mb
        self.reset()

    def reset(self) -> None:
        self.rows = 0
        self.present: list[str] = []
        self.facts: dict[str, contracts.ColumnFacts] = {}
        self.key: list[str] = []
        self.keys = _KeyHashes(self.budget_mb)

    def update(self, batch: pl.DataFrame) -> None:
        if not self.present:
            self.present = batch.columns
            self.key = contracts.checked_key(self.contract, self.present)
        self.rows += batch.height
        for name, spec in self.contract["columns"].items():
            if name in batch.columns:
                found = contracts.column_facts(batch.get_column(name), spec)
                self.facts[name] = self.facts[name] + found if name in self.facts else found
        if self.key:
            self.keys.add(_key_hashes(batch, self.key))

    def violations(self, path: Path | trees.Tree, fmt: str) -> list[contracts.Violation]:
        """The violations, once a pass over the file at `path` has fed every batch (after
        further passes for the key, when its hashes outgrew their share of the budget)."""
        dupes = 0
        if self.key:
            distinct = self.keys.count()
            if distinct is None:
                distinct = _count_in_parts(path, fmt, self.key, self.rows, self.budget_mb)
            dupes = self.rows - distinct
        return contracts.violations(self.contract, self.rows, self.present, self.facts, dupes)


def _key_hashes(batch: pl.DataFrame, key: list[str]) -> np.ndarray:
    return batch.select(pl.struct(key).hash(seed=0)).to_series().to_numpy()


class _KeyHashes:
    """The different 64-bit hashes seen, up to a cap from the budget (then `count` is None).
    Batches' hashes wait in a list and are merged once they outnumber the merged ones, so each
    hash is sorted a few times, not once per batch."""

    def __init__(self, budget_mb: int, part: tuple[int, int] = (0, 1)):
        self.cap = max(1, budget_mb * 2**20 // KEY_SHARE // 8)
        self.part = part  # (which, of how many): keep only the hashes h with h % how_many == which
        self.merged = np.empty(0, dtype=np.uint64)
        self.pending: list[np.ndarray] = []
        self.waiting = 0
        self.overflowed = False

    def add(self, hashes: np.ndarray) -> None:
        if self.overflowed:
            return
        which, parts = self.part
        if parts > 1:
            hashes = hashes[hashes % np.uint64(parts) == np.uint64(which)]
        self.pending.append(np.unique(hashes))
        self.waiting += self.pending[-1].size
        if self.waiting > max(self.merged.size, 1 << 16):
            self._merge()

    def _merge(self) -> None:
        self.merged = np.unique(np.concatenate([self.merged, *self.pending]))
        self.pending, self.waiting = [], 0
        if self.merged.size > self.cap:
            self.overflowed, self.merged = True, np.empty(0, dtype=np.uint64)

    def count(self) -> int | None:
        if not self.overflowed:
            self._merge()
        return None if self.overflowed else int(self.merged.size)


class _KeyPart:
    """A sink that counts the different keys of one part of the hash space."""

    def __init__(self, key: list[str], budget_mb: int, part: tuple[int, int]):
        self.key, self.budget_mb, self.part = key, budget_mb, part
        self.reset()

    def reset(self) -> None:
        self.hashes = _KeyHashes(self.budget_mb, self.part)

    def update(self, batch: pl.DataFrame) -> None:
        self.hashes.add(_key_hashes(batch, self.key))


def _count_in_parts(path: Path | trees.Tree, fmt: str, key: list[str], rows: int, budget_mb: int) -> int:
    """The different keys of the file, counted a part of the hash space per pass: as many parts
    as it takes for the most keys there can be (one per row) to fit the budget's share."""
    parts = math.ceil(rows * KEY_PART_ROOM / _KeyHashes(budget_mb).cap)
    while True:
        total = 0
        for which in range(parts):
            sink = _KeyPart(key, budget_mb, (which, parts))
            streaming.read_in_batches(path, fmt, budget_mb, [sink])
            count = sink.hashes.count()
            if count is None:  # an unlucky part: more of them
                break
            total += count
        else:
            return total
        parts *= 2
