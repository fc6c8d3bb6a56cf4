"""Batch advice over JSON Lines: order kept, bad lines reported in place, processes give the same output."""

from __future__ import annotations

import io
import json

from conftest import FIXTURES

from grenzen._batch import Progress, advise_lines
from grenzen.cli import main

BASIS = FIXTURES / "basis"
LINES = [
    '{"taak": "signaleren"}',
    "",
    '{"taak": "begeleidingsgesprekken", "signalen": [{"soort": "rouw", "ernst": "matig"}], "mentor": {"scholing": ["rouwbegeleiding"]}}',
    '{"taak": "signaleren", "naam": "Sanne Bakker"}',
    "geen json {",
    '{"taak": "signaleren", "signalen": [{"soort": "suicidaal_plan", "ernst": "licht"}]}',
]


def test_one_line_out_per_case_in_order_with_errors_in_place():
    out = [json.loads(line) for line in advise_lines(BASIS, LINES)]
    assert [o.get("route") for o in out] == ["mentor", "mentor", None, None, "extern"]
    assert out[2]["fout"]["regelnummer"] == 4 and out[2]["fout"]["fouten"][0]["veld"] == "naam"
    assert out[3]["fout"]["regelnummer"] == 5
    assert "Sanne" not in json.dumps(out)


def test_processes_give_the_same_lines():
    many = [LINES[0], LINES[2], LINES[5]] * 700
    assert list(advise_lines(BASIS, many, processes=2)) == list(advise_lines(BASIS, many, processes=1))


def test_cli_batch_file(tmp_path, capsys):
    path = tmp_path / "casussen.jsonl"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    assert main(["advies", str(path), "--regels", str(BASIS)]) == 1  # two lines had no advice
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 5
    assert "2 casussen zonder advies" in captured.err and "Sanne" not in captured.err


def test_progress_only_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    quiet, loud = io.StringIO(), Tty()
    for stream in (quiet, loud):
        progress = Progress(1000, stream)
        for _ in range(1000):
            progress.step()
        progress.close()
    assert quiet.getvalue() == ""
    assert "1000/1000 casussen" in loud.getvalue() and "#" * 30 in loud.getvalue()
