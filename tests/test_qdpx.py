"""REFI-QDA exchange: schema-valid export, import from other tools, round trip."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from compendium import qdpx
from compendium.contract import load_study
from compendium.deidentify import Deidentifier, deidentify_units

FIXTURES = Path(__file__).resolve().parent / "fixtures"  # the codebook an ATLAS.ti 23.4 export wrote


@pytest.fixture(scope="module")
def exported(shipped_study, tmp_path_factory):
    s = shipped_study
    units, _ = deidentify_units(s.units, Deidentifier())
    coders = [*s.coders, "consensus"]
    qde, files = qdpx.project_qde("test", "compendium test", s.sources, units, s.codings, s.codebook, coders)
    path = tmp_path_factory.mktemp("qdpx") / "project.qdpx"
    qdpx.write_zip(path, {"project.qde": qde, **files})
    return path, qde, units


def test_export_is_valid_against_the_schemas(shipped_study, exported):
    _, qde, _ = exported
    qdpx.validate(qde, "Project-mrt2019.xsd")
    qdpx.validate(qdpx.codebook_qdc(shipped_study.codebook, "compendium test"), "Codebook.xsd")


def test_an_invalid_document_is_reported():
    with pytest.raises(qdpx.QdaError, match="not valid against Codebook.xsd"):
        qdpx.validate('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>', "Codebook.xsd")


def test_export_is_deterministic(shipped_study, exported, tmp_path):
    path, qde, _ = exported
    again = tmp_path / "again.qdpx"
    with zipfile.ZipFile(path) as zf:
        qdpx.write_zip(again, {n: zf.read(n).decode("utf-8") for n in zf.namelist()})
    assert again.read_bytes() == path.read_bytes()


def test_round_trip_gives_back_the_same_codings(shipped_study, exported, tmp_path):
    path, _, units = exported
    imported = qdpx.read_qdpx(path)
    assert sorted(imported.codings) == ["coder_a", "coder_b", "consensus"]
    assert [t["id"] for t in imported.codebook] == list(dict.fromkeys(shipped_study.codebook["theme"]))
    # units are renumbered in file order on import (gaps left by withdrawn turns close up)
    position = {(sid, int(u)): i + 1 for sid, part in units.groupby("source_id")
                for i, u in enumerate(sorted(part["unit"].astype(int)))}
    original = {(r.coder, r.source_id, position[(r.source_id, int(r.unit))], r.code)
                for r in shipped_study.codings.itertuples()}
    back = {(coder, r["source_id"], r["unit"], r["code"]) for coder, rows in imported.codings.items() for r in rows}
    assert back == original


def test_round_trip_output_meets_the_data_contract(raw_copy, exported):
    path, _, _ = exported
    raw = raw_copy
    for name in ("sources", "coding"):
        shutil.rmtree(raw / name)
    qdpx.write_contract(qdpx.read_qdpx(path), raw)
    study = load_study(raw)
    assert study.coders == ["coder_a", "coder_b"]
    assert len(study.sources) == 46


def test_atlas_ti_codebook_imports(tmp_path):
    imported = qdpx.read_qdpx(FIXTURES / "atlas_ti_23_4_codebook.qdc")
    assert imported.codebook == [{"id": "code_group_1", "label": "code group 1",
                                  "codes": [{"id": "code1", "label": "code1", "definition": "description"}]}]
    qdpx.write_contract(imported, tmp_path)
    assert "code_group_1" in (tmp_path / "codebook.yaml").read_text()


ANA, BEN = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
PARENT, C1, C2, C3 = ("AAAAAAAA-0000-0000-0000-00000000000" + str(i) for i in range(4))
TEXT = "Prima parte: la résistance 🙂 était forte.\r\n\r\nSecond paragraph about mentors.\r\nStill second.\r\n\r\nThird."


def other_tool_project(tmp_path: Path) -> Path:
    """A two-coder project in the shape NVivo and QualCoder write: nested codes, a
    code outside any parent, an internal source with CRLF line ends and characters
    outside the BMP, an inline source, codings whose coder is on the Coding or only
    on its selection."""
    start2 = TEXT.index("Second")
    end2 = TEXT.index("Still second.") + len("Still second.")
    qde = f'''<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="other" origin="Other QDA 14">
 <Users><User guid="{ANA}" name="Ana Ruiz"/><User guid="{BEN}" name="Ben Cole"/></Users>
 <CodeBook><Codes>
  <Code guid="{PARENT}" name="Challenges" isCodable="false">
   <Code guid="{C1}" name="Resistance" isCodable="true"><Description>Pushback.</Description></Code>
   <Code guid="{C2}" name="Mentorship" isCodable="true"/>
  </Code>
  <Code guid="{C3}" name="Other notes" isCodable="true"/>
 </Codes></CodeBook>
 <Sources>
  <TextSource guid="BBBBBBBB-0000-0000-0000-000000000001" name="Interview 7.docx" plainTextPath="internal://BBBBBBBB-0000-0000-0000-000000000001.txt">
   <PlainTextSelection guid="CCCCCCCC-0000-0000-0000-000000000001" startPosition="13" endPosition="39" creatingUser="{ANA}">
    <Coding guid="DDDDDDDD-0000-0000-0000-000000000001" creatingUser="{ANA}"><CodeRef targetGUID="{C1}"/></Coding>
   </PlainTextSelection>
   <PlainTextSelection guid="CCCCCCCC-0000-0000-0000-000000000002" startPosition="13" endPosition="{end2}" creatingUser="{BEN}">
    <Coding guid="DDDDDDDD-0000-0000-0000-000000000002"><CodeRef targetGUID="{C1}"/></Coding>
   </PlainTextSelection>
   <PlainTextSelection guid="CCCCCCCC-0000-0000-0000-000000000003" startPosition="{start2}" endPosition="{end2}" creatingUser="{ANA}">
    <Coding guid="DDDDDDDD-0000-0000-0000-000000000003" creatingUser="{ANA}"><CodeRef targetGUID="{C2}"/></Coding>
   </PlainTextSelection>
  </TextSource>
  <TextSource guid="BBBBBBBB-0000-0000-0000-000000000002" name="Post 3">
   <PlainTextContent>Only paragraph.</PlainTextContent>
   <PlainTextSelection guid="CCCCCCCC-0000-0000-0000-000000000004" startPosition="0" endPosition="4" creatingUser="{BEN}">
    <Coding guid="DDDDDDDD-0000-0000-0000-000000000004" creatingUser="{BEN}"><CodeRef targetGUID="{C3}"/></Coding>
   </PlainTextSelection>
  </TextSource>
 </Sources>
</Project>'''
    qdpx.validate(qde, "Project-mrt2019.xsd")
    path = tmp_path / "other.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr("sources/BBBBBBBB-0000-0000-0000-000000000001.txt", TEXT.encode("utf-8"))
    return path


def test_two_coder_project_from_another_tool_keeps_coders_apart(tmp_path):
    imported = qdpx.read_qdpx(other_tool_project(tmp_path))
    assert [t["id"] for t in imported.codebook] == ["challenges", "ungrouped"]
    assert [c["id"] for c in imported.codebook[0]["codes"]] == ["resistance", "mentorship"]
    ana = sorted((r["source_id"], r["unit"], r["code"]) for r in imported.codings["ana_ruiz"])
    ben = sorted((r["source_id"], r["unit"], r["code"]) for r in imported.codings["ben_cole"])
    # code points, end exclusive, CRLF counted as stored: 13..39 lies inside paragraph 1;
    # Ben's selection (coder only on the selection) runs into paragraph 2
    assert ana == [("Interview_7", 1, "resistance"), ("Interview_7", 2, "mentorship")]
    assert ben == [("Interview_7", 1, "resistance"), ("Interview_7", 2, "resistance"), ("Post_3", 1, "other_notes")]
    text = imported.sources["Interview_7"]
    assert "Second paragraph about mentors. Still second." in text and "\r" not in text


def test_import_command(tmp_path, capsys):
    from compendium.cli import main

    assert main(["import-qdpx", str(other_tool_project(tmp_path)), "--out", str(tmp_path / "out")]) == 0
    assert "coders: ana_ruiz, ben_cole" in capsys.readouterr().out
    coding = pd.read_csv(tmp_path / "out" / "coding" / "ben_cole.csv")
    assert list(coding.columns) == ["source_id", "unit", "code"] and len(coding) == 3
    bad = tmp_path / "broken.qdpx"
    bad.write_bytes(b"not a zip")
    assert main(["import-qdpx", str(bad), "--out", str(tmp_path / "x")]) == 1
    assert "broken.qdpx: not a readable REFI-QDA file" in capsys.readouterr().err
