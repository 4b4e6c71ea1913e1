"""A remote's `FsspecBackend`, and the one sentence for each way of failing to reach it.

fsspec, s3fs and botocore are imported here, inside the functions: only a command that uses a
remote pays for them (`wb --help` stays fast).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..errors import WbError
from .settings import S3_SCHEME, Remote

if TYPE_CHECKING:
    from .fsspec_backend import FsspecBackend

OBJECTS = "objects"  # under the remote's root, as under `.wb/`: the root keeps room for more
CREDENTIALS_HINT = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE for a profile in ~/.aws/credentials"
)


def open_backend(remote: Remote) -> FsspecBackend:
    """The objects of `remote`, checked to be reachable: its bucket exists and the credentials
    are accepted (a folder remote that does not exist yet is made on the first write)."""
    from .fsspec_backend import FsspecBackend

    if not remote.is_s3:
        from fsspec.implementations.local import LocalFileSystem

        return FsspecBackend(LocalFileSystem(), f"{remote.url}/{OBJECTS}", where=remote.url)
    import s3fs

    fs = s3fs.S3FileSystem(
        endpoint_url=remote.endpoint_url,
        use_listings_cache=False,  # another machine writes here too: never trust a cached listing
        skip_instance_cache=True,  # each remote its own client, with the credentials of now
    )
    bucket, _, prefix = remote.url[len(S3_SCHEME) :].partition("/")
    root = "/".join(p for p in (bucket, prefix, OBJECTS) if p)
    with reaching(remote):
        try:
            fs.info(bucket)  # one request; `exists` would take a refusal for an absent bucket
        except FileNotFoundError:
            raise WbError(
                f"remote {remote.name!r}: the bucket {bucket!r} does not exist at {_server(remote)}"
            ) from None
    return FsspecBackend(fs, root, where=remote.url)


def _server(remote: Remote) -> str:
    return remote.endpoint_url or "AWS S3"


@contextmanager
def reaching(remote: Remote) -> Iterator[None]:
    """Turn the ways a server refuses or cannot be reached into one sentence naming the remote."""
    from botocore.exceptions import BotoCoreError, NoCredentialsError

    try:
        yield
    except NoCredentialsError:
        raise WbError(
            f"remote {remote.name!r} ({remote.url}) needs credentials: {CREDENTIALS_HINT}"
        ) from None
    except PermissionError as exc:  # s3fs's word for AccessDenied and an unknown key
        raise WbError(
            f"remote {remote.name!r} ({remote.url}) refused the credentials: {exc}; {CREDENTIALS_HINT}"
        ) from None
    except (BotoCoreError, ConnectionError) as exc:
        raise WbError(f"cannot reach remote {remote.name!r} at {_server(remote)}: {exc}") from None
