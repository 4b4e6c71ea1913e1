"""Remotes: where a workspace's objects travel to and from (a bucket or a folder).

`settings` owns the `[remote.NAME]` tables of `.wb/config.toml` (add, list, remove, the
default); `fsspec_backend` is the `StoreBackend` over an fsspec file system (s3fs for S3, the
local one for a folder) and `connect` makes one for a remote; `transfer` copies the objects one
side lacks, verified; `sync` is push and pull over it (what travels, and how pulled records
are indexed), and `state` keeps where this workspace stood at the last of them; `rebuild`
indexes the local store's records into a new database (`wb fsck --rebuild`). fsspec and s3fs
are imported only when a remote is used.
"""
