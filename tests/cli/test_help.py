"""Help a user can read: every option and argument of every command says what it is, shown
by its name (`--where WHERE`, `REF`), never a Python type (`<str>`, `<list[str]>`); and a
short flag means one thing everywhere."""

from __future__ import annotations

import collections
import re

import pytest
import typer

from workbench.cli.commands import COMMANDS as COMMANDS_TABLE
from workbench.cli.main import app, name_placeholders

ROOT = typer.main.get_command(app)


def commands() -> list[tuple[str, object]]:
    name_placeholders(ROOT, recurse=False)  # what the root does before any help is shown
    found = [("wb", ROOT)]
    context = typer.Context(ROOT)
    for name in ROOT.list_commands(context):  # each loaded as running it would

        def walk(command, path):
            found.append((" ".join(path), command))
            for sub_name, sub in getattr(command, "commands", {}).items():
                walk(sub, [*path, sub_name])

        walk(ROOT.get_command(context, name), ["wb", name])
    return found


COMMANDS = commands()
# typer's placeholders for a value without a name: <str>, <int range>, <list[str]>, {ref}
TYPE_PLACEHOLDER = re.compile(r"<[a-z][a-z \[\]|,]*>|\{[a-z_]+\}")


def test_wb_help_lists_each_command_by_its_own_first_sentence(wb):
    """The listing comes from commands.py without loading the commands: it must say what
    each command's own help says."""
    listed = dict(re.findall(r"^  (\S+) +(.+)$", wb("--help").stdout.split("Commands:")[1], re.M))
    for path, command in COMMANDS:
        if path.count(" ") == 1:
            name = path.split()[1]
            assert COMMANDS_TABLE[name].summary == command.get_short_help_str(10_000), name
            assert listed[name].rstrip(".") in COMMANDS_TABLE[name].summary, name
    assert set(listed) == set(COMMANDS_TABLE)


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


def test_a_mistyped_command_gets_the_nearest_name(wb):
    assert "Did you mean 'status'?" in wb("staus", code=2).stderr
