"""Watching data in production: drift checks and their reports (`drift`), alerts, the folder
watcher, and retraining a challenger when a drop calls for it (`retraining`)."""
