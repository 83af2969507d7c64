"""The leak audit finds identifying text in every kind of artifact."""

from __future__ import annotations

import json
import zipfile

import pandas as pd
import pytest

from compendium import audit

NEEDLES = {"replaced": {"Dr Farah Siddiqui"}, "configured": {"Hillcrest General Hospital"}, "planted": set(),
           "withdrawn": {"L0042"}}


def _docx(path, text):
    runs = "".join(f"<w:r><w:t>{word} </w:t></w:r>" for word in text.split())
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", f'<w:document xmlns:w="w"><w:body><w:p>{runs}</w:p></w:body></w:document>')


@pytest.mark.parametrize("name,writer,kind", [
    ("table.md", lambda p: p.write_text("quote from Dr Farah Siddiqui"), "replaced"),
    ("nb.ipynb", lambda p: p.write_text(json.dumps({"cells": [{"source": ["x"], "outputs": [
        {"data": {"text/html": ["<td>L0042</td>"]}}]}]})), "withdrawn"),
    ("paper.docx", lambda p: _docx(p, "met at Hillcrest General Hospital"), "configured"),
    ("page.html", lambda p: p.write_text('<a href="mailto:someone@example.org">write</a>'), "email-like"),
    ("data.csv", lambda p: p.write_text("call,+92 312 555 0143\n"), "phone-like"),
    ("national.txt", lambda p: p.write_text("ring 0312-5550143 today"), "phone-like"),
    ("area.txt", lambda p: p.write_text("ring (051) 555-0199 today"), "phone-like"),
])
def test_a_leak_is_found_in_every_kind_of_file(tmp_path, name, writer, kind):
    writer(tmp_path / name)
    report = audit.scan(NEEDLES, tmp_path)
    assert [h["kind"] for h in report["hits"]] == [kind]
    with pytest.raises(audit.LeakFound) as info:
        audit.raise_on_leaks(report)
    assert name in str(info.value)
    assert "Siddiqui" not in str(info.value) and "L0042" not in str(info.value)  # the log names no identifier


def test_clean_reports_pass(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps({"p": 2.350959e-07, "chi2": 26.720647773279353,
                                                       "date": "2025-10-26"}))
    (tmp_path / "fig.svg").write_text('<svg><path d="M 123.45 678.9 L 12 345 678"/></svg>')
    (tmp_path / "table.md").write_text("| 10200 10200 | 20400 | 2024-02-13 |\n")
    (tmp_path / "fig.png").write_bytes(b"\x89PNG")
    report = audit.scan(NEEDLES, tmp_path)
    assert report["hits"] == [] and report["summary"]["images_skipped"] == 1
    audit.raise_on_leaks(report)


def test_needles_come_from_every_list():
    log = pd.DataFrame({"original": ["Dr Farah Siddiqui", "Al"]})
    found = audit.needles(log, {"withdrawn": ["L0042"]}, ["Hillcrest General Hospital"],
                          pd.DataFrame({"text": ["omar.lodhi@cvmc.edu.pk"]}))
    assert found == {"replaced": {"Dr Farah Siddiqui"}, "configured": {"Hillcrest General Hospital"},
                     "planted": {"omar.lodhi@cvmc.edu.pk"}, "withdrawn": {"L0042"}}
