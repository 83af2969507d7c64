"""REFI-QDA exchange: schema-valid export, import from other tools, round trip."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from compendium.data.contract import load_study
from compendium.qualitative import qdpx
from compendium.qualitative.deidentify import Deidentifier, deidentify_units

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
    position = {
        (sid, int(u)): i + 1
        for sid, part in units.groupby("source_id")
        for i, u in enumerate(sorted(part["unit"].astype(int)))
    }
    original = {
        (r.coder, r.source_id, position[(r.source_id, int(r.unit))], r.code) for r in shipped_study.codings.itertuples()
    }
    back = {(coder, r["source_id"], r["unit"], r["code"]) for coder, rows in imported.codings.items() for r in rows}
    assert back == original


def test_round_trip_output_meets_the_data_contract(raw_copy, exported, tmp_path):
    path, _, _ = exported
    raw = raw_copy
    for name in ("sources", "coding"):
        shutil.rmtree(raw / name)
    imported = qdpx.write_contract(qdpx.read_qdpx(path), tmp_path / "imported")
    for name in ("sources", "coding"):
        shutil.copytree(imported / name, raw / name)
    study = load_study(raw)
    assert study.coders == ["coder_a", "coder_b"]
    assert len(study.sources) == 46


def test_atlas_ti_codebook_imports(tmp_path):
    imported = qdpx.read_qdpx(FIXTURES / "atlas_ti_23_4_codebook.qdc")
    assert imported.codebook == [
        {
            "id": "code_group_1",
            "label": "code group 1",
            "description": "kategorie 1",
            "codes": [{"id": "code1", "label": "code1", "definition": "description"}],
        }
    ]
    qdpx.write_contract(imported, tmp_path)
    assert "code_group_1" in (tmp_path / "codebook.yaml").read_text()


ANA, BEN = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
PARENT, C1, C2, C3 = ("AAAAAAAA-0000-0000-0000-00000000000" + str(i) for i in range(4))
TEXT = (
    "Prima parte: la résistance 🙂 était forte.\r\n\r\nSecond paragraph about mentors.\r\nStill second.\r\n\r\nThird."
)


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


# --------------------------------------------------------------------------- tools' shapes (issue 17)

import importlib.util  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402


def _load_shapes():
    spec = importlib.util.spec_from_file_location("qda_shapes", FIXTURES / "qda" / "shapes.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["qda_shapes"] = module
    spec.loader.exec_module(module)
    return module


shapes = sys.modules.get("qda_shapes") or _load_shapes()


def rows(imported, coder=None):
    return sorted(
        (c, r["source_id"], r["unit"], r["code"])
        for c, rs in imported.codings.items()
        for r in rs
        if coder is None or c == coder
    )


def test_atlas_ti_project_takes_code_groups_as_themes(tmp_path):
    imported = qdpx.read_qdpx(shapes.atlas_ti(tmp_path / "a.qdpx"))
    assert [(t["id"], t.get("description")) for t in imported.codebook] == [
        ("activism", "Activism group"),
        ("ungrouped", None),
    ]
    assert rows(imported) == [
        ("ana", "Interview_1", 1, "reading_group"),
        ("ana", "Interview_1", 3, "curriculum_change"),
        ("ben", "Interview_1", 4, "mentors"),
    ]
    assert imported.summary["not_placed"] == 0


def test_a_project_without_codebook_imports_its_sources(tmp_path):
    from compendium.cli import main

    path = shapes.atlas_ti_without_codebook(tmp_path / "a.qdpx")
    assert main(["import-qdpx", str(path), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "sources" / "Memo.md").is_file()
    assert not (tmp_path / "out" / "codebook.yaml").exists()
    assert "no codebook" in json.loads((tmp_path / "out" / "import-summary.json").read_text())["codebook"]


def test_maxqda_hierarchy_of_depth_seven_keeps_the_full_path(tmp_path):
    imported = qdpx.read_qdpx(shapes.maxqda(tmp_path / "m.qdpx"))  # text path without internal://
    (theme,) = imported.codebook
    assert theme["label"] == "L1 Barriers" and theme["description"] == "What stood in the way."
    leaf = next(c for c in theme["codes"] if c["id"] == "l7_leaf")
    assert (
        leaf["path"]
        == "L1 Barriers > L2 Institutional > L3 Curriculum > L4 Assessment > L5 Exams > L6 Written > L7 leaf"
    )
    assert leaf["label"].endswith("L6 Written > L7 leaf")
    assert len(theme["codes"]) == 8  # the codable parent, six levels below it, and L2 Personal
    assert rows(imported) == [
        ("mq", "Focus_group_2", 1, "l1_barriers_general"),
        ("mq", "Focus_group_2", 1, "l7_leaf"),
        ("mq", "Focus_group_2", 2, "l2_personal"),
    ]


NVIVO_ROWS = [
    ("nurse_a", "Interview_1", 1, "reading_group"),
    ("nurse_a", "Interview_1", 3, "curriculum_change"),
    ("nurse_b", "Interview_1", 2, "reading_group"),
    ("nurse_b", "Interview_1", 4, "mentors"),
]


@pytest.mark.parametrize("mac,version", [(False, "15"), (False, "12"), (True, "12"), (True, "15")])
def test_nvivo_utf16_offsets_are_converted(tmp_path, mac, version):
    imported = qdpx.read_qdpx(shapes.nvivo(tmp_path / "n.qdpx", mac=mac, version=version))
    assert rows(imported) == NVIVO_ROWS
    assert imported.summary["offsets"][0]["offsets"] == "utf16"
    if mac:  # the one-byte source is reported, not written
        assert list(imported.sources) == ["Interview_1"]
        assert "empty text" in imported.summary["sources_skipped"][0]["skipped"]


def test_nvivo_offsets_read_as_code_points_misplace_a_coding(tmp_path):
    """The independent check that conversion matters: read as code points, the
    selection that ends after six emoji spills into the next paragraph."""
    path = shapes.nvivo(tmp_path / "n.qdpx")
    wrong = qdpx.read_qdpx(path, offsets="codepoints")
    assert rows(wrong) != NVIVO_ROWS
    assert ("nurse_b", "Interview_1", 3, "reading_group") in rows(wrong)


def test_utf16_offsets_are_detected_from_the_text_when_the_origin_does_not_say(tmp_path):
    imported = qdpx.read_qdpx(shapes.nvivo(tmp_path / "n.qdpx", origin="Unknown QDA"))
    assert rows(imported) == NVIVO_ROWS
    assert "word boundaries" in imported.summary["offsets"][0]["because"]


def test_qualcoder_and_taguette_count_code_points(tmp_path):
    qc = qdpx.read_qdpx(shapes.qualcoder(tmp_path / "q.qdpx"))
    assert rows(qc) == [
        ("qc", "Field_note", 1, "mentors"),
        ("qc", "Interview_1", 1, "reading_group"),
        ("qc", "Interview_1", 4, "mentors"),
    ]
    tg = qdpx.read_qdpx(shapes.taguette(tmp_path / "t.qdpx"))  # no users, relative:// paths
    assert rows(tg) == [("unknown", "interview-1", 1, "reading_group"), ("unknown", "interview-1", 4, "mentors")]


def test_imported_shapes_meet_the_data_contract(tmp_path):
    """Sources, codebook and codings written from a tool's export pass validation
    (with participants and a survey the study supplies)."""
    from compendium.synthesize import synthesize

    raw = tmp_path / "raw"
    synthesize(raw, seed=3, design="independent")
    out = qdpx.write_contract(qdpx.read_qdpx(shapes.nvivo(tmp_path / "n.qdpx", mac=True)), tmp_path / "imp")
    for name in ("sources", "coding"):
        shutil.rmtree(raw / name)
        shutil.copytree(out / name, raw / name)
    shutil.copy(out / "codebook.yaml", raw / "codebook.yaml")
    import yaml

    dataset = yaml.safe_load((raw / "dataset.yaml").read_text())
    dataset.pop("integration", None)
    (raw / "dataset.yaml").write_text(yaml.safe_dump(dataset))
    text = (raw / "sources" / "Interview_1.md").read_text()
    pids = pd.read_csv(raw / "participants.csv", dtype=str)["participant_id"]
    (raw / "sources" / "Interview_1.md").write_text(text.replace("I01", pids.iloc[0]).replace("F1", pids.iloc[1]))
    study = load_study(raw, consensus_coder="nurse_a")
    assert study.coders == ["nurse_a", "nurse_b"] and len(study.units) == 4


# --------------------------------------------------------------------------- nothing lost in silence


LOSSY = [
    (shapes.Sel("", "mentors", "Ana", raw=("9000", "9010")), "beyond the end of the text"),
    (shapes.Sel("", "mentors", "Ana", raw=("-5", "3")), "negative position"),
    (shapes.Sel("", "mentors", "Ana", raw=("30", "10")), "reversed range"),
    (shapes.Sel("", "mentors", "Ana", raw=(None, "10")), "no start or end position"),
    (shapes.Sel("", "mentors", "Ana", raw=("ten", "12")), "not a whole number"),
    (shapes.Sel("", "ghost", "Ana", raw=("0", "5")), "whose code is not in the codebook"),
]


@pytest.mark.parametrize("bad,reason", LOSSY, ids=[r for _, r in LOSSY])
def test_a_coding_that_cannot_be_placed_fails_the_import_unless_kept_going(tmp_path, capsys, bad, reason):
    from compendium.cli import main

    src = shapes.Source("Interview 1", shapes.INTERVIEW, [shapes.Sel("Mentors", "mentors", "Ana"), bad])
    path = shapes.project(tmp_path / "p.qdpx", "QualCoder 3.6", [shapes.Code("mentors")], [src], ["Ana"])
    assert main(["import-qdpx", str(path), "--out", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert reason in captured.out and "1 coding(s) could not be placed" in captured.err
    assert not (tmp_path / "out").exists()  # nothing written
    assert main(["import-qdpx", str(path), "--out", str(tmp_path / "out"), "--keep-going"]) == 0
    summary = json.loads((tmp_path / "out" / "import-summary.json").read_text())
    assert summary["not_placed"] == 1 and reason in summary["skipped"][0]["reason"]
    assert summary["written"]["rows"] == 1


def test_unreadable_and_empty_sources_are_reported(tmp_path, capsys):
    from compendium.cli import main

    sources = [
        shapes.Source("Latin", "caf\u00e9 culture", [shapes.Sel("culture", "mentors", "Ana")], encoding="latin-1"),
        shapes.Source("Binary", None, raw_bytes=b"\x00\x01\x02PK\x03\x04" * 50),
        shapes.Source("Blank", "\r\n"),
        shapes.Source("Gone", "x", path="missing"),
        shapes.Source("Fine", "Mentors helped.", [shapes.Sel("Mentors", "mentors", "Ana")]),
    ]
    path = shapes.project(tmp_path / "p.qdpx", "MAXQDA 24", [shapes.Code("mentors")], sources, ["Ana"])
    assert main(["import-qdpx", str(path), "--out", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "TextSource 'Latin', archive member 'sources/" in out and "not UTF-8 text (byte 3" in out
    assert "TextSource 'Binary': binary content" in out and "TextSource 'Blank': empty text" in out
    assert "TextSource 'Gone': refers to 'internal://" in out
    assert main(["import-qdpx", str(path), "--out", str(tmp_path / "out"), "--keep-going"]) == 0
    assert sorted(p.name for p in (tmp_path / "out" / "sources").iterdir()) == ["Fine.md"]


def test_codings_on_media_and_whole_sources_are_counted(tmp_path, capsys):

    c = shapes.gid("code", "mentors")
    extra = (
        f'<Notes><Note guid="{shapes.gid("n")}" name="memo"><PlainTextContent>memo</PlainTextContent></Note></Notes>'
    )
    media = (
        f'<PDFSource guid="{shapes.gid("pdf")}" name="scan.pdf" path="internal://scan.pdf">'
        f'<PDFSelection guid="{shapes.gid("ps")}" page="1" firstX="0" firstY="0" secondX="5" secondY="5">'
        f'<Coding guid="{shapes.gid("pc")}"><CodeRef targetGUID="{c}"/></Coding></PDFSelection>'
        f'<Representation guid="{shapes.gid("rep")}" name="scan text"><PlainTextContent>Mentors on paper.'
        f'</PlainTextContent><PlainTextSelection guid="{shapes.gid("rs")}" startPosition="0" endPosition="7">'
        f'<Coding guid="{shapes.gid("rc")}"><CodeRef targetGUID="{c}"/></Coding></PlainTextSelection>'
        f"</Representation></PDFSource>"
        f'<AudioSource guid="{shapes.gid("au")}" name="talk.mp3" path="internal://talk.mp3">'
        f'<Transcript guid="{shapes.gid("tr")}" name="talk transcript"><PlainTextContent>Intro.\n\nMentors!'
        f'</PlainTextContent><SyncPoint guid="{shapes.gid("s1")}" position="8"/>'
        f'<SyncPoint guid="{shapes.gid("s2")}" position="15"/>'
        f'<TranscriptSelection guid="{shapes.gid("ts")}" fromSyncPoint="{shapes.gid("s1")}" '
        f'toSyncPoint="{shapes.gid("s2")}"><Coding guid="{shapes.gid("tc")}"><CodeRef targetGUID="{c}"/></Coding>'
        f"</TranscriptSelection></Transcript>"
        f'<AudioSelection guid="{shapes.gid("as")}" begin="0" end="10"><Coding guid="{shapes.gid("ac")}">'
        f'<CodeRef targetGUID="{c}"/></Coding></AudioSelection></AudioSource>'
    )
    path = shapes.project(
        tmp_path / "p.qdpx", "ATLAS.ti Win 23.4.0", [shapes.Code("mentors")], [shapes.Source("Doc", "Text.")], ["Ana"]
    )
    with zipfile.ZipFile(path) as zf:
        qde = (
            zf.read("project.qde")
            .decode()
            .replace("</Sources>", media + "</Sources>")
            .replace("</Sources>", "</Sources>" + extra)
        )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
    qdpx.validate(qde, "Project-mrt2019.xsd")
    imported = qdpx.read_qdpx(path)
    # the PDF's text representation and the transcript are placed
    assert rows(imported) == [("unknown", "scan", 1, "mentors"), ("unknown", "talk_transcript", 2, "mentors")]
    reasons = {e["reason"]: e["codings"] for e in imported.summary["skipped"]}
    assert reasons == {
        "coding on a region of a PDF page (no text unit to place it on)": 1,
        "coding on a stretch of audio (no text unit to place it on)": 1,
    }
    assert imported.summary["read"]["codings"] == 4 and imported.summary["written"]["codings_placed"] == 2


def test_out_must_be_empty_or_absent(tmp_path, capsys):
    from compendium.cli import main

    path = shapes.atlas_ti(tmp_path / "a.qdpx")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.csv").write_text("x")
    assert main(["import-qdpx", str(path), "--out", str(tmp_path / "out")]) == 1
    assert "must be empty or absent" in capsys.readouterr().err
    (tmp_path / "out" / "old.csv").unlink()
    assert main(["import-qdpx", str(path), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "read 1 source(s), 3 code(s) in 2 theme(s), 2 user(s), 3 selection(s) with 3 coding(s)" in out
    assert "wrote 1 source(s) with 4 unit(s); 3 coding row(s)" in out


# --------------------------------------------------------------------------- export keeps the codebook


def test_export_keeps_descriptions_and_rules_in_the_standards_elements(shipped_study, exported):
    from lxml import etree

    _, qde, _ = exported
    cb = shipped_study.codebook
    assert "Compendium id" not in "".join(etree.fromstring(qde.encode()).itertext()).replace(qdpx.IDS_NOTE, "")
    root = etree.fromstring(qde.encode())
    ns = {"q": qdpx.PROJECT_NS}
    theme = root.find(f'.//q:Code[@guid="{qdpx.guid("code", cb["theme"].iloc[0])}"]', ns)
    assert theme.find("q:Description", ns).text == cb["theme_description"].iloc[0] != ""
    ruled = cb[cb["include"] != ""].iloc[0]
    code = root.find(f'.//q:Code[@guid="{qdpx.guid("code", ruled.code)}"]', ns)
    assert code.find("q:Description", ns).text == ruled.definition
    note = root.find(f'.//q:Note[@guid="{code.find("q:NoteRef", ns).get("targetGUID")}"]', ns)
    assert note.get("name").startswith("Include:") and note.find("q:PlainTextContent", ns).text == ruled.include


def test_round_trip_keeps_theme_descriptions_and_rules(shipped_study, exported, tmp_path):
    path, _, _ = exported
    imported = qdpx.read_qdpx(path)
    cb = shipped_study.codebook
    back = {c["id"]: c for t in imported.codebook for c in t["codes"]}
    for r in cb.itertuples():
        assert back[r.code]["definition"] == r.definition
        assert back[r.code].get("include", "") == r.include and back[r.code].get("exclude", "") == r.exclude
    assert {t["id"]: t.get("description", "") for t in imported.codebook} == dict(
        zip(cb["theme"], cb["theme_description"])
    )
    qdc = tmp_path / "codebook.qdc"
    qdc.write_text(qdpx.codebook_qdc(cb, "test"))
    from_qdc = {c["label"]: c for t in qdpx.read_qdpx(qdc).codebook for c in t["codes"]}
    for r in cb.itertuples():
        assert from_qdc[r.code_label]["definition"] == r.definition
        assert from_qdc[r.code_label].get("exclude", "") == r.exclude
