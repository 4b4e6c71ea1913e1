"""Where a workspace keeps things: the folder (`workspace`), its SQLite database (`db`,
`schema`), the content-addressed object store (`store`, over a `backend` whose one
implementation is the local folder, `local_backend`; `hashing`), committed records kept as
objects in it and indexed in the database (`records`), file locks, the failures of
the ground underneath (`failures`: full disks, read-only folders, damaged databases), and the
checks and clean-up over all of it (`maintenance`: fsck, gc)."""
