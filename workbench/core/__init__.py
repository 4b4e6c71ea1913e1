"""The domain of wb. Imports no textual, typer or rich: plain functions over a Workspace.

`storage/` (the workspace, its database and object store), `data/` (dataset versions,
profiles, contracts), `experiments/` (runs, tracking, training, sweeps), `monitoring/` (drift,
alerts, the watcher, retraining) and `models/` (the registry, scoring, bundles); beside them
what all of those use: `errors`, `names`, `config`, `events` (the audit log), `metrics`,
`timeutil`, and the two read across everything: `status` and `demo`.
"""
