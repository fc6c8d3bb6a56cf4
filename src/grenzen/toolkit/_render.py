"""``grenzen beleid``: the rule set as the school's readable policy document (Markdown or HTML), deterministic.

The document is built once as a list of blocks (:func:`policy_blocks`); Markdown and HTML are rendered here, Word
in ``_docx``."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from .._models import ROUTE_RANK
from ..pipeline._combine import SAFETY_GUARD, SAFETY_STEP
from ..pipeline._explain import ROUTE_WORDS, URGENCY_WORDS, either
from ..pipeline._load import LoadedRule
from ..pipeline._policy import Policy
from ..pipeline._rulefile import Regel, SignaalVoorwaarde, Voorwaarde
from ..pipeline._safety import always_set_aside
from ._comments import danger_reason

# A tiny document model so that Markdown and HTML come from the same text.


@dataclass(frozen=True, slots=True)
class Plain:
    """Text as it is."""

    text: str


@dataclass(frozen=True, slots=True)
class Bold:
    """Text in bold."""

    text: str


@dataclass(frozen=True, slots=True)
class Code:
    """A name as the rule files and cases write it (an id, a key, a command)."""

    text: str


@dataclass(frozen=True, slots=True)
class Link:
    """A web address in a source, shown as ``text`` (the address itself) and linked where the format can."""

    text: str
    url: str


@dataclass(frozen=True, slots=True)
class Mark:
    """A label that marks where a school overlay changes its base ("Opzij gezet door de school:", "Toegevoegd door
    de school:"): bold in Markdown, highlighted in HTML and Word, always in words so that it does not rest on colour."""

    text: str


Span: TypeAlias = Plain | Bold | Code | Link | Mark
Text: TypeAlias = list[Span]


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading of ``level`` 1 (the title) to 4 (a rule)."""

    level: int
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph."""

    text: Text


@dataclass(frozen=True, slots=True)
class Bullets:
    """A bulleted list, one text per item."""

    items: list[Text]


@dataclass(frozen=True, slots=True)
class Table:
    """A table: the column names, and per row one text per column."""

    header: list[str]
    rows: list[list[Text]]


Block: TypeAlias = Heading | Paragraph | Bullets | Table

SECTIONS = (("mentor", "Hoort bij de mentor"), ("zorgteam", "Gaat naar het zorgteam"),
            ("extern", "Gaat naar externe hulp"))
#: Above the rules with route mentor that hold only with a safety signal (``always_set_aside``).
ALWAYS_ASIDE = ("Deze regels met route mentor gelden alleen als er een veiligheidssignaal is. Dan zet een absolute "
                "doorverwijzing of het vangnet ze altijd opzij, dus ze veranderen geen advies. Moet de mentor bij "
                "gevaar iets doen, laat de regel dan over de taak gaan (zoals eerste opvang).")
#: At a rule that always goes aside, in its entry and in the list of the school's own rules.
NEVER_COUNTS = "deze regel geldt alleen bij een veiligheidssignaal, en dan gaat de veiligheid voor."
#: The HTML page loads nothing and runs nothing, whatever a rule text holds.
CSP_META = '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">'
#: Characters of a rule text that Markdown would read as markup: HTML (``<``, ``>``, ``&`` become entities) and
#: links, code and escapes (``[``, ``]``, backtick and backslash get a backslash).
MD_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\\": "\\\\", "`": "\\`", "[": "\\[", "]": "\\]"}
MD_SPECIAL = re.compile("[" + re.escape("".join(MD_ESCAPES)) + "]")
LINE_BREAK = re.compile(r"[ \t]*[\r\n]+[ \t]*")  # a rule text never starts a Markdown block of its own
#: A web address in a source text: http(s) only, up to white space, without the punctuation that ends a sentence.
URL = re.compile(r"https?://[^\s<>\"'`\\]+[^\s<>\"'`\\.,;:!?)\]]")
#: How the HTML page looks on screen and on paper: no page chrome (the HTML has none), each theme on a new page,
#: a link followed by its address where the link text is not the address, tables and headings not split badly.
HTML_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
    "a{overflow-wrap:anywhere}.school{background:#fde9c8;color:#7a3b00;padding:0 .2em}"
    "@media print{@page{margin:2cm}"
    "body{max-width:none;margin:0;font-family:Georgia,serif;font-size:11pt;color:#000;background:#fff}"
    "nav,header,footer,button,form,.geen-print{display:none!important}"
    "h2{break-before:page;page-break-before:always}h2:first-of-type{break-before:auto;page-break-before:auto}"
    "h1,h2,h3,h4{break-after:avoid;page-break-after:avoid;break-inside:avoid}"
    "a{color:#000;text-decoration:underline}a:not(.url)[href]::after{content:\" (\" attr(href) \")\"}"
    "table{width:100%}thead{display:table-header-group}td,th{vertical-align:top}"
    "tr,li{break-inside:avoid;page-break-inside:avoid}"
    "p,li{orphans:3;widows:3}"
    ".school{border:1px solid #7a3b00;-webkit-print-color-adjust:exact;print-color-adjust:exact}}"
)


def render_policy(policy: Policy, fmt: str = "md") -> str:
    """The policy document as Markdown (``md``) or a standalone HTML page (``html``)."""
    blocks = policy_blocks(policy)
    if fmt == "html":
        return _html(blocks, policy.name)
    if fmt != "md":
        raise ValueError(f"onbekend formaat '{fmt}'; kies md of html")
    return _markdown(blocks)


# --- content ------------------------------------------------------------------------------------


def policy_blocks(policy: Policy) -> list[Block]:
    """The whole policy document, section by section, as blocks for a renderer (Markdown, HTML, Word)."""
    aside = _set_aside_by_overlay(policy)
    return [*_introduction(policy), *_absolute_rules(policy), *_overlay(policy, aside),
            *_themes(policy, _labels(policy), aside), *_agreements(policy), *_vocabulary(policy)]


def _introduction(policy: Policy) -> list[Block]:
    """The title, the description, the version and how an advice comes about."""
    vocab = policy.vocabulary
    out: list[Block] = [Heading(1, policy.name)]
    if vocab.beschrijving:
        out.append(Paragraph([Plain(vocab.beschrijving)]))
    layers = policy.layers
    versions = " + ".join(f"{layer.naam} (versie {layer.versie})" for layer in layers) if len(layers) > 1 else ""
    out.append(Paragraph([
        Plain("Versie "), Code(policy.version),
        Plain(". " + (f"Opgebouwd uit de lagen {versions}. " if versions else "") + "Dit document is gemaakt met "),
        Code("grenzen beleid"),
        Plain(" uit de regelbestanden: wie het beleid wil veranderen, past de regels aan en maakt dit "
              "document opnieuw."),
    ]))
    out.append(Heading(2, "Zo komt een advies tot stand"))
    out.append(Bullets([
        [Plain("Alle regels waarvan de voorwaarde geldt, doen mee. Een uitzondering zet een andere regel opzij. Geldt "
               "er een absolute doorverwijzing, dan zet een regel met route mentor niets opzij. Een absolute regel "
               "(veiligheid) kan nooit opzij worden gezet.")],
        [Plain("De zwaarste route wint (extern boven zorgteam boven mentor), en de meest dringende urgentie.")],
        [Plain("Zegt één regel dat de taak niet bij de mentor hoort, dan hoort zij niet bij de mentor.")],
        [Plain("Geldt geen enkele regel, dan gaat de casus naar het zorgteam, nooit stil naar de mentor.")],
        [Plain("Een veiligheidssignaal (zie hieronder) blijft nooit alleen bij de mentor: verwijst geen absolute regel "
               "de casus door, dan gaat zij vandaag nog naar het zorgteam (of extern, als een regel dat zegt), met als "
               "reden "), Code(SAFETY_GUARD.regel),
         Plain(f". De eerste stap voor de mentor is dan: '{SAFETY_STEP}' Het vangnet zet dan de regels met route "
               "mentor opzij, zoals een absolute doorverwijzing doet: alleen absolute regels houden hun stappen.")],
    ]))
    return out


def _absolute_rules(policy: Policy) -> list[Block]:
    """"Veiligheid eerst": the safety signal kinds and the absolute rules, if there are any."""
    # the referrals first (extern, then zorgteam), then what stays the mentor's even in danger (signalling, first aid)
    absolute = sorted([item for item in policy.source.rules if item.rule.absoluut],
                      key=lambda item: -ROUTE_RANK[item.rule.dan.route])
    kinds = [(key, term) for key, term in policy.vocabulary.signalen.items() if key in policy.safety_kinds]
    if not absolute and not kinds:
        return []
    out: list[Block] = [Heading(2, "Veiligheid eerst")]
    if kinds:
        out.append(Paragraph([Plain("Een casus met een van deze veiligheidssignalen ("), Code("veiligheid: ja"),
                              Plain(" in de woordenlijst) blijft nooit alleen bij de mentor:")]))
        out.append(Bullets([[Plain(term.label + " ("), Code(key), Plain(")")] for key, term in kinds]))
    family = [(key, term) for key, term in kinds if term.familie_niet_benaderen]
    if family:
        out.append(Paragraph([Plain("Bij deze veiligheidssignalen kan contact met de ouders of de familie de leerling "
                                    "in gevaar brengen ("), Code("familie_niet_benaderen: ja"),
                              Plain("). Dan benadert de mentor de ouders niet zelf: het contact met de ouders loopt "
                                    "via de aandachtsfunctionaris. "), Code("grenzen controleer"),
                              Plain(" meldt een regel die de mentor dan toch naar de ouders stuurt.")]))
        out.append(Bullets([[Plain(term.label + " ("), Code(key), Plain(")")] for key, term in family]))
    referrals = [item for item in absolute if item.rule.dan.route != "mentor"]
    staying = [item for item in absolute if item.rule.dan.route == "mentor"]
    if referrals:
        out += [Paragraph([Plain("Deze regels zijn absoluut: geen uitzondering zet ze opzij, ook niet met scholing.")]),
                _rule_bullets(referrals)]
    if staying:  # apart: under "Veiligheid eerst" a trial read them as referrals that keep the case at the mentor
        out += [Paragraph([Plain("Ook bij gevaar blijven deze taken bij de mentor, naast de doorverwijzing naar het "
                                 "zorgteam of externe hulp. Ook deze regels zijn absoluut: een doorverwijzing zet ze "
                                 "niet opzij.")]),
                _rule_bullets(staying, urgency=False, why=True)]  # "in de gewone mentorcyclus" read oddly (a trial)
    return out


def _rule_bullets(items: list[LoadedRule], urgency: bool = True, why: bool = False) -> Bullets:
    """Rules as bullets: title, route (and urgency), id; with ``why`` the reason its writer gives for keeping it in
    danger (``danger_reason``: an MR member reads why, not only that)."""
    bullets: list[Text] = []
    for item in items:
        bullet: Text = [Bold(item.rule.titel), Plain(f" — {ROUTE_WORDS[item.rule.dan.route]}"
                                                     + (f", {URGENCY_WORDS[item.rule.dan.urgentie]}" if urgency else "")
                                                     + " ("), Code(item.rule.id), Plain(")")]
        reason = danger_reason(item) if why else None
        if reason:
            bullet.append(Plain(f". Waarom: {reason}"))
        bullets.append(bullet)
    return Bullets(bullets)


def _overlay(policy: Policy, aside: dict[str, list[LoadedRule]]) -> list[Block]:
    """Where the school departs from its base: the base rules that a school rule sets aside, and the rules the school
    adds, if any."""
    added = [item for item in policy.source.rules if _added_by_overlay(item, policy)]
    if not aside and not added:
        return []
    always_aside = always_set_aside(policy)
    never: Text = [Plain(" — "), Mark("telt nooit mee:"), Plain(" " + NEVER_COUNTS)]
    out: list[Block] = [Heading(2, "Waar de school afwijkt van de basis")]
    if aside:
        by_id = {item.rule.id: item for item in policy.source.rules}
        items: list[Text] = []
        for target, setters in aside.items():
            rule: Text = [Bold(by_id[target].rule.titel), Plain(" ("), Code(target), Plain(") — opzij gezet door ")]
            items.append(rule + _join_codes([setter.rule.id for setter in setters]))
        out += [Paragraph([Plain("Deze regels uit de basis (het beleid waarop de school bouwt) zet de school "
                                 "opzij met een eigen regel. Geldt die eigen regel, dan telt de regel uit de basis "
                                 "niet mee.")]),
                Bullets(items)]
    if added:
        out += [Paragraph([Plain("Deze regels heeft de school zelf toegevoegd; ze staan niet in de basis.")]),
                Bullets([[Bold(item.rule.titel), Plain(" ("), Code(item.rule.id), Plain(")"),
                          *(never if item.rule.id in always_aside else [])] for item in added])]
    return out


def _added_by_overlay(item: LoadedRule, policy: Policy) -> bool:
    """Whether a rule comes from a layer above the base (a school overlay), not from the base itself."""
    layers, rules = policy.source.rule_layers, policy.source.rules
    return len(policy.layers) > 1 and layers.get(item.rule.id) != layers.get(rules[0].rule.id)


def _themes(policy: Policy, labels: dict[str, str], aside: dict[str, list[LoadedRule]]) -> list[Block]:
    """One section per theme (those with an absolute rule first), its rules by route, absolute rules first."""
    themes: dict[str, list[LoadedRule]] = {}
    for item in policy.source.rules:
        themes.setdefault(item.theme, []).append(item)
    order = sorted(themes, key=lambda t: (not any(i.rule.absoluut for i in themes[t]), list(themes).index(t)))
    always_aside = always_set_aside(policy)
    out: list[Block] = []
    for theme in order:
        out.append(Heading(2, theme))
        description = _theme_description(themes[theme][0])
        if description:
            out.append(Paragraph([Plain(description)]))
        items = sorted(themes[theme], key=lambda i: not i.rule.absoluut)
        gone = [i for i in items if i.rule.id in always_aside]
        for route, title in SECTIONS:
            chosen = [i for i in items if i.rule.dan.route == route and i not in gone]
            if not chosen:
                continue
            out.append(Heading(3, title))
            for item in chosen:
                out.extend(_rule(item, labels, policy, aside.get(item.rule.id, [])))
        if gone:
            out += [Heading(3, "Gaat altijd opzij bij gevaar"), Paragraph([Plain(ALWAYS_ASIDE)])]
            for item in gone:
                out.extend(_rule(item, labels, policy, aside.get(item.rule.id, []), never_counts=True))
    return out


def _theme_description(item: LoadedRule) -> str | None:
    data = item.located.data if isinstance(item.located.data, dict) else {}
    value = data.get("beschrijving")
    return " ".join(value.split()) if isinstance(value, str) else None


def _set_aside_by_overlay(policy: Policy) -> dict[str, list[LoadedRule]]:
    """Per rule of a lower layer, the rules of a higher layer (a school overlay) that set it aside, in policy order."""
    layers = policy.source.rule_layers
    out: dict[str, list[LoadedRule]] = {}
    targets = {item.rule.id for item in policy.source.rules}
    for item in policy.source.rules:
        for target in item.rule.zet_opzij:
            if target in targets and layers.get(target) != layers.get(item.rule.id):
                out.setdefault(target, []).append(item)
    order = [item.rule.id for item in policy.source.rules]
    return dict(sorted(out.items(), key=lambda pair: order.index(pair[0])))


def _rule(item: LoadedRule, labels: dict[str, str], policy: Policy, set_aside_by: list[LoadedRule],
          never_counts: bool = False) -> list[Block]:
    """One rule: its heading and a list of what it asks, advises and why; ``never_counts``: a rule that always goes
    aside (``always_set_aside``), whose advice is never given (a trial read "Advies: blijft bij de mentor" there as
    policy)."""
    rule: Regel = item.rule
    then = rule.dan
    advice = f"{ROUTE_WORDS[then.route]}, {URGENCY_WORDS[then.urgentie]}"
    if then.taak_hoort_bij_mentor is not None:
        advice += "; de taak hoort " + ("" if then.taak_hoort_bij_mentor else "niet ") + "bij de mentor"
    lines: list[Text] = [
        [Bold("Wanneer: "), Plain(_describe(rule.als, labels))],
        [Bold("Zou adviseren: " if never_counts else "Advies: "), Plain(advice)],
    ]
    if never_counts:
        lines.insert(0, [Mark("Telt nooit mee:"), Plain(" " + NEVER_COUNTS)])
    if _added_by_overlay(item, policy):
        lines.insert(0, [Mark("Toegevoegd door de school:"), Plain(" deze regel staat niet in de basis.")])
    if then.mentor_doet:
        lines.append([Bold("De mentor doet: "), Plain(" ".join(then.mentor_doet))])
    if then.mentor_doet_niet:
        lines.append([Bold("De mentor doet niet: "), Plain(" ".join(then.mentor_doet_niet))])
    if then.verwijzen_naar:
        names = policy.agreements.bestemmingen
        lines.append([Bold("Verwijzen naar: "),
                      Plain(", ".join(names[n].naam if n in names else n for n in then.verwijzen_naar))])
    if then.toestemming is not None:
        lines.append([Bold("Toestemming: "), Plain("nodig (wie toestemming geeft, staat bij de verwijsafspraken)"
                                                   if then.toestemming else "niet nodig (meldplicht of meldrecht)")])
    if rule.zet_opzij:
        lines.append([Bold("Uitzondering op: ")] + _join_codes(rule.zet_opzij))
    if set_aside_by:
        lines.append([Mark("Opzij gezet door de school:"), Plain(" "), *_join_codes([s.rule.id for s in set_aside_by]),
                      Plain("; als die regel geldt, telt deze regel niet mee.")])
    lines.append([Bold("Waarom: "), Plain(then.uitleg)])
    lines.append([Bold("Bron: "), *linked(" ".join(rule.bron.split()) + " — "), Code(_where(item, policy))])
    title = rule.titel + (" (absoluut)" if rule.absoluut else "")
    return [Heading(4, f"{title} · {rule.id}"), Bullets(lines)]


def linked(text: str) -> Text:
    """``text`` as plain text, with every web address in it as a link."""
    spans: Text = []
    start = 0
    for found in URL.finditer(text):
        if found.start() > start:
            spans.append(Plain(text[start:found.start()]))
        spans.append(Link(found.group(), found.group()))
        start = found.end()
    if start < len(text) or not spans:
        spans.append(Plain(text[start:]))
    return spans


def _join_codes(names: list[str]) -> Text:
    """``names`` as code, separated by commas."""
    spans: Text = []
    for index, name in enumerate(names):
        if index:
            spans.append(Plain(", "))
        spans.append(Code(name))
    return spans


def _where(item: LoadedRule, policy: Policy) -> str:
    layer = policy.source.rule_layers.get(item.rule.id)
    name = Path(item.file).name
    return f"{layer}/{name}:{item.line}" if layer else f"{name}:{item.line}"


def _describe(cond: Voorwaarde, labels: dict[str, str]) -> str:
    parts: list[str] = []
    if cond.taak:
        parts.append("de taak is " + _or(cond.taak, labels))
    if cond.scholing:
        parts.append("de mentor volgde scholing in " + _or(cond.scholing, labels))
    if cond.signaal is not None:
        parts.append(_signal(cond.signaal, labels))
    if cond.aantal_signalen is not None:
        parts.append(_signal(cond.aantal_signalen, labels, cond.aantal_signalen.minstens))
    if cond.leeftijd is not None:
        parts.append(_ages(cond.leeftijd.vanaf, cond.leeftijd.tot_en_met))
    if cond.leerjaar is not None:
        parts.append(school_years(cond.leerjaar.vanaf, cond.leerjaar.tot_en_met))
    if cond.eerdere_aanpak is not None:
        text = f"de mentor pakt het al minstens {cond.eerdere_aanpak.weken_minstens or 0} weken zelf aan"
        if cond.eerdere_aanpak.effect:
            text += ", met effect " + " of ".join(cond.eerdere_aanpak.effect)
        parts.append(text)
    for child in cond.alle or []:
        parts.append(_describe(child, labels))
    if cond.een_van:
        parts.append("één van: " + "; ".join(f"({_describe(c, labels)})" for c in cond.een_van))
    if cond.niet is not None:
        inner = _describe(cond.niet, labels)
        only_a_signal = cond.niet.signaal is not None and cond.niet.model_fields_set == {"signaal"}
        # "er is geen veiligheidssignaal", not "niet: (er is een veiligheidssignaal)" (a trial: not B1)
        parts.append("er is geen " + inner.removeprefix("er is een ") if only_a_signal else f"niet: ({inner})")
    return " en ".join(parts) if parts else "altijd"


def _signal(cond: SignaalVoorwaarde, labels: dict[str, str], count: int | None = None) -> str:
    """A signal block in words ("er is een signaal ..."), or with ``count`` a counting block ("er zijn minstens 3
    signalen ..., elk minstens matig")."""
    many = count is not None and count > 1
    safety = cond.veiligheid  # selectors: by the flags and by group (see _select)
    groups = cond.groep
    noun = ("veiligheidssign" if safety is True else "sign") + ("alen" if many else "aal")
    text = "er is een " + noun if count is None else ("er zijn" if many else "er is") + f" minstens {count} {noun}"
    if cond.soort:
        text += " " + _or(cond.soort, labels)
    elif cond.behalve_soort:
        text += " van een andere soort dan " + _or(cond.behalve_soort, labels)
    if groups:
        text += " uit de groep " + either([f"‘{group}’" for group in groups])
    if safety is False:
        text += " die geen veiligheidssignalen zijn" if many else " dat geen veiligheidssignaal is"
    family = cond.familie_niet_benaderen
    if family is not None:
        text += (" waarbij contact met de ouders of de familie de leerling in gevaar kan brengen" if family
                 else " waarbij contact met de familie geen gevaar is")
    if not (cond.soort or cond.behalve_soort or groups or safety is not None or family is not None):
        text += " (van welke soort ook)"
    each = ", elk" if many else ","
    if cond.ernst_minstens and cond.ernst_minstens == cond.ernst_hoogstens:
        text += f"{each} ernst {cond.ernst_minstens}"
    elif cond.ernst_minstens and cond.ernst_hoogstens:
        text += f"{each} ernst {cond.ernst_minstens} tot en met {cond.ernst_hoogstens}"
    elif cond.ernst_minstens:
        text += f"{each} minstens {cond.ernst_minstens}"
    elif cond.ernst_hoogstens:
        text += f"{each} hoogstens {cond.ernst_hoogstens}"
    if cond.duur_minstens_weken is not None:
        text += (f", die elk minstens {cond.duur_minstens_weken} weken duren" if many
                 else f", dat minstens {cond.duur_minstens_weken} weken duurt")
    return text


def _ages(low: int | None, high: int | None) -> str:
    """An age range of a condition in words."""
    if low is not None and high is not None:
        return f"de leerling is {low} tot en met {high} jaar"
    if low is not None:
        return f"de leerling is minstens {low} jaar"
    return f"de leerling is hoogstens {high} jaar"


def school_years(low: int | None, high: int | None) -> str:
    """A school-year range in words: 'de leerling zit in leerjaar 1 of 2', 'in leerjaar 3 of hoger', 'in leerjaar 1
    tot en met 3'; a range without bounds (or only 'vanaf 1') says that the school year is known."""
    if high is None:
        return "het leerjaar is bekend" if low is None or low <= 1 else f"de leerling zit in leerjaar {low} of hoger"
    low = 1 if low is None else low
    if low == high:
        return f"de leerling zit in leerjaar {low}"
    if high == low + 1:
        return f"de leerling zit in leerjaar {low} of {high}"
    return f"de leerling zit in leerjaar {low} tot en met {high}"


def _or(names: list[str], labels: dict[str, str]) -> str:
    return either([f"‘{labels.get(n, n).lower()}’" for n in names])


def _agreements(policy: Policy) -> list[Block]:
    out: list[Block] = [Heading(2, "Verwijsafspraken")]
    destinations = policy.agreements.bestemmingen
    if destinations:
        rows = [[*_row(d.naam, "binnen de school" if d.soort == "intern" else "buiten de school",
                       " ".join((d.omschrijving or "").split())), linked(" ".join((d.bron or "").split()))]
                for d in destinations.values()]
        out.append(Table(["wie", "waar", "wat", "bron"], rows))
    consent = policy.agreements.toestemming
    if consent is not None:
        out.append(Paragraph([Plain("Is voor een verwijzing toestemming nodig, dan geeft die:")]))
        rows = []
        for group in consent.leeftijden:
            rows.append(_row(age_group(group.vanaf, group.tot_en_met), group.wie))
        rows.append(_row("leeftijd onbekend", consent.onbekende_leeftijd))
        out.append(Table(["leeftijd", "toestemming van"], rows))
        out.append(Paragraph([Bold("Bron: "), *linked(" ".join(consent.bron.split()))]))
    return out


def age_group(low: int | None, high: int | None) -> str:
    """An age group of the consent table in words: '12 tot en met 15 jaar', '16 jaar en ouder'."""
    if low is not None and high is not None:
        return f"{low} tot en met {high} jaar"
    if low is not None:
        return f"{low} jaar en ouder"
    return f"tot en met {high} jaar"


def describe_condition(policy: Policy, cond: Voorwaarde) -> str:
    """A rule's condition in words, with the labels of ``policy``'s vocabulary (as in the policy document)."""
    return _describe(cond, _labels(policy))


def _labels(policy: Policy) -> dict[str, str]:
    vocab = policy.vocabulary
    return {**{k: t.label for k, t in vocab.signalen.items()}, **{k: t.label for k, t in vocab.taken.items()},
            **{k: t.label for k, t in vocab.scholing.items()}}


def _vocabulary(policy: Policy) -> list[Block]:
    vocab = policy.vocabulary
    out: list[Block] = [Heading(2, "Woordenlijst")]
    for title, table in (("Signalen", vocab.signalen), ("Taken", vocab.taken), ("Scholing", vocab.scholing)):
        if table:
            out.append(Heading(3, title))
            out.append(Table(["naam", "betekenis", "in een casus"],
                        [[*_row(t.label, " ".join(t.omschrijving.split())), [Code(k)]] for k, t in table.items()]))
        if title == "Signalen":
            out += _severity_anchors(policy)
    return out


def _severity_anchors(policy: Policy) -> list[Block]:
    """Per signal kind whose vocabulary entry says so, what each severity means, with the source."""
    kinds = [(key, term) for key, term in policy.vocabulary.signalen.items() if term.anchors()]
    if not kinds:
        return []
    out: list[Block] = [
        Heading(3, "Wat een ernst betekent"),
        Paragraph([Plain("Bij deze soorten zegt het beleid wat elke ernst betekent, in wat de mentor kan zien. "
                         "Kies bij een casus de ernst die het best past; de regels rekenen met die ernst.")]),
    ]
    for key, term in kinds:
        out.append(Paragraph([Bold(term.label), Plain(" ("), Code(key), Plain(")")]))
        items: list[Text] = [[Bold(f"{severity}: "), Plain(" ".join(text.split()))]
                             for severity, text in term.anchors().items()]
        if term.ernst_bron:
            items.append([Bold("Bron: "), *linked(" ".join(term.ernst_bron.split()))])
        out.append(Bullets(items))
    return out


def _row(*cells: str) -> list[Text]:
    return [[Plain(cell)] for cell in cells]


# --- output -------------------------------------------------------------------------------------


def _md_text(spans: Text) -> str:
    """Styled text as Markdown."""
    return "".join(_md_span(span) for span in spans)


def _md_span(span: Span) -> str:
    """One run of styled text as Markdown."""
    match span:
        case Bold(text) | Mark(text):
            return _bold(_md_plain(text))
        case Code(text):
            return _md_code(text)
        case Plain(text) | Link(text):
            return _md_plain(text)


def _md_plain(text: str) -> str:
    """Text as Markdown that shows exactly this text: no HTML, no link, no code span, no block of its own."""
    return MD_SPECIAL.sub(lambda m: MD_ESCAPES[m.group()], LINE_BREAK.sub(" ", text))


def _md_code(text: str) -> str:
    """A code span; text that a code span cannot hold safely (backticks, markup, line breaks) stays plain."""
    return f"`{text}`" if not MD_SPECIAL.search(text) and not LINE_BREAK.search(text) else _md_plain(text)


def _bold(text: str) -> str:
    """Markdown bold around the words only; surrounding spaces stay outside the markers."""
    core = text.strip()
    return text[: len(text) - len(text.lstrip())] + f"**{core}**" + text[len(text.rstrip()):]


def _markdown(blocks: list[Block]) -> str:
    """The document as Markdown: each block followed by an empty line."""
    lines: list[str] = []
    for block in blocks:
        lines += _md_block(block)
    return "\n".join(lines).rstrip() + "\n"


def _md_block(block: Block) -> list[str]:
    """One block as Markdown lines, the empty line after it included."""
    match block:
        case Heading(level, text):
            return ["#" * level + " " + _md_plain(text), ""]
        case Paragraph(text):
            return [_md_text(text), ""]
        case Bullets(items):
            return ["- " + _md_text(item) for item in items] + [""]
        case Table(header, rows):
            return (["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                    + ["| " + " | ".join(_md_text(cell).replace("|", "/") for cell in row) + " |" for row in rows]
                    + [""])


def _html_text(spans: Text) -> str:
    """Styled text as HTML, every text escaped."""
    return "".join(_html_span(span) for span in spans)


def _html_span(span: Span) -> str:
    """One run of styled text as HTML."""
    match span:
        case Bold(text):
            return f"<strong>{html.escape(text)}</strong>"
        case Code(text):
            return f"<code>{html.escape(text)}</code>"
        case Mark(text):
            return f'<strong class="school">{html.escape(text)}</strong>'
        case Link(text, url):
            shown = ' class="url"' if text == url else ""
            return f'<a href="{html.escape(url)}"{shown}>{html.escape(text)}</a>'
        case Plain(text):
            return html.escape(text)


def _html(blocks: list[Block], title: str) -> str:
    """The document as a standalone HTML page that loads and runs nothing."""
    lines = ["<!DOCTYPE html>", '<html lang="nl">', "<head>", '<meta charset="utf-8">', CSP_META,
             f"<title>{html.escape(title)}</title>",
             f"<style>{HTML_STYLE}</style>",
             "</head>", "<body>"]
    for block in blocks:
        lines += _html_block(block)
    lines += ["</body>", "</html>"]
    return "\n".join(lines) + "\n"


def _html_block(block: Block) -> list[str]:
    """One block as HTML lines."""
    match block:
        case Heading(level, text):
            return [f"<h{level}>{html.escape(text)}</h{level}>"]
        case Paragraph(text):
            return [f"<p>{_html_text(text)}</p>"]
        case Bullets(items):
            return ["<ul>" + "".join(f"<li>{_html_text(i)}</li>" for i in items) + "</ul>"]
        case Table(header, rows):
            return (["<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead>",
                     "<tbody>"]
                    + ["<tr>" + "".join(f"<td>{_html_text(c)}</td>" for c in row) + "</tr>" for row in rows]
                    + ["</tbody></table>"])
