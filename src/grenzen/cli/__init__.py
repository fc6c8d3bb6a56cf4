"""The `grenzen` command line, in Dutch."""

from ._main import main

__all__ = ["main"]
