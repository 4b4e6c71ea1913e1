"""Help a user can read: every option and argument of every command says what it is, shown
by its name (`--where WHERE`, `REF`), never a Python type (`<str>`, `<list[str]>`); and a
short flag means one thing everywhere."""

from __future__ import annotations

import collections
import re

import pytest
import typer

from workbench.cli.main import app, name_placeholders


def commands() -> list[tuple[str, object]]:
    root = typer.main.get_command(app)
    name_placeholders(root)  # what the root does before any help is shown
    found = []

    def walk(command, path):
        found.append((" ".join(path), command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(root, ["wb"])
    return found


COMMANDS = commands()
# typer's placeholders for a value without a name: <str>, <int range>, <list[str]>, {ref}
TYPE_PLACEHOLDER = re.compile(r"<[a-z][a-z \[\]|,]*>|\{[a-z_]+\}")


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS])
def test_help_names_every_value_and_explains_it(wb, path):
    result = wb(*path.split()[1:], "--help")
    assert not TYPE_PLACEHOLDER.search(result.stdout), result.stdout
    command = dict(COMMANDS)[path]
    unexplained = [
        p.name for p in command.params if not getattr(p, "hidden", False) and not getattr(p, "help", None)
    ]
    assert unexplained == [], f"{path}: {unexplained} have no help"


def test_a_short_flag_means_one_thing_everywhere():
    meanings = collections.defaultdict(set)
    for _, command in COMMANDS:
        for param in command.params:
            longs = [o for o in getattr(param, "opts", []) if o.startswith("--")]
            for short in (o for o in param.opts if o.startswith("-") and o[1] != "-"):
                meanings[short].add(longs[0] if longs else param.name)
    assert {k: v for k, v in meanings.items() if len(v) > 1} == {}
