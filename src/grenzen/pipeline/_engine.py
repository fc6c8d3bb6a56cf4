"""Step 4, evaluate: a safe driver for the durable_rules C engine.

We call the C extension directly (never ``durable.engine.Host``, which starts unlocked background
threads, and never ``durable.lang``, which is a process-wide singleton). Per case: assert the fact
under one fixed session, drain every activation, retract. One lock per compiled policy; on any
engine error the rulesets are rebuilt, so the next case starts clean.

Freeing: the engine's ``delete_ruleset`` does not free the session state a ruleset holds (about
1.4 MB for the default policy); only ``delete_state`` does, and it crashes on a session that never
started an action. So every ruleset gets one extra rule that only ``RELEASE_FACT`` matches, and
``_release`` fires it, drains, deletes the session, then the ruleset. See docs/ontwerp.md, "The
engine's memory".
"""

from __future__ import annotations

import contextlib
import json
import operator
import sys
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from .._errors import EngineError

try:
    import durable_rules_engine as _dre
except ImportError as _exc:  # pragma: no cover - exercised by tests with a broken module
    _BUILD = ('CPPFLAGS="-O2 -DPyEval_CallObject=PyObject_CallObject" pip install --no-cache-dir --no-binary '
              "durable-rules durable-rules==2.0.28")
    if isinstance(_exc, ModuleNotFoundError) and _exc.name == "durable_rules_engine":  # most often another Python
        raise ImportError(
            "grenzen needs the durable-rules C extension (module 'durable_rules_engine'), which is not installed for "
            f"this Python ({sys.executable}). Run grenzen with the Python it was installed in (e.g. .venv/bin/python, "
            f".venv/bin/grenzen), or install it there: {_BUILD}"
        ) from _exc
    raise ImportError(
        "grenzen needs the durable-rules C extension (module 'durable_rules_engine'), but it could "
        f"not be imported ({_exc}). On Python 3.13 it must be built with a compatibility flag: "
        f"pip uninstall -y durable-rules && {_BUILD}"
    ) from _exc

SESSION = "0"
HANDLED = 0
NOT_HANDLED = 1
ALREADY_ASSERTED = 2
# No case fact has this key (see "Fact layout" in docs/ontwerp.md) and neither has the session's state
# fact, so the release rule fires only for RELEASE_FACT.
RELEASE_RULE = '"release":{"all":[{"m":{"$ex":{"_release":1}}}]}'
RELEASE_FACT = f'{{"_release":1,"sid":"{SESSION}","id":"release"}}'


def _with_release_rule(definition: str) -> str:
    """``definition`` (a JSON object of rules) with the release rule added at the end."""
    body = definition.rstrip()[:-1].rstrip()
    return f"{body}{',' if body != '{' else ''}{RELEASE_RULE}}}"


def _create(name: str, definition: str) -> int:
    try:
        handle: int = _dre.create_ruleset(name, _with_release_rule(definition))
        return handle
    except _dre.error as exc:
        raise EngineError(f"de regelengine weigert het gecompileerde beleid ({exc})") from None


def _release(handle: int) -> None:
    """Free one ruleset and its session: ``delete_ruleset`` alone leaves the session's state node.

    ``delete_state`` frees the node but crashes if the session never started an action: the node's
    action context (``context.messages``/``stateFact``) is then uninitialised memory that
    ``deleteStateNode`` (src/rules/state.c) passes to ``free``. Asserting ``RELEASE_FACT`` creates the
    session if needed and gives it an activation; draining to the end sets both pointers to NULL
    (``freeActionContext``, src/rules/events.c). If no action starts although the fact was handled,
    the session is still leased by an earlier, interrupted drain, whose start set both pointers, so
    ``delete_state`` is safe as well. If anything fails, the session is left alone (a leak, never a
    crash) and the ruleset is deleted anyway.
    """
    try:
        code, state = _dre.assert_fact(handle, RELEASE_FACT)
        if code == HANDLED:
            if _dre.start_action_for_state(handle, state) is not None:
                while _dre.complete_and_start_action(handle, state) is not None:
                    pass
            _dre.delete_state(handle, SESSION)
    except Exception:  # pragma: no cover - best effort; never let freeing break a caller
        pass
    with contextlib.suppress(Exception):  # best effort at garbage collection
        _dre.delete_ruleset(handle)


def _release_all(handles: list[int]) -> None:
    for handle in handles:
        _release(handle)


def _holds(circuit: Any, fired: set[str]) -> bool:
    """Does a circuit (an engine rule name, or ("any"|"all", [circuits])) hold, given the engine rules that fired?"""
    if isinstance(circuit, str):
        return circuit in fired
    kind, parts = circuit
    if kind == "any":
        return any(_holds(part, fired) for part in parts)
    return all(_holds(part, fired) for part in parts)


def _combine_parts(names: list[str], circuits: dict[str, Any]) -> list[str]:
    """Fired engine rule names with the parts ``r<i>.<n>`` of each spread rule replaced by ``r<i>`` when its
    circuit holds (after the names of unspread rules, in the order their first part fired)."""
    fired = set(names)
    spread = dict.fromkeys([name[:name.find(".")] for name in names if "." in name])
    return [name for name in names if "." not in name] + [owner for owner in spread if _holds(circuits[owner], fired)]


#: what follows a rule's name in an activation: ``{"r12":{"m":{...the fact...}}}`` (``serializeResult``, state.c)
ACTIVATION_TAIL = '":{"m":{'


def _heads(names: frozenset[str]) -> tuple[Callable[[str], str], dict[str, str]]:
    """How to read the rule name of an activation by slicing a fixed width, and the name for each head: cutting
    every activation to the same width and looking it up is about twice as fast as finding where its name ends.
    The width takes the longest name and its quote; a shorter name's head runs on into ``ACTIVATION_TAIL``, never
    into the fact. ``{}`` when the names differ in length by more than that tail (then the name is found)."""
    width = 2 + max(map(len, names), default=0) + 1
    heads = {('{"' + name + ACTIVATION_TAIL)[:width]: name for name in names}
    if not names or width > 2 + min(map(len, names)) + len(ACTIVATION_TAIL) or len(heads) != len(names):
        return operator.itemgetter(slice(None)), {}
    return operator.itemgetter(slice(None, width)), heads


class Engine:
    """Compiled rulesets of one policy, evaluated one case at a time under a lock.

    ``rulesets`` may carry ``circuits`` (``_compile.Rulesets``): how the engine rules of a rule that the
    compiler spread over several combine; ``match`` then names the rule, never its parts."""

    def __init__(self, rulesets: list[str], index: Mapping[str, int] | None = None) -> None:
        self._definitions = rulesets
        self._circuits: dict[str, Any] = getattr(rulesets, "circuits", {})
        #: every engine rule name: an activation naming anything else is an answer the driver does not understand
        names = getattr(rulesets, "names", None)  # compile_rules gives them; else they are read from the texts
        self._names: frozenset[str] = (names if names is not None
                                       else frozenset(name for text in rulesets for name in json.loads(text)))
        self._spread = frozenset(name for name in self._names if "." in name)  # the parts of spread rules
        self._cut, self._heads = _heads(self._names)
        #: ``index``: a number per rule name (the rule's place in its policy), for ``indexes``
        self._index: Mapping[str, int] = index or {}
        #: the number of the rule each head names; None for the part of a spread rule (``indexes`` then combines names)
        self._head_index = {head: self._index.get(name) for head, name in self._heads.items()} if index else {}
        self._lock = threading.Lock()
        self._handles: list[int] = []
        self._next_id = 0
        self._build()
        self._finalizer = weakref.finalize(self, _release_all, self._handles)

    def _build(self) -> None:
        fresh = [_create(f"grenzen{i}", text) for i, text in enumerate(self._definitions)]
        old = list(self._handles)
        self._handles[:] = fresh  # same list object: the finalizer sees the current handles
        _release_all(old)

    def match(self, fact: str | Sequence[str], visit: list[int] | None = None) -> list[str]:
        """Names of every rule whose condition holds for ``fact`` (a JSON object, or one per ruleset asked: see
        ``_compile.fact_texts``), deduplicated, in firing order; ``visit``: the indexes of the rulesets to ask (None:
        all; ``Rulesets.visit``)."""
        return self._names_of(self._fire(fact, visit))

    def indexes(self, fact: str | Sequence[str], visit: list[int] | None = None) -> list[int]:
        """``match`` as the sorted numbers ``index`` gives the names: an activation's head is read straight as its
        rule's number, unless a part of a spread rule fired."""
        return self._numbers(self._fire(fact, visit))

    def _numbers(self, activations: list[str]) -> list[int]:
        """The sorted rule numbers of ``activations`` (``indexes``)."""
        if self._head_index:
            try:
                found = set(map(self._head_index.__getitem__, activations))
            except KeyError:
                raise EngineError("de regelengine gaf een onverwacht antwoord") from None
            if None not in found:
                return sorted(cast("set[int]", found))  # None is not in it
        try:
            return sorted(map(self._index.__getitem__, self._names_of(activations)))
        except KeyError:  # a name without a number
            raise EngineError("de regelengine gaf een onverwacht antwoord") from None

    def _fire(self, fact: str | Sequence[str], visit: list[int] | None) -> list[str]:
        """Every activation of ``fact`` in the rulesets ``visit`` names, cut to its head (``_heads``; whole when the
        names are read by their closing quote)."""
        with self._lock:
            self._next_id += 1
            ident = f'"sid":"{SESSION}","id":"c{self._next_id}"}}'
            retraction = "{" + ident
            activations: list[str] = []
            handles = self._handles if visit is None else [self._handles[i] for i in visit]
            texts = [fact] * len(handles) if isinstance(fact, str) else fact
            if len(texts) != len(handles):
                raise EngineError("de regelengine kreeg niet voor elke regelset een feit")
            for handle, text in zip(handles, texts, strict=True):
                try:
                    activations.extend(self._run(handle, f"{text[:-1]},{ident}", retraction, self._cut))
                except Exception as exc:
                    self._recover()
                    if isinstance(exc, EngineError):
                        raise
                    raise EngineError(f"de regelengine faalde op deze casus ({type(exc).__name__})") from None
        return activations

    def _names_of(self, activations: list[str]) -> list[str]:
        """The rule names of ``activations``, deduplicated, in firing order, spread rules combined."""
        # an activation is {"r12":{"m":{...the fact...}}}: its rule name, without decoding the fact
        try:
            if self._heads:
                names = list(dict.fromkeys(map(self._heads.__getitem__, activations)))
            else:
                names = list(dict.fromkeys([activation[2:activation.find('"', 2)] for activation in activations]))
                if not self._names.issuperset(names):
                    raise KeyError
        except KeyError:
            raise EngineError("de regelengine gaf een onverwacht antwoord") from None
        if self._spread and not self._spread.isdisjoint(names):  # a part of a spread rule fired
            return _combine_parts(names, self._circuits)
        return names

    @staticmethod
    def _run(handle: int, text: str, retraction: str, cut: Callable[[str], str]) -> list[str]:
        """Assert ``text``, drain its activations (each returned as ``cut`` gives it: an activation carries the whole
        fact, and cut at once each is freed before the next comes), retract it by ``retraction`` (its ``sid`` and
        ``id`` alone: the engine finds a fact to retract by its id, src/rules/events.c ``handleMessageCore``, so it
        need not parse the whole fact again)."""
        result = _dre.assert_fact(handle, text)
        code, state = result if isinstance(result, tuple) else (result, None)
        if code == NOT_HANDLED:
            return []
        if code == ALREADY_ASSERTED:
            raise EngineError("de regelengine zag deze casus als al bekend (fout 2)")
        fired: list[str] = []
        try:
            action = _dre.start_action_for_state(handle, state)
            if action is not None:
                fired.append(cut(action[1]))
                complete = _dre.complete_and_start_action
                while (more := complete(handle, state)) is not None:
                    fired.append(cut(more))
        finally:
            _dre.retract_fact(handle, retraction)
        return fired

    def _recover(self) -> None:
        """Throw the rulesets away and build them again: no half-drained session survives."""
        with contextlib.suppress(EngineError):  # the definitions compiled before
            self._build()
