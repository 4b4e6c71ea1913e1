"""wb: a local-first MLOps workbench. The public Python API lives here, thin over core."""

__version__ = "0.1.0"
