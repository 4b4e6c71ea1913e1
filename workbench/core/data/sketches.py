"""Mergeable summaries for profiling data that arrives in batches (a file bigger than memory).

Each summary takes batches as numpy arrays, merges with another of its kind, and stays small
however many values it has seen:
- `QuantileSketch`: a KLL sketch (Karnin, Lang, Liberty 2016). Any quantile it answers has a
  rank within about `rank_error()` * n of the true one; its total weight is exactly n, so
  counts read off it sum to n.
- `DistinctCounter`: exact (a set of 64-bit value hashes) up to `exact_cap` values, then a
  HyperLogLog estimate (relative standard error 1.04 / sqrt(2**precision), 0.8% by default).
- `Moments`: count, mean and sum of squared deviations, exact.
"""

from __future__ import annotations

import math

import numpy as np

KLL_K = 4096  # the top level's capacity: rank error about 1.7 / KLL_K
KLL_SHRINK = 2 / 3  # each level below holds this much of the one above (KLL's c)
HLL_PRECISION = 14  # 2**14 one-byte registers
DISTINCT_EXACT_CAP = 100_000


class Moments:
    """The count, mean and sum of squared deviations (`m2`) of the numbers seen so far."""

    def __init__(self) -> None:
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0

    def update(self, values: np.ndarray) -> None:
        n = values.size
        if n == 0:
            return
        mean = float(values.mean())
        m2 = float(((values - mean) ** 2).sum())
        total = self.n + n
        delta = mean - self.mean
        # Chan et al.'s merge of two sets' moments: exact, and stable in floating point.
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.n * n / total
        self.n = total


class QuantileSketch:
    """Quantiles of a stream of floats in O(k) memory. Compaction picks odd or even items at
    random; the seed makes a profile reproducible."""

    def __init__(self, k: int = KLL_K, seed: int = 0):
        self.k = k
        self.n = 0
        self._levels: list[np.ndarray] = [np.empty(0)]
        self._rng = np.random.default_rng(seed)

    def update(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64)
        self._levels[0] = np.concatenate([self._levels[0], values])
        self.n += values.size
        self._compress()

    def merge(self, other: QuantileSketch) -> None:
        for h, items in enumerate(other._levels):
            if h == len(self._levels):
                self._levels.append(np.empty(0))
            self._levels[h] = np.concatenate([self._levels[h], items])
        self.n += other.n
        self._compress()

    def rank_error(self) -> float:
        """The normalised rank error quantiles stay within (with high probability): 0 while no
        compaction has happened (the sketch still holds every value)."""
        return 0.0 if len(self._levels) == 1 else 1.7 / self.k

    def _capacity(self, h: int) -> int:
        return max(2, math.ceil(self.k * KLL_SHRINK ** (len(self._levels) - 1 - h)))

    def _compress(self) -> None:
        h = 0
        while h < len(self._levels):
            items = self._levels[h]
            if items.size <= self._capacity(h):
                h += 1
                continue
            items = np.sort(items, kind="stable")  # a few sorted runs (batches come sorted): merged fast
            keep = items[: items.size % 2]  # an odd one out stays at its level
            pairs = items[keep.size :]
            promoted = pairs[self._rng.integers(2) :: 2]  # each carries twice the weight
            if h + 1 == len(self._levels):
                self._levels.append(np.empty(0))
            self._levels[h] = keep
            self._levels[h + 1] = np.concatenate([self._levels[h + 1], promoted])
            h = 0  # a new level shrinks every capacity: look again from the bottom

    def weighted(self) -> tuple[np.ndarray, np.ndarray]:
        """The held items, sorted, and the cumulative weight up to and including each."""
        items = np.concatenate(self._levels)
        weights = np.concatenate(
            [np.full(lvl.size, 2**h, dtype=np.int64) for h, lvl in enumerate(self._levels)]
        )
        order = np.argsort(items, kind="stable")
        return items[order], np.cumsum(weights[order])

    def quantiles(self, qs: list[float]) -> list[float]:
        return weighted_quantiles(*self.weighted(), qs)

    def counts_below(self, edges: list[float]) -> list[int]:
        return weighted_counts_below(*self.weighted(), edges)


def weighted_quantiles(items: np.ndarray, cum: np.ndarray, qs: list[float]) -> list[float]:
    """The values at fractions `qs` of the way through sorted `items` whose cumulative weights
    are `cum` (linear interpolation between closest ranks, as profile._quantile)."""
    n = int(cum[-1])
    out = []
    for q in qs:
        pos = q * (n - 1)
        below = math.floor(pos)
        lo = items[min(int(np.searchsorted(cum, below, side="right")), items.size - 1)]
        hi = items[min(int(np.searchsorted(cum, below + 1, side="right")), items.size - 1)]
        out.append(float(lo + (pos - below) * (hi - lo)))
    return out


def weighted_counts_below(items: np.ndarray, cum: np.ndarray, edges: list[float]) -> list[int]:
    """How much weight lies below each edge."""
    cuts = np.searchsorted(items, np.asarray(edges, dtype=np.float64), side="left")
    return [int(cum[c - 1]) if c else 0 for c in cuts]


class DistinctCounter:
    """How many different values a stream holds, from their 64-bit hashes."""

    def __init__(self, exact_cap: int = DISTINCT_EXACT_CAP, precision: int = HLL_PRECISION):
        self.exact_cap = exact_cap
        self.precision = precision
        self._registers = np.zeros(2**precision, dtype=np.uint8)
        self._exact: np.ndarray | None = np.empty(0, dtype=np.uint64)

    @property
    def approximate(self) -> bool:
        return self._exact is None

    def update(self, hashes: np.ndarray) -> None:
        hashes = np.asarray(hashes, dtype=np.uint64)
        if self._exact is not None:
            self._exact = np.union1d(self._exact, hashes)
            if self._exact.size > self.exact_cap:
                self._exact = None
        p = self.precision
        index = (hashes >> np.uint64(64 - p)).astype(np.intp)
        rest = hashes & np.uint64((1 << (64 - p)) - 1)
        # The register keeps the most leading zeros seen in the 64 - p bits after the index, + 1.
        bits = np.where(rest == 0, 0, np.frexp(rest.astype(np.float64))[1])
        rank = (64 - p - bits + 1).astype(np.uint8)
        np.maximum.at(self._registers, index, rank)

    def merge(self, other: DistinctCounter) -> None:
        if self._exact is not None and other._exact is not None:
            self._exact = np.union1d(self._exact, other._exact)
            if self._exact.size > self.exact_cap:
                self._exact = None
        else:
            self._exact = None
        np.maximum(self._registers, other._registers, out=self._registers)

    def count(self) -> int:
        if self._exact is not None:
            return int(self._exact.size)
        m = self._registers.size
        alpha = 0.7213 / (1 + 1.079 / m)
        estimate = alpha * m * m / float(np.sum(np.ldexp(1.0, -self._registers.astype(np.int64))))
        zeros = int(np.count_nonzero(self._registers == 0))
        if estimate <= 2.5 * m and zeros:  # small range: linear counting is closer
            estimate = m * math.log(m / zeros)
        return round(estimate)
