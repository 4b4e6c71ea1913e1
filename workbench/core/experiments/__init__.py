"""Runs: their records (`runs` owns their tables, with the insert and get functions other
modules write and read them through; `records` is their typed shape; `run_names`,
`environment`, `run_logs`), logging from a user's script (`tracking`), the
`--where` language (`query`), the built-in trainers (`training`, `estimators`), sweeps
(`sweeps`: grids, and the random and TPE searches of `search`, on Optuna),
command runs' records (`command_runs`), the `executor` seam every launch of a run's process
goes through (`local_executor`: processes on this machine; `dask_executor`: a sweep's runs
on a Dask cluster), comparing and reproducing runs (`comparison`), and listing and fetching
what a run logged (`artifacts`)."""
