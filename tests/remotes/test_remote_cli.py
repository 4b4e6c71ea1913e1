"""`wb remote add | list | remove`: what a user types, sees and finds in .wb/config.toml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_import_hygiene import _modules_after

CONFIG = Path(".wb/config.toml")


def listed(wb) -> list[dict]:
    return json.loads(wb("remote", "list", "--json").stdout)


def test_remotes_are_added_listed_and_removed(wb, tmp_path):
    assert (
        "added remote origin: s3://bucket/team at http://127.0.0.1:9000"
        in wb(
            "remote", "add", "origin", "s3://bucket/team/", "--endpoint-url", "http://127.0.0.1:9000/"
        ).stdout
    )
    wb("remote", "add", "usb", "usb-drive")
    wb("remote", "add", "stick", f"file://{tmp_path}/stick")
    assert listed(wb) == [
        {
            "name": "origin",
            "url": "s3://bucket/team",
            "endpoint_url": "http://127.0.0.1:9000",
            "default": False,
        },
        {"name": "stick", "url": str(tmp_path / "stick"), "endpoint_url": None, "default": False},
        {"name": "usb", "url": str(tmp_path / "usb-drive"), "endpoint_url": None, "default": False},
    ]
    human = wb("remote", "list").stdout
    assert "origin" in human and "s3://bucket/team" in human and "http://127.0.0.1:9000" in human
    assert "removed remote usb" in wb("remote", "remove", "usb").stdout
    assert [r["name"] for r in listed(wb)] == ["origin", "stick"]


def test_the_config_keeps_its_comments_and_holds_no_credentials(wb):
    before = CONFIG.read_text()
    wb("remote", "add", "origin", "s3://bucket", "--endpoint-url", "http://127.0.0.1:9000")
    text = CONFIG.read_text()
    assert text.startswith(before) and "[remote.origin]" in text
    assert "key" not in text[len(before) :].lower() and "secret" not in text.lower()
    assert "unknown setting" not in wb("status").stderr  # the table is known to wb
    wb("remote", "remove", "origin")
    assert CONFIG.read_text().rstrip() == before.rstrip()  # at most a blank line left at the end


def test_default_is_one_remote_at_a_time(wb, tmp_path):
    wb("remote", "add", "a", "a", "--default")
    assert "(default)" in wb("remote", "add", "b", "b", "--default").stdout
    assert {r["name"]: r["default"] for r in listed(wb)} == {"a": False, "b": True}


@pytest.mark.parametrize(
    "args, said",
    [
        (["gs://bucket/x"], "is not one wb can use"),
        (["https://example.com/wb"], "is not one wb can use"),
        (["s3://"], "names no usable bucket"),
        (["s3://bucket/../x"], "'..'"),
        (["file://otherhost/x"], "names another host"),
        (["folder", "--endpoint-url", "http://127.0.0.1:9000"], "is for an s3:// remote"),
        (["s3://bucket", "--endpoint-url", "127.0.0.1:9000"], "is not an http:// or https://"),
        (["s3://bucket", "--endpoint-url", "http://key:secret@127.0.0.1:9000"], "must not carry credentials"),
        (["s3://key:secret@bucket"], "names no usable bucket"),
    ],
)
def test_a_url_wb_cannot_use_is_one_sentence_and_writes_nothing(wb, args, said):
    before = CONFIG.read_text()
    result = wb("remote", "add", "origin", *args, code=2)
    assert said in result.stderr and result.stderr.count("\n") == 1 and result.stdout == ""
    assert CONFIG.read_text() == before


def test_a_file_is_not_a_folder_remote(wb, tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    assert "is a file, not a folder" in wb("remote", "add", "usb", "notes.txt", code=2).stderr
    inside = wb("remote", "add", "usb", "notes.txt/wb", code=2).stderr  # a push could never make it
    assert f"wb is inside {tmp_path / 'notes.txt'}, a file, not a folder" in inside


def test_a_bad_name_is_refused(wb):
    assert "remote name 'my remote' is not allowed" in wb("remote", "add", "my remote", "x", code=2).stderr


def test_a_name_is_taken_once(wb):
    wb("remote", "add", "origin", "s3://bucket")
    before = CONFIG.read_text()
    said = wb("remote", "add", "origin", "elsewhere", code=2).stderr
    assert "a remote named 'origin' already exists (s3://bucket)" in said
    assert CONFIG.read_text() == before


def test_removing_an_unknown_remote_names_the_known_ones(wb):
    wb("remote", "add", "origin", "s3://bucket")
    said = wb("remote", "remove", "orign", code=2).stderr
    assert "no remote named 'orign' (remotes: origin); did you mean origin?" in said
    assert "this workspace has no remote" not in said


def test_no_remotes_says_how_to_add_one(wb):
    assert listed(wb) == []
    assert "wb remote add NAME URL" in wb("remote", "list").stdout


@pytest.mark.parametrize("argv", [["--help"], ["remote", "list"]])
def test_remote_commands_start_without_the_s3_libraries(wb, argv):
    code = (
        "from workbench.cli.main import app\n"
        f"try:\n    app({argv!r}, prog_name='wb')\nexcept SystemExit as e:\n    assert not e.code, e.code"
    )
    loaded = _modules_after(code, cwd=Path.cwd())
    assert not loaded & {"fsspec", "s3fs", "botocore", "aiobotocore", "tomlkit"}


def test_a_hand_edited_remote_wb_cannot_use_is_named(wb):
    with CONFIG.open("a") as f:
        f.write('\n[remote.usb]\nurl = "relative/folder"\n')
    said = wb("remote", "list", code=2).stderr
    assert (
        "[remote.usb]: url 'relative/folder' must be s3://BUCKET/PREFIX or a folder's absolute path" in said
    )
