"""What each result says, as lines and cells, for the CLI and the TUI alike: one presenter per
result, so the two interfaces never word the same fact twice. No rich or textual here: each
interface styles what it is given (a Note's `level` says how loud)."""
