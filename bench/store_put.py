"""Storing a large file in the object store vs `cp SRC DST && sync` of the same file.

    python bench/store_put.py [--size-mb 1024] [--repeat 3] [--dir PATH]

`ObjectStore(LocalBackend(root)).put_file(path)` reads, hashes (BLAKE3), writes, fsyncs and renames; the
baseline copies the same bytes with cp and flushes them with sync. Both read the same source,
which is written, flushed and read once before the runs so that it is warm in the page cache;
every destination is deleted and the deletion flushed before the next run, outside the timing.
A first, untimed round lets the disk finish with the source; the timed rounds alternate the
order of the methods. Target: store / (cp + sync) <= 1.5, best of N (default 5).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

from _common import MIB, med, parser, read_through, remove, result, scratch, sync, table, timed

from workbench.core.storage import hashing
from workbench.core.storage.local_backend import LocalBackend
from workbench.core.storage.store import ObjectStore

TARGET = 1.5
BLOCK = 16 * MIB


def make_source(path: Path, size: int) -> None:
    """`size` bytes that do not repeat (so nothing underneath can dedup or compress them)."""
    rng = random.Random(1)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(BLOCK, left)
            f.write(rng.randbytes(n))
            left -= n
        f.flush()
        os.fsync(f.fileno())


def cp_args() -> list[str]:
    """cp that really copies: GNU cp would otherwise reflink on btrfs or xfs (a near-free copy
    of metadata, not of bytes)."""
    version = subprocess.run(["cp", "--version"], capture_output=True, text=True)
    return ["cp", "--reflink=never"] if "GNU" in version.stdout else ["cp"]


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--size-mb", type=int, default=1024, help="size of the file in MiB (1024)")
    p.add_argument("--repeat", type=int, default=5, help="timed runs of each method (5)")
    args = p.parse_args()
    size = args.size_mb * MIB
    cp = cp_args()

    with scratch(args.dir, args.keep) as tmp:
        src = tmp / "source.bin"
        print(f"writing a {args.size_mb} MiB source file in {tmp} ...", flush=True)
        make_source(src, size)
        sync()
        read_through(src)

        dst = tmp / "copy.bin"
        root = tmp / "objects"

        def store() -> None:
            ObjectStore(LocalBackend(root), gc_lock=tmp / "gc.lock").put_file(src)

        def cp_sync() -> None:
            subprocess.run([*cp, "--", str(src), str(dst)], check=True)
            subprocess.run(["sync"], check=True)

        def cp_fsync_file() -> None:
            subprocess.run([*cp, "--", str(src), str(dst)], check=True)
            subprocess.run(["sync", "--", str(dst)], check=True)

        def hash_only() -> None:
            hashing.hash_file(src)

        methods = {  # name: (function, what to delete afterwards, short label)
            "ObjectStore.put_file": (store, root, "store"),
            "cp && sync (baseline)": (cp_sync, dst, "cp+sync"),
            "cp && sync DST (info)": (cp_fsync_file, dst, "cp+sync-dst"),
            "read + blake3 only (info)": (hash_only, None, "hash"),
        }
        names = list(methods)
        times: dict[str, list[float]] = {n: [] for n in names}
        print(f"1 untimed round, then {args.repeat} rounds of {len(names)} methods, interleaved", flush=True)
        for rep in range(-1, args.repeat):
            order = names if rep % 2 == 0 else names[::-1]
            for name in order:
                fn, dest, _ = methods[name]
                read_through(src)  # the same warm source for everyone
                elapsed = timed(fn)
                if rep >= 0:
                    times[name].append(elapsed)
                if dest is not None:
                    remove(dest)
                sync()
            if rep < 0:
                continue
            print(
                f"  round {rep + 1}: " + ", ".join(f"{methods[n][2]} {times[n][-1]:.2f}s" for n in names),
                flush=True,
            )

    base = min(times["cp && sync (baseline)"])
    rows = [
        (n, f"{min(t):.3f}", f"{med(t):.3f}", f"{size / min(t) / 1e6:.0f}", f"{min(t) / base:.2f}")
        for n, t in times.items()
    ]
    print()
    print(table(["method", "best s", "median s", "MB/s", "vs cp+sync"], rows))
    print()
    med_ratio = med(
        [s / c for s, c in zip(times["ObjectStore.put_file"], times["cp && sync (baseline)"], strict=True)]
    )
    ok = result(
        min(times["ObjectStore.put_file"]) / base,
        TARGET,
        extra=f"(store / cp+sync, best of {args.repeat}; median of pairs {med_ratio:.2f})",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
