"""Reaching a remote: each way of failing is one sentence naming the remote, exit 2."""

from __future__ import annotations

import io
import re

import pytest

from workbench.core.errors import EXIT_USAGE, WbError
from workbench.core.remotes.connect import open_backend
from workbench.core.remotes.settings import Remote


def test_a_reachable_remote_stores_objects_under_its_prefix(s3):
    backend = open_backend(s3.remote("team/project"))
    written = backend.stage(io.BytesIO(b"shared bytes"))
    backend.commit(written)
    oid = written.oid
    assert (s3.folder / "team/project/objects/blake3" / oid[:2] / oid[2:]).read_bytes() == b"shared bytes"


def test_a_bucket_that_does_not_exist_is_said_so(s3):
    remote = Remote("team", "s3://no-such-bucket/x", s3.endpoint_url, False)
    with pytest.raises(
        WbError, match=re.escape(f"the bucket 'no-such-bucket' does not exist at {s3.endpoint_url}")
    ) as e:
        open_backend(remote)
    assert e.value.exit_code == EXIT_USAGE


def test_credentials_refused_or_missing_say_where_they_come_from(s3, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "not-the-key")
    with pytest.raises(WbError, match=r"refused the credentials.*AWS_ACCESS_KEY_ID"):
        open_backend(s3.remote("x"))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(WbError, match="needs credentials: set AWS_ACCESS_KEY_ID"):
        open_backend(s3.remote("x"))
