"""The wb terminal UI (textual). Calls workbench.core from worker threads; no SQL here."""
