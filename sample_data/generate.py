"""Regenerate the committed sample drops (``sample_data/drops/``).

The generator itself lives in the package (``workbench/core/data/sample_data.py``), so that an
installed wb can build its demo without this folder; this script only gives it a command line
and the repository's default output folder.

Usage::

    python sample_data/generate.py [--out DIR] [--seed N]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

try:
    from workbench.core.data import sample_data
except ModuleNotFoundError:  # run from a checkout where wb is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from workbench.core.data import sample_data

DEFAULT_SEED = sample_data.DEFAULT_SEED
DEFAULT_OUT = Path(__file__).resolve().parent / "drops"
generate = sample_data.generate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the sample retail demand drops.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    for path in generate(args.out, args.seed):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
