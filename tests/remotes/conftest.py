from __future__ import annotations

from tests.cli.conftest import wb  # noqa: F401  (the CLI in a fresh workspace)
