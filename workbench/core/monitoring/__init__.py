"""Watching data in production: drift checks (`drift` runs and stores them, from the per-feature
tests in `statistics` and the model-based ones in `model_checks`, whose work on the same data a
`batch` of checks does once; each column as `roles` plans it: feature, id, ignored, target or
time; their reports are the records in `records`), alerts
(sent on to the config's `[alerts]` command and file by `alert_delivery`), the folder watcher,
and retraining a challenger when a drop calls for it (`retraining`)."""
