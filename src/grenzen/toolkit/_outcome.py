"""What ``controleer`` reads of an advice, worked out from the rules that apply without building the advice.

``controleer`` judges tens of thousands of distinct sets of applicable rules (``_analysis._judge``) and reads of each
advice only its ``decision`` (the parts a rule can change), whether the safety guard gave it and whether it says the
task is the mentor's. ``Outcomes`` gets those from the combiner's own per-rule parts (``Combiner.parts``) and its
resolution of exceptions (``_combine._resolve``), the way the combiner merges them, with no validated case and no
``Advies``; each set of rules is worked out once. It reasons only over sets of rules the engine found to apply.
``tests/test_analysis_classes.py`` checks it against the full combiner (``Policy.combine``) on every set it sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .._models import ROUTE_RANK, URGENCY_RANK
from ..pipeline._combine import (
    _ROUTES,
    _URGENCIES,
    FALLBACK,
    FALLBACK_URGENCY,
    SAFETY_GUARD,
    SAFETY_STEP,
    SAFETY_URGENCY,
    _resolve,
)
from ..pipeline._policy import Policy

_MENTOR = ROUTE_RANK["mentor"]
_NONE: frozenset[int] = frozenset()
_BUILT_IN = frozenset({FALLBACK.regel, SAFETY_GUARD.regel})


@dataclass(frozen=True)
class Outcome:
    """What a judgement reads of the advice for a set of applicable rules."""

    decision: tuple[Any, ...]  # as ``_analysis.decision`` of the advice
    guarded: bool  # the safety guard gave the advice (its reason comes first)
    verdict: bool  # the advice says the task belongs to the mentor


class Outcomes:
    """``Outcome`` and the kept rules of each set of applicable rules of one policy, each worked out once."""

    def __init__(self, policy: Policy) -> None:
        combiner = policy._combiner
        parts = self.parts = combiner.parts
        self.reason_order = combiner.reason_order
        self.guarding = bool(combiner.safety_kinds)
        self.consent_known = combiner.agreements.toestemming is not None  # else the advice never has a toestemming
        # the rules of each sort, for quick tests against a set of rules
        self.setters = frozenset(i for i, p in enumerate(parts) if p.sets_aside)  # with zet_opzij
        self.away = frozenset(i for i, p in enumerate(parts) if p.away)  # refer away (``refers_away``)
        self.lighter = frozenset(i for i, p in enumerate(parts) if p.lighter)
        # per rule: (sentence, rule, its sentence) for each sentence of its mentor_doet that a rule has under
        # mentor_doet_niet, or that says to do what a rule's mentor_doet says not to (``_clashing``), in the order of
        # its sentences, then of those rules (the order of ``_judge``'s contradictions)
        forbidden: dict[str, list[tuple[int, str]]] = {}
        told: dict[str, list[tuple[int, str]]] = {}
        for b, q in enumerate(parts):
            for sentence in q.does_not:
                forbidden.setdefault(gist(sentence), []).append((b, sentence))
            for sentence in q.does:
                told.setdefault(gist(sentence), []).append((b, sentence))
        self.clashes = {a: clash for a, p in enumerate(parts)
                        if (clash := [(sentence, b, said) for sentence in p.does
                                      for b, said in _clashing(sentence, forbidden, told)])}
        self.clashing = frozenset(self.clashes)
        self.saying_no = frozenset(i for i, p in enumerate(parts) if p.verdict is False)
        self.saying_yes = frozenset(i for i, p in enumerate(parts) if p.verdict is True)
        # the rules that keep steps for the mentor: route mentor, with mentor_doet
        self.steps = frozenset(i for i, rule in enumerate(combiner.rules)
                               if rule.dan.route == "mentor" and rule.dan.mentor_doet)
        self.names = [rule.id for rule in combiner.rules]
        self.built_in = [name in _BUILT_IN for name in self.names]  # a rule named like a built-in reason
        self.named = self.setters.union(*(p.sets_aside for p in parts))  # rules with zet_opzij and those they name
        # next to an absolute referral: the rules whose exceptions are worked out (see ``kept``)
        self.named_next_to_away = (self.named | self.away) - self.lighter
        self._kept: dict[tuple[int, ...], tuple[int, ...]] = {}
        self._aside: dict[tuple[int, ...], frozenset[int]] = {}  # per set of ``named`` rules: those set aside
        self._outcomes: dict[tuple[tuple[int, ...], bool], Outcome] = {}
        self._briefs: dict[tuple[tuple[int, ...], bool], tuple[bool, bool]] = {}

    def kept(self, applicable: tuple[int, ...]) -> tuple[int, ...]:
        """The rules that stay after exceptions (``_combine.effective``), in policy order; ``applicable`` sorted."""
        kept = self._kept.get(applicable)
        if kept is None:
            parts, lighter = self.parts, self.lighter
            if not self.setters.isdisjoint(applicable):
                # only these rules can set a rule aside or be set aside: the others stay, whatever they are with. Next
                # to an absolute referral every lighter rule is set aside (by a rule nothing sets aside), and a rule
                # set aside sets none aside: only the other rules' exceptions are worked out then
                referred = not self.away.isdisjoint(applicable)
                among, gone = (self.named_next_to_away, lighter) if referred else (self.named, _NONE)
                active = [i for i in applicable if i in among]
                aside = self._aside.get(tuple(active))
                if aside is None:
                    present = frozenset(active)
                    # next to an absolute referral a mentor-route rule sets nothing aside (``_combine.effective``)
                    names = {i: parts[i].sets_aside & present for i in active
                             if parts[i].sets_aside and not (referred and parts[i].route == _MENTOR)}
                    stays, _ = _resolve(active, names, [i for i in active if i in self.away],
                                        [i for i in active if i in lighter])
                    aside = self._aside[tuple(active)] = present.difference(stays)
                if gone:
                    aside = aside | gone.intersection(applicable)
                kept = tuple([i for i in applicable if i not in aside]) if aside else applicable
            elif not self.away.isdisjoint(applicable):  # absolute referrals alone: they set aside every lighter
                kept = tuple([i for i in applicable if i not in lighter])  # rule and stay (what _resolve finds)
            else:  # no exception in play: every rule stays
                kept = applicable
            self._kept[applicable] = kept
        return kept

    def of(self, applicable: tuple[int, ...], safety: bool) -> Outcome:
        """The ``Outcome`` of the advice for a case where the (sorted) rules ``applicable`` hold; ``safety``: it has a
        signal of a safety kind."""
        kept = self.kept(applicable)
        key = (kept, safety and self.guarding)
        found = self._outcomes.get(key)
        if found is None:
            found = self._outcomes[key] = self._work_out(*key)
        return found

    def brief(self, applicable: tuple[int, ...], safety: bool) -> tuple[bool, bool]:
        """``guarded`` and ``verdict`` of ``of(applicable, safety)``, without the rest of its decision (most judgements
        read only these two)."""
        return self.decided(self.kept(applicable), safety)

    def decided(self, kept: tuple[int, ...], safety: bool) -> tuple[bool, bool]:
        """``brief`` given the rules that stay (``kept``)."""
        key = (kept, safety and self.guarding)
        found = self._briefs.get(key)
        if found is None:
            whole = self._outcomes.get(key)
            found = self._briefs[key] = (whole.guarded, whole.verdict) if whole is not None else self._brief(*key)
        return found

    def _brief(self, kept: tuple[int, ...], safety: bool) -> tuple[bool, bool]:
        """``brief`` worked out: the route and the verdict as ``_work_out`` finds them, then its safety guard."""
        if not kept:
            return safety, False
        parts = self.parts
        away = any(parts[i].away for i in kept)
        if safety and not away:  # the guard, as an absolute referral: only the absolute rules say whose task it is
            verdicts = {parts[i].verdict for i in kept if parts[i].absolute}
            return True, False not in verdicts and True in verdicts
        verdicts = {parts[i].verdict for i in kept if parts[i].absolute or not away}
        # the first reason (``_first``): a rule named like the safety guard counts as it
        first = self.names[self._first(kept)]
        return first == SAFETY_GUARD.regel, False not in verdicts and True in verdicts

    def _first(self, kept: tuple[int, ...]) -> int:
        """The rule of the first reason among ``kept`` (not empty, in policy order), in the combiner's order
        (``Combiner.reason_order``; the first in the policy among equals)."""
        return min(kept, key=self.reason_order.__getitem__)

    def _work_out(self, kept: tuple[int, ...], safety: bool) -> Outcome:
        """What ``Combiner.__call__`` decides for the rules ``kept``, then its safety guard, as an ``Outcome``."""
        parts = self.parts
        guarded = safety and not any(parts[i].away for i in kept)  # no absolute referral takes the safety signal
        first: str | None
        if not kept:
            route, urgency, verdict, consent = ROUTE_RANK["zorgteam"], URGENCY_RANK[FALLBACK_URGENCY], False, False
            does: frozenset[str] = frozenset()
            does_not: frozenset[str] = frozenset()
            destinations: frozenset[str] = frozenset()
            built_in = {FALLBACK.regel}
            first = FALLBACK.regel
        else:
            urgency = max(parts[i].urgency for i in kept)  # the rules' urgency: the guard never lowers it
            if guarded:  # like an absolute referral, the guard sets aside the kept rules that are not absolute
                kept = tuple([i for i in kept if not parts[i].lighter])
            chosen = [parts[i] for i in kept]
            route = max((p.route for p in chosen), default=_MENTOR)
            away = guarded or any(p.away for p in chosen)
            consent = any(p.consent for p in chosen) and not any(p.withholds for p in chosen) and self.consent_known
            # an absolute rule that refers the case away (or the guard, as one) decides whose task it is: only absolute
            # rules count then
            verdicts = {p.verdict for p in chosen if p.absolute or not away}
            verdict = False not in verdicts and True in verdicts
            does = frozenset(x for p in chosen for x in p.does)
            does_not = frozenset(x for p in chosen for x in p.does_not)
            destinations = frozenset(x for p in chosen for x in p.destinations)
            built_in = {self.names[i] for i in kept if self.built_in[i]}
            first = self.names[self._first(kept)] if kept else None
        if guarded:  # the verdict: of the absolute rules that stay (worked out above), as next to a referral
            route = max(route, ROUTE_RANK[SAFETY_GUARD.route])
            urgency = max(urgency, URGENCY_RANK[SAFETY_URGENCY])
            built_in = {*built_in, SAFETY_GUARD.regel}
            first = SAFETY_GUARD.regel
            does = does | {SAFETY_STEP}
        decision = (_ROUTES[route], _URGENCIES[urgency], verdict, consent, does, does_not, destinations,
                    frozenset(built_in))
        return Outcome(decision, first == SAFETY_GUARD.regel, verdict)


#: words that turn a step around ("Spreek de pleger niet zelf aan."); ``gist`` leaves them out
NEGATIONS = frozenset({"niet", "geen", "nooit"})
_WORD = re.compile(r"[\w'-]+")


def gist(sentence: str) -> str:
    """What a step is about, whether it says to do it or not to: its words in lower case without punctuation and
    without ``NEGATIONS``."""
    return " ".join(word for word in _WORD.findall(sentence.lower()) if word not in NEGATIONS)


def _says_not(sentence: str) -> bool:
    """Does ``sentence`` say not to do something (an odd number of ``NEGATIONS``)?"""
    return sum(word in NEGATIONS for word in _WORD.findall(sentence.lower())) % 2 == 1


def _clashing(sentence: str, forbidden: dict[str, list[tuple[int, str]]], told: dict[str, list[tuple[int, str]]],
              ) -> list[tuple[int, str]]:
    """(rule, its sentence), sorted, for every step that clashes with the mentor_doet step ``sentence``; ``forbidden``
    and ``told``: the rules' mentor_doet and mentor_doet_niet steps by ``gist``. Only a step that says to do
    something clashes (a trial's "Spreek de pleger zelf aan." passed beside "Spreek de pleger niet zelf aan.": only
    the same sentence was found): with a step about the same under mentor_doet_niet, however put, and with one under
    mentor_doet that says not to. A step that says not to ("Beloof geen geheimhouding.") agrees with the same under
    mentor_doet_niet (a second trial got 14 errors for it)."""
    key, positive = gist(sentence), not _says_not(sentence)
    found = [(b, said) for b, said in forbidden.get(key, ()) if positive]
    if positive:
        found += [(b, said) for b, said in told.get(key, ()) if _says_not(said)]
    return sorted(found)
