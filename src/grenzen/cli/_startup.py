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
import os

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
    74 packages installed)."""
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
