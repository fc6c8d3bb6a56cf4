"""The mentors' form as a case: the fields of the two steps (what is going on; how serious) into the contract's
shape, and the library's field errors back onto the form's own words and inputs."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from .._errors import FieldError
from .._models import MAX_SIGNALS
from .._translate import did_you_mean
from ..pipeline._policy import Policy

MAX_FIELDS = 1000  # a form has far fewer; more is not a form of ours
FORM_TYPE = "application/x-www-form-urlencoded"

Form = dict[str, list[str]]


class FormUnreadable(Exception):
    """A request the pages cannot read as their form (its Dutch message says why): nothing of it is used."""


def parse_form(body: bytes, content_type: str = FORM_TYPE, query: str = "") -> Form:
    """An ``application/x-www-form-urlencoded`` body (bytes that are not UTF-8 are replaced, never shown). Answers in
    the address, another kind of body or more than ``MAX_FIELDS`` fields are ``FormUnreadable``: never half read."""
    if query:
        raise FormUnreadable("de antwoorden staan in de adresregel; stuur ze met het formulier van deze pagina")
    if body and content_type.split(";")[0].strip().lower() != FORM_TYPE:
        raise FormUnreadable("dit is geen formulier van deze pagina; vul het formulier hieronder in")
    try:
        return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:  # more fields than MAX_FIELDS
        raise FormUnreadable("het formulier heeft te veel velden; vul het formulier hieronder in") from None


def first(form: Form, name: str) -> str:
    """The first value of a field, stripped; empty when absent."""
    return (form.get(name) or [""])[0].strip()


def chosen_kinds(form: Form, policy: Policy) -> list[str]:
    """The signal kinds ticked that the policy knows, in the vocabulary's order, each once (``form_problems`` refuses a
    form that ticks any other)."""
    ticked = set(form.get("soort", []))
    return [kind for kind in policy.vocabulary.signalen if kind in ticked]


def shown(form: Form) -> Form:
    """The form as a page shows it back: a field of one answer sent more than once is left empty (the error says why),
    so that no value is chosen for the mentor."""
    return {name: values for name, values in form.items()
            if len(values) == 1 or not (name in _SINGLE or name.startswith(_SIGNAL_FIELDS))}


def without_unticked(form: Form) -> Form:
    """The form without the severities and durations of signals no longer ticked (step 1 carries them, so that going
    back and forth keeps what was chosen; a signal unticked there is gone, with its answers)."""
    ticked = set(form.get("soort", ()))
    return {name: values for name, values in form.items()
            if not name.startswith(_SIGNAL_FIELDS) or name.split("_", 1)[1] in ticked}


def carried(form: Form, policy: Policy) -> list[tuple[str, str]]:
    """The severities and durations of the ticked signals the policy knows, as hidden fields of step 1."""
    ticked = set(chosen_kinds(form, policy))
    return [(name, value) for name, values in form.items()
            if name.startswith(_SIGNAL_FIELDS) and name.split("_", 1)[1] in ticked for value in values]


_SIGNAL_FIELDS = ("ernst_", "duur_")


def _number(text: str) -> int | str | None:
    """A whole number typed in a field: empty is unknown; what a browser's number field sends for a whole number
    (``14``, ``-1``, ``5.0``, ``1e1``: digits 0-9) is that number, so the contract says what is wrong with it (too
    small, too large); anything else is left to the contract as text (it refuses it)."""
    if not text:
        return None
    if text.isascii() and "_" not in text and len(text) <= 20:
        try:
            value = float(text)
        except ValueError:
            return text
        if value.is_integer():
            return int(value)
    return text


def case_from_form(form: Form, policy: Policy, with_signals: bool = True) -> dict[str, object]:
    """The case the form describes (step 1 alone without signals, to check it before step 2)."""
    case: dict[str, object] = {"taak": task} if (task := first(form, "taak")) else {}  # none: "ontbreekt"
    for key in ("leeftijd", "leerjaar"):
        if (value := _number(first(form, key))) is not None:
            case[key] = value
    trainings = list(dict.fromkeys(form.get("scholing", [])))  # "" too: the contract refuses it, nothing is dropped
    if trainings:
        case["mentor"] = {"scholing": trainings}  # an unknown one or too many: the contract refuses them
    effect = first(form, "aanpak_effect")
    if effect:  # "" is "nothing tried yet"; any other value goes to the contract, which refuses what it does not know
        weeks = _number(first(form, "aanpak_weken"))  # none: the contract says it is missing, nothing is made up
        case["eerdere_aanpak"] = {"effect": effect, **({"weken": weeks} if weeks is not None else {})}
    if with_signals:
        signals: list[dict[str, object]] = []
        for kind in chosen_kinds(form, policy):
            signal: dict[str, object] = {"soort": kind}
            if severity := first(form, f"ernst_{kind}"):  # one the form does not offer: the contract refuses it
                signal["ernst"] = severity
            if (weeks := _number(first(form, f"duur_{kind}"))) is not None:
                signal["duur_weken"] = weeks
            signals.append(signal)
        if signals:
            case["signalen"] = signals
    return case


@dataclass(frozen=True)
class FormError:
    """One problem as the form shows it: what (in the form's words), the message, and the input to go to."""

    what: str
    message: str
    target: str


_WORDS = {"taak": ("Taak", "taak"), "leeftijd": ("Leeftijd", "leeftijd"), "leerjaar": ("Leerjaar", "leerjaar"),
          "eerdere_aanpak.weken": ("Zelf geprobeerd: hoeveel weken al", "aanpak_weken"),
          "eerdere_aanpak.effect": ("Wat het opleverde", "aanpak_effect_geen"),
          "signalen": ("Signalen", "signalen"),
          # the form's own names, for a field sent twice
          "aanpak_effect": ("Wat het opleverde", "aanpak_effect_geen"),
          "aanpak_weken": ("Zelf geprobeerd: hoeveel weken al", "aanpak_weken")}


def form_errors(errors: list[FieldError], case: dict[str, object], policy: Policy) -> list[FormError]:
    """The library's field errors in the form's words (a signal by its label), each linked to its input."""
    signals = case.get("signalen")
    kinds = [s["soort"] for s in signals if isinstance(s, dict)] if isinstance(signals, list) else []
    out = []
    for error in errors:
        parts = error.field.split(".")
        if parts[0] == "signalen" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(kinds):
            kind = str(kinds[int(parts[1])])
            label = policy.vocabulary.signalen[kind].label if kind in policy.vocabulary.signalen else kind
            if parts[-1] == "ernst":
                message = "kies hoe ernstig het is" if "ontbreekt" in error.message else error.text
                out.append(FormError(f"{label}: ernst", message, f"ernst_{kind}_licht"))
            else:
                out.append(FormError(f"{label}: hoe lang al", error.text, f"duur_{kind}"))
        elif parts[0] == "mentor":
            out.append(FormError("Scholing van de mentor", error.text, "scholing"))
        else:
            what, target = _WORDS.get(error.field, ("Casus", "taak"))
            message = error.text
            if error.field == "eerdere_aanpak.weken" and error.code == "verplicht-veld-ontbreekt":  # it says "(als je
                message = "vul in hoeveel weken je het al probeert"  # iets probeerde)": a trial did not see it needed
            out.append(FormError(what, message, target))
    return out


#: The fields of step 1; the severities and durations are ``ernst_<kind>`` and ``duur_<kind>``.
STEP_ONE = ("taak", "leeftijd", "leerjaar", "scholing", "aanpak_effect", "aanpak_weken", "soort")
#: The fields that hold one answer each: sent twice, the form is refused (never resolved to the first or the last).
_SINGLE = ("taak", "leeftijd", "leerjaar", "aanpak_effect", "aanpak_weken")
_TWICE = "staat meer dan één keer in het formulier; vul het opnieuw in"


def form_problems(form: Form, policy: Policy, advice: bool = True) -> tuple[list[FormError], list[FormError]]:
    """What the contract cannot see because the form would lose it: a field the form does not have, a signal kind the
    policy does not know (say, renamed since the page was opened), more signals than a case may have, a field or a
    choice sent twice, weeks without what they brought (or the reverse). Nothing is dropped or resolved silently: a
    dropped safety signal could leave a student with the mentor alone. Returns the problems of step 1 and those of
    step 2; ``advice``: the form asks for the advice (else it goes to step 1 or 2, and may still carry the severities
    of signals the mentor unticked)."""
    signals = policy.vocabulary.signalen
    sent = form.get("soort", [])
    kinds = sent if advice else [*signals, *sent]  # whose severities and durations the form may carry
    allowed = {*STEP_ONE, *(f"{field}{kind}" for kind in kinds for field in _SIGNAL_FIELDS)}
    step_one = []
    if unknown := sum(1 for name in form if name not in allowed):
        step_one.append(FormError("Formulier", f"{unknown} veld(en) die niet op dit formulier staan; vul het "
                                  "formulier opnieuw in", "taak"))
    step_one += [FormError(_WORDS[name][0], _TWICE, _WORDS[name][1]) for name in _SINGLE if len(form.get(name, ())) > 1]
    for name, what, target in (("soort", "Signalen", "signalen"), ("scholing", "Scholing van de mentor", "scholing")):
        if len(set(form.get(name, ()))) < len(form.get(name, ())):
            step_one.append(FormError(what, "een keuze staat twee keer in het formulier; vul het opnieuw in", target))
    for value in dict.fromkeys(sent):
        if value not in signals:  # the message names the policy's kinds, never the value sent
            hint = did_you_mean(value.strip().lower(), signals) or "kies de signalen opnieuw"
            step_one.append(FormError("Signaal", f"onbekende soort (niet in de woordenlijst van dit beleid); {hint}",
                                      "signalen"))
    if len(chosen_kinds(form, policy)) > MAX_SIGNALS:
        step_one.append(FormError("Signalen", f"kies hoogstens {MAX_SIGNALS} signalen", "signalen"))
    effect, weeks = first(form, "aanpak_effect"), first(form, "aanpak_weken")
    if weeks and not effect:
        step_one.append(FormError("Zelf geprobeerd: hoeveel weken al", "je vulde weken in, maar koos 'Nee, nog niet'. "
                                  "Kies wat het opleverde, of maak dit veld leeg.", "aanpak_weken"))
    step_two = []
    for kind in chosen_kinds(form, policy) if advice else ():
        label = signals[kind].label
        if len(form.get(f"ernst_{kind}", ())) > 1:
            step_two.append(FormError(f"{label}: ernst", _TWICE, f"ernst_{kind}_licht"))
        if len(form.get(f"duur_{kind}", ())) > 1:
            step_two.append(FormError(f"{label}: hoe lang al", _TWICE, f"duur_{kind}"))
    return step_one, step_two
