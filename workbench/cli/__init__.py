"""The `wb` command line (typer): parses, calls workbench.core, renders. No SQL, no statistics."""
