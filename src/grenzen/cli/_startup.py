"""The start-up of the ``grenzen`` program: Python's cyclic garbage collector waits until the command has its policy.

Why: ``grenzen advies CASUS`` is a short process. Its start-up (the imports, pydantic's validators, loading the
policy) creates some 35,000 objects that all live until the process ends; the collector runs about 110 times while
they pile up and, at exit, once more over all of them, and frees next to nothing: about 30 ms of a 310 ms run
(issue 12, point 3). So the program pauses the collector while it starts (``pause``). When start-up is over
(``end``) it freezes what start-up built (``gc.freeze``: moved to a permanent generation that no collection scans;
it lives until exit anyway, but for a few hundred objects in cycles that the imports leave, which stay too) and turns
the collector back on for whatever runs next: one advice, a batch of millions, ``controleer``, the server.

The program also loads no pydantic plugins (``shield``).

Only the program itself does this (``cli.main`` without arguments: the console script, ``python -m grenzen``); a
program or a test that calls ``main(argv)`` keeps its collector and its plugins as they are. A collector that was off
stays off.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from types import ModuleType
from typing import Any

_paused = False


def pause() -> None:
    """Start-up begins: pause the collector (when it runs and is not paused already)."""
    global _paused
    if not _paused and gc.isenabled():
        gc.disable()
        _paused = True


def end() -> None:
    """Start-up is over: freeze what it built and run the collector again (nothing when ``pause`` did not pause)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def shield() -> None:
    """The program loads no pydantic plugins (``PYDANTIC_DISABLE_PLUGINS``, for this process and the batch workers it
    forks): a plugin installed beside grenzen, an observability tool say, is handed every input that a model
    validates, so every case, and cases describe minors. It also spares the search for plugins, which reads the
    metadata of every installed package when the first validator is built (about 25 ms of ``grenzen advies``, with
    74 packages installed), and pydantic's plugin loader itself (``_no_plugin_loader``)."""
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    if _PLUGIN_LOADER not in sys.modules:  # pydantic has not looked for plugins yet
        sys.modules[_PLUGIN_LOADER] = _no_plugin_loader()


#: pydantic's plugin loader: ``create_schema_validator`` imports ``get_plugins`` from it for the first validator
_PLUGIN_LOADER = "pydantic.plugin._loader"


def _no_plugin_loader() -> ModuleType:
    """A stand-in for pydantic's plugin loader whose ``get_plugins`` finds no plugin, as the real one does with
    ``PYDANTIC_DISABLE_PLUGINS=__all__``, without importing what the real one imports at its top: ``importlib.metadata``
    (with email, zipfile and csv), about 22 ms of the 300 ms of ``grenzen advies``. Any other name asked of it comes
    from the real loader, imported then in its place (a later pydantic that asks the loader for more still gets it)."""
    loader = ModuleType(_PLUGIN_LOADER, "pydantic's plugin loader for a program that loads no plugins (grenzen)")

    def get_plugins() -> tuple[()]:
        return ()

    def real(name: str) -> Any:
        if name.startswith("__"):  # what the import system asks of any module (``__path__``): a plain module's answer
            raise AttributeError(name)
        if sys.modules.get(_PLUGIN_LOADER) is loader:
            del sys.modules[_PLUGIN_LOADER]
        return getattr(importlib.import_module(_PLUGIN_LOADER), name)

    loader.get_plugins = get_plugins  # type: ignore[attr-defined]
    loader.__getattr__ = real  # type: ignore[method-assign]
    return loader
