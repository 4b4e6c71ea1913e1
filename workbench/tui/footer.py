"""The Footer of every wb screen: `? help` and `q quit` kept at its right end however little
room the keys have, and the keys of what has focus: while a text field has it (the find line,
the runs filter) the keys that type there are left out, since pressing them types."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.keys import key_to_character
from textual.widgets import Footer, Input
from textual.widgets._footer import FooterKey, FooterLabel

KEPT = ("help", "quit")  # the app's actions whose keys never scroll out of sight


class WbFooter(Footer):
    DEFAULT_CSS = """
    WbFooter #kept_keys {
        dock: right;
        width: auto;
        padding-left: 1;
        border-left: vkey $foreground 20%;
        background: $footer-background;
    }
    """

    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)

    def compose(self) -> ComposeResult:
        typing = isinstance(self.screen.focused, Input)
        kept = []
        for widget in super().compose():
            # While typing, a group's label goes too: its keys (1-5, [ ]) are characters.
            if typing and (
                isinstance(widget, FooterLabel) or (isinstance(widget, FooterKey) and _types(widget))
            ):
                continue
            if isinstance(widget, FooterKey) and widget.action in KEPT:
                kept.append(widget)
            else:
                yield widget
        if kept:
            yield HorizontalGroup(*kept, id="kept_keys")


def _types(key: FooterKey) -> bool:
    """Whether the key is a character a text field takes (`q`, `/`, space) rather than a key
    that acts there (escape, enter, ctrl+e)."""
    # Textual names some characters it cannot map back (`slash`): their display is the
    # character itself, unlike a key's symbol (`⏎` for enter).
    display = key.key_display if len(key.key_display) == 1 and key.key_display.isascii() else None
    character = key_to_character(key.key) or display
    return character is not None and character.isprintable()
