"""Python's cyclic garbage collector, paused while grenzen builds many objects that live on and form no cycles."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The collector paused for a while, and on again afterwards if it was on (a collector the caller turned off
    stays off).

    Loading a policy and analysing one build tens or hundreds of thousands of small objects (models, tuples, lists,
    dicts) that live until the policy or the analysis is dropped and make next to no cycles: with the collector on,
    its full collections scan them again and again as they pile up and free nothing (about 0.6 s of a 1.75 s load of
    a 3,000-rule policy; 0.55 s of a 2 s ``controleer --streng``). Process-wide, so another thread's garbage waits
    too, for as long as the load or the analysis takes."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
