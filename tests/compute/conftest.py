"""A real Dask cluster on this machine for the cluster tests: a LocalCluster of two worker
processes on 127.0.0.1, dashboard off, started once for the session and closed at its end."""

from __future__ import annotations

import os
import time

import pytest

distributed = pytest.importorskip("distributed")  # the `dask` extra, which `test` includes


@pytest.fixture(scope="session")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as local:
        yield local


@pytest.fixture
def client(cluster):
    """The test's own view of the cluster, with both workers up (a test may have killed one)."""
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as c:
        c.wait_for_workers(2, timeout=60)
        # A worker killed by the test before may still be listed until the scheduler notices:
        # only two that answer count, or a sweep's data is scattered to one live worker.
        deadline = time.monotonic() + 60
        while len(_answering(c)) < 2:
            assert time.monotonic() < deadline, "the cluster did not get its two workers back"
            time.sleep(0.1)  # between looks
        yield c


def _answering(client: distributed.Client) -> dict:
    """The workers that answer, by address."""
    try:
        found = client.run(os.getpid, on_error="return")
    except OSError:  # CommClosedError is one
        return {}
    return {address: pid for address, pid in found.items() if isinstance(pid, int)}
