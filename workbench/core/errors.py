"""The one exception family of wb: a message for the user and the exit code SPEC.md gives it."""

from __future__ import annotations

EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


class WbError(Exception):
    """An error the user can act on. `str(error)` is the one sentence they see."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self)


class NotFound(WbError):
    """A reference, file or workspace that does not exist."""


class Ambiguous(WbError):
    """A reference that matches more than one thing."""


class InvalidInput(WbError):
    """Input that cannot be used: a bad name, an unreadable or malformed file."""


class IntegrityError(WbError):
    """Stored bytes that no longer match their hash."""

    exit_code = EXIT_CHECK_FAILED


class Caution(UserWarning):
    """Something the user should know that does not stop the command (training on an INVALID
    version, an unknown setting): the CLI says it on stderr as `warning: ...`."""
