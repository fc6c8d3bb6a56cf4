"""The program's start-up (issue 12, point 3). It runs with the garbage collector paused, and only the program's
(``cli._startup``): the same output, no collection while it starts, the collector back on (with what start-up built
frozen) before the command's real work, and a ``main(argv)`` called from Python leaves the caller's collector alone.
``grenzen advies`` parses with a parser of that command alone (``_main.advies_parser``): the same arguments, help and
errors as the whole parser, without importing the other commands' options."""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from grenzen.cli import main
from grenzen.cli._argparse_nl import parse_in_dutch
from grenzen.cli._main import advies_parser, build_parser

BASIS = str(FIXTURES / "basis")
CASE = str(Path(__file__).resolve().parents[1] / "voorbeelden" / "casus.yaml")  # the README's example case

#: Runs ``grenzen ARGS`` as the program (``cli.main()``, arguments from sys.argv) and reports on standard error how
#: many collections ran between the start and the end of start-up, and whether the collector ran when the command's
#: work began (the first argument names the function that does it, patched to look; importing its module here
#: imports the command line's modules outside the start-up, so this counts the collections while loading).
PROGRAM = """
import gc, json, sys
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
seen = {}
from grenzen.cli import _startup
real_pause, real_end = _startup.pause, _startup.end
def pause():
    collections.clear()
    real_pause()
def end():
    seen.setdefault("collections_in_start_up", len(collections))
    real_end()
_startup.pause, _startup.end = pause, end
module_name, _, name = sys.argv[1].rpartition(".")
module = __import__(module_name, fromlist=[name])
real_work = getattr(module, name)
def work(*args, **kwargs):
    seen["collector_on_at_work"] = gc.isenabled()
    seen["frozen_at_work"] = gc.get_freeze_count()
    return real_work(*args, **kwargs)
setattr(module, name, work)
sys.argv = ["grenzen", *sys.argv[2:]]
from grenzen.cli import main
code = main()
seen["collector_on_at_exit"] = gc.isenabled()
sys.stderr.write("\\n" + json.dumps(seen))
sys.exit(code)
"""


def _program(work: str, *args: str) -> tuple[int, str, dict[str, Any]]:
    done = subprocess.run([sys.executable, "-c", PROGRAM, work, *args], capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, json.loads(done.stderr.splitlines()[-1])  # after what grenzen wrote there


def test_advies_starts_without_collections_and_gives_the_same_advice(capsys):
    code, out, seen = _program("grenzen.cli._main._input", "advies", CASE, "--json")
    assert main(["advies", CASE, "--json"]) == 0
    assert (code, out) == (0, capsys.readouterr().out)
    assert seen["collections_in_start_up"] == 0
    assert seen["collector_on_at_work"] is True and seen["frozen_at_work"] > 10_000
    assert seen["collector_on_at_exit"] is True


def test_a_batch_runs_with_the_collector_on(tmp_path):
    lines = tmp_path / "casussen.jsonl"
    lines.write_text('{"taak": "begeleidingsgesprekken"}\n' * 3, encoding="utf-8")
    code, out, seen = _program("grenzen.team._batch.run_batch", "advies", str(lines), "--regels", BASIS)
    assert code == 0 and len(out.splitlines()) == 3
    assert seen["collections_in_start_up"] == 0 and seen["collector_on_at_work"] is True


def test_other_commands_run_with_the_collector_on():
    code, out, seen = _program("grenzen.toolkit._table.table_markdown", "tabel", BASIS)
    assert code == 0 and out.startswith("Routes per signaalsoort")
    assert seen["collector_on_at_work"] is True


def test_a_policy_that_does_not_load_ends_the_start_up_too(tmp_path):
    code, out, seen = _program("grenzen.cli._main._input", "advies", CASE, "--regels",
                               str(tmp_path / "bestaat-niet"))
    assert code == 1 and out == "" and "collector_on_at_work" not in seen
    assert seen["collector_on_at_exit"] is True


@pytest.mark.parametrize("enabled", [True, False])
def test_main_with_arguments_leaves_the_callers_collector_alone(capsys, enabled):
    frozen = gc.get_freeze_count()
    if not enabled:
        gc.disable()
    try:
        assert main(["advies", CASE, "--regels", BASIS]) == 0
        assert gc.isenabled() is enabled and gc.get_freeze_count() == frozen
    finally:
        gc.enable()
    capsys.readouterr()


def test_a_collector_the_program_found_off_stays_off():
    # (Python 3.12 starts with objects of its own frozen: only what grenzen adds counts)
    code = ("import gc, sys; gc.disable(); frozen = gc.get_freeze_count(); "
            "sys.argv = ['grenzen', 'advies', sys.argv[1], '--regels', sys.argv[2]]; "
            "from grenzen.cli import main; main(); print(gc.isenabled(), gc.get_freeze_count() - frozen)")
    out = subprocess.run([sys.executable, "-c", code, CASE, BASIS], capture_output=True, text=True,
                         check=True).stdout
    assert out.splitlines()[-1] == "False 0"


ADVIES_ARGUMENTS = [
    ["advies", "casus.yaml"], ["advies", "-"], ["advies", "c.jsonl", "--json", "--regels", "r", "--processen", "2",
                                                "--max-grootte", "10", "--waarom", "--jsonl"],
    ["advies", "casus.yaml", "--reg", "r"], ["advies", "--help"], ["advies", "-h"], ["advies"], ["advies", "--json"],
    ["advies", "casus.yaml", "--processen", "0"], ["advies", "casus.yaml", "--max-grootte", "veel"],
    ["advies", "casus.yaml", "--onbekend"], ["advies", "a.yaml", "b.yaml"], ["advies", "casus.yaml", "--regels"],
    ["advies", "casus.yaml", "--help"], ["advies", "--", "-"],
]


def _parsed(build, argv, capsys):
    try:
        return vars(parse_in_dutch(build, argv))
    except SystemExit as exc:
        return (exc.code, *capsys.readouterr())


@pytest.mark.parametrize("argv", ADVIES_ARGUMENTS, ids=" ".join)
def test_advies_alone_parses_as_the_whole_parser_does(argv, capsys):
    assert _parsed(advies_parser, argv, capsys) == _parsed(build_parser, argv, capsys)


def test_advies_does_not_import_the_other_commands_options():
    code = ("import sys; sys.argv = ['grenzen', *sys.argv[1:]]; from grenzen.cli import main; main(); "
            "sys.stderr.write(str('grenzen.server._command' in sys.modules))")
    for args, imported in (["advies", CASE], "False"), (["tabel", BASIS], "True"):
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
        assert done.stderr == imported


def test_controleer_imports_the_schemas_only_for_a_policy_with_editor_help(tmp_path):
    """The bundled policy has no ``schema/`` folder: nothing there can be stale, and ``_schema`` is not imported."""
    code = ("import sys; sys.argv = ['grenzen', *sys.argv[1:]]; from grenzen.cli import main; main(); "
            "sys.stderr.write(str('grenzen.toolkit._schema' in sys.modules))")
    helped = shutil.copytree(BASIS, tmp_path / "regels")
    (helped / "schema").mkdir()  # a folder with editor help (empty: every schema is missing)
    for args, imported in (["controleer", "--alleen-laden"], "False"), (["controleer", "--alleen-laden", str(helped)],
                                                                          "True"):
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
        assert done.stderr == imported


#: Ctrl-C while ``grenzen`` imports its command line: a finder that raises it when ``grenzen.cli._main`` is imported
CTRL_C_AT_START = """
import sys
class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == "grenzen.cli._main":
            raise KeyboardInterrupt
sys.meta_path.insert(0, CtrlC())
sys.argv = ["grenzen", "advies", sys.argv[1]]
from grenzen.cli import main
sys.exit(main())
"""


def test_ctrl_c_during_the_start_says_onderbroken_without_a_traceback():
    done = subprocess.run([sys.executable, "-c", CTRL_C_AT_START, CASE], capture_output=True, text=True, check=False)
    assert done.returncode == 130 and done.stderr == "Onderbroken.\n" and done.stdout == ""


def test_the_program_looks_for_no_plugins_and_imports_no_package_metadata():
    """pydantic's plugin loader imports ``importlib.metadata`` (email, zipfile, csv: about 22 ms of ``grenzen advies``)
    to look for plugins that the program turns off: the program gives the same advice without importing it."""
    code = ("import sys; sys.argv = ['grenzen', *sys.argv[1:]]; from grenzen.cli import main; main(); "
            "sys.stderr.write(str('importlib.metadata' in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, "advies", CASE], capture_output=True, text=True, check=True)
    assert done.stderr == "False"
    assert done.stdout == subprocess.run([sys.executable, "-m", "grenzen", "advies", CASE], capture_output=True,
                                         text=True, check=True).stdout


#: The stand-in loader after ``shield``: it finds no plugin, and any other name comes from pydantic's real loader
STAND_IN = """
import sys
from grenzen.cli import _startup
_startup.shield()
loader = sys.modules["pydantic.plugin._loader"]
assert loader.get_plugins() == () and "importlib.metadata" not in sys.modules
from pydantic import BaseModel
class Model(BaseModel):
    x: int
assert Model(x="1").x == 1 and "importlib.metadata" not in sys.modules
group = loader.PYDANTIC_ENTRY_POINT_GROUP  # a name only the real loader has
real = sys.modules["pydantic.plugin._loader"]
assert group == "pydantic" and real is not loader and real.__file__.endswith("_loader.py")
_startup.shield()  # pydantic's own loader is in place now: shield leaves it
assert sys.modules["pydantic.plugin._loader"] is real
print("ok")
"""


def test_the_stand_in_plugin_loader_answers_other_names_from_pydantics_own():
    done = subprocess.run([sys.executable, "-c", STAND_IN], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr
