"""The domain of wb. Imports no textual, typer or rich: plain functions over a Workspace."""
