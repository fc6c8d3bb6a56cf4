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
    too, for as long as the load or the analysis takes.

    Afterwards the objects built meanwhile would all be young: the first collections after the pause would scan
    every one of them twice on their way to the oldest generation (about 0.1 s after a 3,000-rule load). When
    nothing is frozen (``gc.freeze``, which the command line uses for its start-up), they are moved there at once:
    ``gc.freeze`` then ``gc.unfreeze`` puts every tracked object in the oldest generation without scanning any, where
    only a full collection visits them, as it would have after those scans."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        gc.enable()
