"""Runs: their records (`runs` reads and writes them, `records` is their typed shape;
`run_names`, `environment`, `run_logs`), logging from a user's script (`tracking`), the
`--where` language (`query`), the built-in trainers (`training`, `estimators`), sweeps,
command runs' records (`command_runs`), the `executor` seam every launch of a run's process
goes through (`local_executor`: processes on this machine; `dask_executor`: a sweep's runs
on a Dask cluster), and comparing and reproducing
runs (`comparison`)."""
