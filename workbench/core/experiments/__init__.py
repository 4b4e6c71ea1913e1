"""Runs: their records (`runs` reads and writes them, `records` is their typed shape;
`run_names`, `environment`, `run_logs`), logging from a user's script (`tracking`), the
`--where` language (`query`), the built-in trainers (`training`, `estimators`), sweeps,
launching programs as runs (`launcher`), and comparing and reproducing them (`comparison`)."""
