"""Names of things (datasets, models, experiments) and references to their versions."""

from __future__ import annotations

import difflib
import re

from .errors import InvalidInput

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def check_name(name: str, what: str) -> str:
    """`name` if it is a usable name; letters, digits, '.', '_' and '-', up to 100 characters."""
    if not NAME_RE.fullmatch(name):
        raise InvalidInput(
            f"{what} name {name!r} is not allowed: use ASCII letters, digits, '.', '_' and '-' "
            f"(starting with a letter or digit, at most 100 characters)"
        )
    return name


def split_ref(ref: str) -> tuple[str, str | None]:
    """`name@selector` into its parts; a bare name has no selector."""
    _check_text(ref, "reference")
    name, sep, selector = ref.partition("@")
    if sep and not selector:
        raise InvalidInput(f"reference {ref!r} has nothing after '@'")
    return name, (selector if sep else None)


def _check_text(text: str, what: str) -> None:
    """Refuse a lone surrogate (a byte that was not UTF-8 in argv or a file name): SQLite
    cannot be handed it, so it would crash the lookup instead of finding nothing."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(f"{what} {text!r} is not UTF-8 text (character {exc.start + 1})") from None


# SQLite's largest integer: no version, count or limit is ever larger.
MAX_INT = 2**63 - 1


def version_number(selector: str) -> int | None:
    """The version number a selector spells in ASCII digits, or None: superscripts and
    Arabic-Indic digits are digits to Python but not a version to a user. A number too large
    to exist names no version."""
    if not (selector.isascii() and selector.isdigit()):
        return None
    return min(int(selector), MAX_INT)


def bounded(n: int) -> int:
    """A count or limit from the user, within what SQLite can compare with."""
    return max(-MAX_INT, min(n, MAX_INT))


def plural(n: int, noun: str, many: str | None = None) -> str:
    """`1 violation`, `2 violations`; `many` for a noun that does not just take an s
    (`1 unseen category`, `3 unseen categories`)."""
    return f"{n} {noun if n == 1 else many or noun + 's'}"


ID_LENGTH = 12  # how much of a run id, report id or hash wb shows: one length everywhere


def short_id(full: str) -> str:
    """A run id, report id or object hash as wb shows it (a unique prefix as wb takes it)."""
    return full[:ID_LENGTH]


def parse_assignment(text: str, option: str) -> tuple[str, str]:
    """`KEY=VALUE` from the command line (`--param`, `--sweep`, `--tag`), split at the first `=`."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InvalidInput(f"{option} takes KEY=VALUE, not {text!r}")
    if not value.strip():
        raise InvalidInput(f"{option} {key.strip()}= has no value")
    return key.strip(), value


def parse_tags(items: list[str], option: str = "--tag") -> dict[str, str]:
    return dict(parse_assignment(item, option) for item in items)


def did_you_mean(word: str, known: list[str], before: str = "; ", after: str = "") -> str:
    """` (did you mean production?)` for the known name closest to a mistyped one (the one
    it begins, `prod`; else the nearest by difflib), or ""."""
    by_lower = {k.lower(): k for k in known if k != word}
    near = [k for k in by_lower if k.startswith(word.lower())] or difflib.get_close_matches(
        word.lower(), list(by_lower), n=1, cutoff=0.6
    )
    return f"{before}did you mean {by_lower[near[0]]}?{after}" if near else ""
