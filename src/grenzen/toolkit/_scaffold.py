"""``grenzen nieuw``: a school's overlay on the bundled default policy, ready to edit, check and test.

The folder gets ``laag.yaml``, one theme file with one real, active rule (a harmless school habit the school edits
or replaces; the loader refuses a theme file without rules) and a commented second rule, ``voorbeelden/`` with one
example that passes, ``LEESMIJ.md`` with the next steps, and ``schema/`` with the JSON Schemas of its files made
from this very policy (so that an editor knows the school's own kinds too; ``grenzen schema --bijwerken`` renews
them). Every YAML file starts with a ``$schema`` line relative to itself, so the folder can move anywhere.

The folder is built beside its final place under a temporary name and renamed at the end: it appears whole or not
at all.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from .._errors import GrenzenError, os_reason
from ..pipeline._load import EXAMPLES_DIR, LAYER_FILE
from ..pipeline._policy import load_policy
from . import SCHEMA_DIR
from ._schema import write_schemas

THEME_FILE = "school.yaml"
README_FILE = "LEESMIJ.md"
RULE_ID = "school-oudercontact-terugkoppelen"

_LAYER = """\
# yaml-language-server: $schema={schema}/laag.schema.json
# De laag van uw school: alleen wat uw school anders of extra doet, bovenop het standaardbeleid.
naam: {name}
basis: standaard   # het meegeleverde standaardbeleid
# Eigen soorten signalen, taken of scholing? Zet ze hier, net als in de woordenlijst. Bijvoorbeeld:
# signalen:
#   taalachterstand:
#     label: Taalachterstand
#     omschrijving: De leerling heeft moeite met het Nederlands als schooltaal.
# Werk daarna de hulp van de editor bij met: grenzen schema --bijwerken {folder}
"""

#: The words in the example rule's source that ask the school to fill it in (``controleer``: ``bron-invullen``).
PLACEHOLDER = "zet hier waar de afspraak staat"

_THEME = """\
# yaml-language-server: $schema={schema}/regels.schema.json
# De eigen regels van uw school. Een regel zegt: als de casus zo is (als), dan is dit het advies (dan).
# De regel hieronder is een voorbeeld. Pas hem aan op uw school, of vervang hem door een eigen regel.
# Er moet altijd minstens één regel in dit bestand staan.
thema: Eigen afspraken
beschrijving: Afspraken van onze school bovenop het standaardbeleid.
regels:
  - id: {rule_id}
    titel: Na een gesprek met de ouders hoort de leerling wat er is afgesproken
    bron: Afspraak van de school ({placeholder}, bijvoorbeeld het zorgplan)
    als:
      taak: oudercontact
      niet:
        signaal: {{veiligheid: ja}}   # niet als iemand in gevaar kan zijn
    dan:
      route: mentor
      taak_hoort_bij_mentor: ja
      mentor_doet:
        - Vertel de leerling na het gesprek wat je met de ouders hebt afgesproken.
      uitleg: Zo weet de leerling wat er gaat gebeuren.

  # Nog een voorbeeld: een regel met een signaal, die drie standaardregels opzij zet.
  # Wilt u hem gebruiken? Haal dan aan het begin van elke regel het hekje en de spatie erna weg ('# '), en pas hem
  # aan. In VS Code: kies de regels en druk op Ctrl+/.
  # Zet ook een voorbeeld in voorbeelden/school.yaml (zie daar).
  #
  # - id: school-loopbaan-decaan
  #   titel: Bij twijfel over het profiel voert de decaan het loopbaangesprek
  #   bron: Zorgplan van de school
  #   als:
  #     taak: loopbaangesprek
  #     signaal: {{soort: loopbaankeuze, ernst_minstens: matig, ernst_hoogstens: matig}}
  #   dan:
  #     route: zorgteam
  #     taak_hoort_bij_mentor: nee
  #     mentor_doet: [Verwijs de leerling naar het spreekuur van de decaan.]
  #     verwijzen_naar: [decaan]
  #     uitleg: Op onze school voert de decaan deze gesprekken.
  #   zet_opzij: [loopbaankeuze-licht-matig, tumult-vaardigheden, loopbaangesprek-eerste-lijn]
"""

_EXAMPLES = """\
# yaml-language-server: $schema=../{schema}/voorbeelden.schema.json
# Voorbeeldcasussen met het advies dat u verwacht. 'grenzen test' kijkt of het beleid dat advies geeft.
voorbeelden:
  - naam: Na een gesprek met de ouders over dalende cijfers vertelt de mentor de leerling wat is afgesproken
    casus:
      leeftijd: 14
      taak: oudercontact
      signalen:
        - {{soort: cijfers_dalen, ernst: licht}}
    verwacht:
      route: mentor
      taak_hoort_bij_mentor: ja
      regels: [{rule_id}]

  # Het voorbeeld bij de tweede regel in school.yaml. Gebruikt u die regel, haal dan aan het begin van elke regel
  # hieronder het hekje en de spatie erna weg ('# ').
  #
  # - naam: Bij twijfel over het profiel gaat de leerling naar de decaan
  #   casus: {{leeftijd: 15, taak: loopbaangesprek, signalen: [{{soort: loopbaankeuze, ernst: matig}}]}}
  #   verwacht: {{route: zorgteam, taak_hoort_bij_mentor: nee, regels: [school-loopbaan-decaan]}}
"""

_README = """\
# {name}

Deze map is het beleid van uw school. Het bouwt op het standaardbeleid van grenzen. In deze map zet u alleen wat
uw school anders of extra doet. Het standaardbeleid zelf past u niet aan.

## Wat staat er in deze map?

| bestand | wat erin staat |
|---|---|
| `laag.yaml` | De naam van uw beleid. Ook eigen soorten signalen, taken of scholing zet u hier. |
| `{theme}` | Uw eigen regels. Er staat één voorbeeldregel in. Pas die aan of vervang hem. |
| `voorbeelden/{theme}` | Voorbeeldcasussen met het advies dat u verwacht. |
| `schema/` | Hulp voor de editor. Dit past u niet zelf aan. |
| `{readme}` | Dit bestand. |

## De volgende stappen

1. **Open de map in een editor.** Wij raden Visual Studio Code aan, met de extensie *YAML* van Red Hat. Dan ziet u
   tijdens het typen welke woorden mogen, wat ze betekenen, en een rode streep onder een fout.
2. **Pas de voorbeeldregel aan** in `{theme}`. Schrijf bij `bron` waar de afspraak staat, bijvoorbeeld in het
   zorgplan van de school.
3. **Controleer het beleid:** `grenzen controleer {folder}`. Bij een fout ziet u het bestand, de regel en de kolom,
   en wat u kunt doen.
4. **Zet bij elke eigen regel een voorbeeld** in `voorbeelden/{theme}` en **test:** `grenzen test {folder}`.
5. **Maak het beleidsdocument** voor het team, als Word-bestand: `grenzen beleid {folder} --formaat docx -o
   beleid.docx` (daarvoor is `pip install "grenzen[docx]"` nodig), of als webpagina: `grenzen beleid {folder}
   --formaat html -o beleid.html`.

Meer doen:

- **Eigen verwijsafspraken** (namen van collega's en partners): maak `afspraken.yaml` in deze map. Het werkt zoals
  `afspraken.yaml` van het standaardbeleid. Een bestemming met dezelfde sleutel vervangt die van het
  standaardbeleid.
- **Een eigen soort signaal, taak of scholing:** zet die in `laag.yaml`. Werk daarna de hulp van de editor bij:
  `grenzen schema --bijwerken {folder}`.
- **Wat verandert er voor de mentoren?** `grenzen verschil standaard {folder}` laat zien welke adviezen anders
  worden dan in het standaardbeleid.

De uitgebreide uitleg staat in de handleiding *Het beleid bijhouden* (`docs/beleid-bijhouden.md` bij grenzen).
"""


def default_name(folder: Path) -> str:
    """The policy's name when none is given: after the folder."""
    return f"Beleid mentoraat {folder.resolve().name}"


def create_overlay(folder: Path, name: str, write: Callable[[Path, str], None] | None = None) -> list[Path]:
    """Create the overlay ``folder`` named ``name``; refuses a folder that exists. Returns the files made (in the
    final folder), the schemas last. Problems are raised as a ``GrenzenError`` in Dutch; nothing is left behind."""
    if folder.exists() or folder.is_symlink():
        what = "map" if folder.is_dir() else "bestand"
        raise GrenzenError(f"Er is al een {what} '{folder}'. grenzen nieuw overschrijft niets: kies een nieuwe naam "
                           "voor de map.")
    parent = folder.parent
    if not parent.is_dir():
        raise GrenzenError(f"De map '{parent}' bestaat niet. Maak die eerst, of kies een andere plek voor de "
                           "nieuwe map.")
    if not _one_line_name(name):
        raise GrenzenError(f"De naam van het beleid mag niet leeg zijn, moet op één regel passen en mag hoogstens "
                           f"{MAX_NAME} tekens hebben.")
    try:
        building = Path(tempfile.mkdtemp(dir=parent, prefix=f".{folder.name}.", suffix=".nieuw"))
    except OSError as exc:
        raise GrenzenError(f"Kan de map '{folder}' niet maken: {os_reason(exc)}.") from None
    try:
        made = _fill(building, folder, name, write or _write)
        building.chmod(0o755)
        building.rename(folder)
    except BaseException as exc:
        shutil.rmtree(building, ignore_errors=True)
        if isinstance(exc, OSError):
            raise GrenzenError(f"Kan de map '{folder}' niet maken: {os_reason(exc)}.") from None
        raise
    return [folder / path.relative_to(building) for path in made]


def _fill(building: Path, folder: Path, name: str, write: Callable[[Path, str], None]) -> list[Path]:
    """Write the files into ``building`` (named in their texts as ``folder``), then the schemas of that policy."""
    shown = _shown(folder)
    (building / EXAMPLES_DIR).mkdir()
    files = {
        building / LAYER_FILE: _LAYER.format(schema=SCHEMA_DIR, name=_quoted(name), folder=shown),
        building / THEME_FILE: _THEME.format(schema=SCHEMA_DIR, rule_id=RULE_ID, placeholder=PLACEHOLDER),
        building / EXAMPLES_DIR / THEME_FILE: _EXAMPLES.format(schema=SCHEMA_DIR, rule_id=RULE_ID),
        building / README_FILE: _README.format(name=name, theme=THEME_FILE, readme=README_FILE, folder=shown),
    }
    for path, text in files.items():
        write(path, text)
    return [*files, *write_schemas(load_policy(building), building, write)]


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _shown(folder: Path) -> str:
    """The folder as the policy writer types it in a command (quoted when it has a space)."""
    text = str(folder)
    return f'"{text}"' if " " in text else text


def _quoted(name: str) -> str:
    """A name as a YAML value that stays text (a name like 'ja', '12' or 'a: b' included)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


MAX_NAME = 200  # characters of --naam


def _one_line_name(name: str) -> bool:
    return bool(name.strip()) and "\n" not in name and "\r" not in name and len(name) <= MAX_NAME


