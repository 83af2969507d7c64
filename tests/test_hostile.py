"""Hostile and oversized input (issue 17): every shape is refused or read with bounded
memory, with a clean error that names the file, the element or row and the rule.

Each hostile shape is built in ``tmp_path`` (streamed to disk, or sparse, never held in
memory by the test) and read in a fresh Python process whose peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, kilobytes on Linux) must stay under
1 GiB. The child prints one JSON line: the peak, the error class and message, and
whether a traceback would have reached the user.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from compendium.synthesize import synthesize

GIB_KB = 1024 * 1024  # ru_maxrss is in kilobytes
MB = 1024 * 1024

PROBE = r"""
import json, resource, sys, traceback
kind, args = sys.argv[1], sys.argv[2:]
result = {"error": None, "message": "", "traceback": False, "status": None}
try:
    if kind == "validate":
        from compendium.data.contract import load_study
        load_study(args[0])
    elif kind == "params":
        from compendium.core.config import load_params
        load_params(args[0])
    elif kind == "cli":
        from compendium.cli import main
        result["status"] = main(args)
except Exception as exc:  # the *type* says whether it is a clean, named refusal
    result["error"] = type(exc).__name__
    result["message"] = str(exc)[:4000]
    result["message_length"] = len(str(exc))
    result["traceback"] = not isinstance(exc, ValueError)
    if result["traceback"]:
        result["message"] += traceback.format_exc()
result["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("PROBE " + json.dumps(result))
"""


def probe(kind: str, *args: str, env: dict | None = None, capture_stderr: bool = False) -> dict:
    """Run one reading in a fresh process; its result and its peak memory."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, kind, *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("PROBE ")), None)
    assert line is not None, done.stdout[-2000:] + done.stderr[-4000:]
    result = json.loads(line[len("PROBE ") :])
    result["stderr"] = done.stderr
    result["stdout"] = done.stdout
    said = result["message"] or " | ".join(line for line in done.stderr.splitlines() if line.startswith("error"))
    print(f"\nPEAK {result['peak_kb'] / 1024:.0f} MB, exit {result['status']}, {result['error']}: {said[:400]}")
    assert result["peak_kb"] < GIB_KB, f"peak memory {result['peak_kb'] / 1024:.0f} MB"
    assert not result["traceback"], result["message"]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def small_raw(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("hostile") / "raw"
    synthesize(raw, seed=7, scale=1, design="independent")
    return raw


@pytest.fixture()
def raw(small_raw, tmp_path) -> Path:
    import shutil

    target = tmp_path / "raw"
    shutil.copytree(small_raw, target, symlinks=True)
    return target


def _stream(path: Path, head: str, line: str, size: int) -> None:
    """Write ``head`` then ``line`` repeated until the file holds ``size`` bytes."""
    block = line.encode() * max(1, (1 * MB) // len(line.encode()))
    with path.open("wb") as fh:
        fh.write(head.encode())
        written = len(head)
        while written < size:
            fh.write(block)
            written += len(block)


# --------------------------------------------------------------------------- raw data


def test_a_50_mb_survey_of_invalid_rows_gives_a_short_message_in_bounded_memory(raw):
    header = (raw / "survey.csv").read_text().splitlines()[0]
    n = header.count(",") + 1
    _stream(raw / "survey.csv", header + "\n", ",".join(["not-an-id!"] + ["bad"] * (n - 1)) + "\n", 50 * MB)
    result = probe("validate", raw)
    assert result["error"] == "DataContractError"
    assert result["message_length"] < 200_000  # not 20.9 million lines
    assert "more row(s)" in result["message"] and "survey.csv" in result["message"]


def test_a_csv_over_the_size_limit_is_refused_before_reading(raw):
    with (raw / "survey.csv").open("r+b") as fh:  # sparse: 1 GiB on paper, nothing on disk
        fh.truncate(1024 * MB)
    result = probe("validate", raw)
    assert "survey.csv, file: is 1024.0 MB, more than the limit of 64.0 MB" in result["message"]
    assert "COMPENDIUM_MAX_CSV_BYTES" in result["message"]


def test_error_lists_are_capped_per_rule_with_a_count(raw, monkeypatch):
    from compendium.data.contract import DataContractError, load_study

    lines = (raw / "participants.csv").read_text().splitlines()
    header = lines[0].split(",")
    col = header.index("age")
    rows = [r.split(",") for r in lines[1:]]
    for r in rows:
        r[col] = "old"
    (raw / "participants.csv").write_text("\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n")
    monkeypatch.setenv("COMPENDIUM_MAX_ERRORS_PER_RULE", "3")
    with pytest.raises(DataContractError) as info:
        load_study(raw)
    ages = [str(v) for v in info.value.violations if v.column == "age"]
    assert len(ages) == 4, ages
    assert f"{len(rows) - 3} more row(s), column 'age': break the same rule" in ages[-1]


def _bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_in_params_is_refused(tmp_path):
    (tmp_path / "params.yaml").write_text(_bomb())
    result = probe("params", tmp_path / "params.yaml")
    assert result["error"] == "YamlLimitError"
    assert "alias" in result["message"] and "COMPENDIUM_MAX_YAML_NODES" in result["message"]


@pytest.mark.parametrize("where", ["dataset.yaml", "codebook.yaml", "front matter"])
def test_a_yaml_alias_bomb_in_the_raw_data_is_a_named_violation(raw, where):
    if where == "front matter":
        path = sorted((raw / "sources").glob("*.md"))[0]
        text = path.read_text()
        path.write_text(text.replace("---\n", "---\n" + _bomb(), 1))
        expect = f"sources/{path.name}, line 2"
    else:
        (raw / where).write_text(_bomb())
        expect = f"{where}, file"
    result = probe("validate", raw)
    assert result["error"] == "DataContractError"
    assert expect in result["message"] and "alias" in result["message"], result["message"]


def test_many_aliases_are_refused(tmp_path):
    text = "a: &a x\nb: [" + ", ".join(["*a"] * 500) + "]\n"
    (tmp_path / "params.yaml").write_text(text)
    result = probe("params", tmp_path / "params.yaml")
    assert "more than 100 YAML aliases" in result["message"]


def test_ordinary_aliases_still_work(tmp_path):
    from compendium.core.config import load_yaml

    assert load_yaml("a: &a [1, 2]\nb: *a\n", "x") == {"a": [1, 2], "b": [1, 2]}


def test_nul_bytes_are_refused(raw):
    from compendium.data.contract import DataContractError, load_study

    src = sorted((raw / "sources").glob("*.md"))[0]
    src.write_bytes(src.read_bytes() + b"more\x00text\n")
    p = raw / "participants.csv"
    lines = p.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b",", b"\x00,", 1)
    p.write_bytes(b"\n".join(lines))
    with pytest.raises(DataContractError) as info:
        load_study(raw)
    text = str(info.value)
    assert f"sources/{src.name}, line" in text and "participants.csv, line 3: holds a NUL byte" in text


def test_a_source_linked_outside_the_raw_folder_is_refused(raw, tmp_path):
    from compendium.data.contract import DataContractError, load_study

    src = sorted((raw / "sources").glob("*.md"))[0]
    outside = tmp_path / "secret.md"
    outside.write_text(src.read_text())
    src.unlink()
    src.symlink_to(outside)
    with pytest.raises(DataContractError) as info:
        load_study(raw)
    assert f"sources/{src.name}, file: is a link to a file outside data/raw/" in str(info.value)


def test_a_link_inside_the_raw_folder_is_read(raw):
    from compendium.data.contract import load_study

    src = sorted((raw / "sources").glob("*.md"))[0]
    kept = raw / "kept.txt"
    src.rename(kept)
    src.symlink_to(Path("..") / "kept.txt")
    load_study(raw)


@pytest.mark.parametrize("name", ["a..b.md", "two words.md", "caf\u00e9.md"])
def test_source_file_names_must_follow_the_id_rule(raw, name):
    from compendium.data.contract import DataContractError, load_study

    src = sorted((raw / "sources").glob("*.md"))[0]
    (raw / "sources" / name).write_text(src.read_text())
    with pytest.raises(DataContractError) as info:
        load_study(raw)
    assert f"sources/{name}, file: a source's file name must be its id" in str(info.value)


def test_a_directory_named_like_a_source_is_refused(raw):
    from compendium.data.contract import DataContractError, load_study

    (raw / "sources" / "folder.md").mkdir()
    with pytest.raises(DataContractError, match=r"sources/folder.md, file: is not a regular file"):
        load_study(raw)


# --------------------------------------------------------------------------- safe to open


def test_formula_cells_are_neutralised_in_result_csvs(tmp_path):
    import pandas as pd

    from compendium.core.io import write_table

    frame = pd.DataFrame(
        {
            "label": ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\tx", "plain", "-0.5"],
            "value": [1.0, -2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        }
    )
    csv_path, _ = write_table(frame, "t", "# t\n", folder=tmp_path)
    back = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert back["label"].tolist() == [
        '\'=HYPERLINK("http://x","y")',
        "'+cmd|' /C calc'!A0",
        "'@SUM(1+1)",
        "'-2+3",
        "'\tx",
        "plain",
        "-0.5",
    ]
    assert back["value"].tolist() == ["1", "-2", "3", "4", "5", "6", "7"]  # numbers untouched


# --------------------------------------------------------------------------- QDA import


def _shapes():
    import importlib.util

    if "qda_shapes" in sys.modules:
        return sys.modules["qda_shapes"]
    spec = importlib.util.spec_from_file_location(
        "qda_shapes", Path(__file__).parent / "fixtures" / "qda" / "shapes.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["qda_shapes"] = module
    spec.loader.exec_module(module)
    return module


def _project_with_member(path: Path, member_size: int, referenced: bool, line: bytes = b"a") -> Path:
    """A small project plus one member of ``member_size`` bytes, streamed into the ZIP
    (about 1 MB compressed per GiB of repeated bytes), referenced as a source text or not."""
    shapes = _shapes()
    text = "Mentors helped."
    src = shapes.Source("Doc", text, [shapes.Sel("Mentors", "mentors", "Ana")])
    big = shapes.Source("Big", "", [shapes.Sel("", "mentors", "Ana", raw=("0", "5"))], path="inline")
    sources = [src, big] if referenced else [src]
    shapes.project(path, "QualCoder 3.6", [shapes.Code("mentors")], sources, ["Ana"])
    with zipfile.ZipFile(path) as zf:
        qde = zf.read("project.qde").decode()
    big_guid = shapes.gid("source", "Big")
    if referenced:
        qde = qde.replace(
            f'<TextSource guid="{big_guid}" name="Big" richTextPath',
            f'<TextSource guid="{big_guid}" name="Big" plainTextPath="internal://{big_guid}.txt" richTextPath',
        ).replace("<PlainTextContent></PlainTextContent>", "")
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        block = line * (MB // len(line))  # whole lines, so no character is cut
        with zf.open(f"sources/{big_guid}.txt", "w", force_zip64=True) as fh:
            for _ in range(member_size // len(block)):
                fh.write(block)
    # rewrite project.qde (the appended archive keeps the first copy otherwise)
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n != "project.qde"]
    rebuilt = path.with_suffix(".tmp")
    with (
        zipfile.ZipFile(path) as src_zf,
        zipfile.ZipFile(rebuilt, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as out,
    ):
        out.writestr("project.qde", qde)
        for name in names:
            with src_zf.open(name) as fin, out.open(name, "w", force_zip64=True) as fout:
                while chunk := fin.read(MB):
                    fout.write(chunk)
    rebuilt.replace(path)
    return path


def test_a_1_gib_unreferenced_member_is_not_read(tmp_path):
    path = _project_with_member(tmp_path / "p.qdpx", 1024 * MB, referenced=False)
    assert path.stat().st_size < 8 * MB
    result = probe("cli", "import-qdpx", path, "--out", tmp_path / "out")
    assert result["status"] == 0
    summary = json.loads((tmp_path / "out" / "import-summary.json").read_text())
    assert summary["archive_members_not_read"]["count"] == 1 and summary["written"]["rows"] == 1


def test_a_1_gib_referenced_source_text_is_refused_by_the_member_limit(tmp_path):
    path = _project_with_member(tmp_path / "p.qdpx", 1024 * MB, referenced=True)
    result = probe("cli", "import-qdpx", path, "--out", tmp_path / "out")
    assert result["status"] == 1
    assert "p.qdpx: archive member 'sources/" in result["stderr"]
    assert (
        "more than the limit of 32.0 MB (--max-member-mb or COMPENDIUM_QDA_MAX_MEMBER_BYTES raises it)"
        in result["stderr"]
    )
    assert not (tmp_path / "out").exists()


def test_a_member_that_lies_about_its_size_is_stopped_at_the_limit(tmp_path):
    path = _project_with_member(tmp_path / "p.qdpx", 64 * MB, referenced=True)
    data = bytearray(path.read_bytes())
    # declare 100 bytes in the central directory entry of the big member
    import struct

    with zipfile.ZipFile(path) as zf:
        info = next(i for i in zf.infolist() if i.filename.startswith("sources/") and i.file_size > MB)
    header = data.rfind(info.filename.encode()) - 46
    assert data[header : header + 4] == b"PK\x01\x02"
    data[header + 24 : header + 28] = struct.pack("<I", 100)
    path.write_bytes(bytes(data))
    result = probe("cli", "import-qdpx", path, "--out", tmp_path / "out")
    assert result["status"] == 1 and "p.qdpx: " in result["stderr"]
    assert "Traceback" not in result["stderr"]


@pytest.mark.parametrize(
    "line",
    [
        "One long line of an interview without any blank line. ",
        "Une longue ligne \U0001f642 sans ligne vide, \u00e9t\u00e9 comme hiver.\r\n",
    ],
    ids=["ascii", "emoji-crlf"],
)
@pytest.mark.parametrize("size", [20, 31], ids=["20MB", "31MB-at-the-limit"])
def test_a_20_mb_source_without_blank_lines_imports_in_bounded_memory(tmp_path, line, size):
    path = _project_with_member(tmp_path / "p.qdpx", size * MB, referenced=True, line=line.encode())
    result = probe("cli", "import-qdpx", path, "--out", tmp_path / "out")
    assert result["status"] == 0
    assert (tmp_path / "out" / "sources" / "Big.md").stat().st_size > (size - 1) * MB


def test_too_many_archive_members_are_refused_before_listing_them(tmp_path):
    path = tmp_path / "many.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", '<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>')
        for i in range(300):
            zf.writestr(f"sources/{i}.txt", "")
    result = probe("cli", "import-qdpx", path, "--out", tmp_path / "out", env={"COMPENDIUM_QDA_MAX_MEMBERS": "200"})
    assert result["status"] == 1
    assert "many.qdpx: the archive's 301 entries is more than the limit of 200 (--max-members" in result["stderr"]


@pytest.mark.parametrize(
    "shape", ["billion laughs", "external entity", "deep nesting", "not xml", "not a zip", "no qde", "huge qde"]
)
def test_hostile_xml_and_archives_give_a_named_error(tmp_path, shape):
    path = tmp_path / "h.qdpx"
    ns = 'xmlns="urn:QDA-XML:project:1.0"'
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY a "lollollollollollollollollollol">'
        + "".join(f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(9))
        + f']><Project {ns} name="&j;"/>'
    )
    qde = {
        "billion laughs": laughs,
        "external entity": f'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f'<Project {ns} name="&x;"/>',
        "deep nesting": f"<Project {ns} name='x'><CodeBook><Codes>"
        + "<Code guid='x' name='c'>" * 5000
        + "</Code>" * 5000
        + "</Codes></CodeBook></Project>",
        "not xml": "this is not xml <<<",
        "huge qde": None,
    }.get(shape, "")
    if shape == "not a zip":
        path.write_bytes(b"PK\x03\x04 not really")
    elif shape == "huge qde":
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            with zf.open("project.qde", "w", force_zip64=True) as fh:
                fh.write(f"<Project {ns} name='x'><Description>".encode())
                for _ in range(80):
                    fh.write(b"x" * MB)
                fh.write(b"</Description></Project>")
    else:
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("project.qde" if shape != "no qde" else "readme.txt", qde)
    result = probe("cli", "import-qdpx", path, "--out", tmp_path / "out")
    if shape in ("billion laughs", "external entity"):  # safe: nothing expanded, nothing fetched
        assert result["status"] == 0 or "h.qdpx" in result["stderr"]
        assert "root:" not in result["stderr"] + json.dumps(result)
    else:
        assert result["status"] == 1 and "error: h.qdpx: " in result["stderr"], result["stderr"]


LABELS = [
    "@home",
    "#1 priority",
    "$5 fee",
    "*starred* and _under_",
    "<b>bold</b>",
    "a | b",
    "[link](x)",
    "`tick`",
    "~sub~ ^sup^",
    "back\\slash",
    "=SUM(A1)",
    "50% <5",
]


def test_markup_in_labels_survives_the_manuscript_build(tmp_path):
    """Labels written with io.markdown_text come out of pandoc (HTML, DOCX) and Typst
    exactly as written; the same labels unescaped do not (the test can fail)."""
    import html
    import re as _re

    import pypandoc
    import typst

    from compendium.core.io import markdown_text

    def table(cells):
        return "| Code | n |\n|:--|--:|\n" + "\n".join(f"| {c} | {i} |" for i, c in enumerate(cells)) + "\n"

    def html_text(md):
        out = pypandoc.convert_text(md, "html5", format="markdown", extra_args=["--citeproc"])
        return html.unescape(_re.sub(r"<[^>]+>", "", out))

    safe = table([markdown_text(x) for x in LABELS]) + "\n" + " ".join(f"*{markdown_text(x)}*" for x in LABELS) + "\n"
    text = html_text(safe)
    assert all(label in text for label in LABELS), [x for x in LABELS if x not in text]
    assert not all(label in html_text(table(LABELS)) for label in LABELS)
    source = pypandoc.convert_text(safe, "typst", format="markdown", extra_args=["--citeproc", "--standalone"])
    (tmp_path / "m.typ").write_text(source)
    assert typst.compile(str(tmp_path / "m.typ"))[:4] == b"%PDF"
    pypandoc.convert_text(safe, "docx", format="markdown", outputfile=str(tmp_path / "m.docx"))
    import zipfile as _zip

    with _zip.ZipFile(tmp_path / "m.docx") as zf:
        body = html.unescape(_re.sub(r"<[^>]+>", "", zf.read("word/document.xml").decode()))
    assert all(label in body for label in LABELS if "  " not in label)


def test_code_and_theme_labels_are_escaped_in_the_result_tables():
    import pandas as pd

    from compendium.reporting.tables import frequencies_markdown, quotes_markdown

    freq = pd.DataFrame(
        {
            "level": ["theme", "code"],
            "id": ["t", "c"],
            "label": ["@theme $1", "<b>*code*</b>"],
            "by": ["all", "all"],
            "group": ["all", "all"],
            "units": [3, 2],
            "sources": [1, 1],
            "participants": [1, 1],
        }
    )
    md = frequencies_markdown(freq)
    assert r"**\@theme \$1**" in md and r"\<b\>\*code\*\<\/b\>" in md
    cb = pd.DataFrame({"code": ["c"], "code_label": ["#hashtag @x"]})
    quotes = pd.DataFrame(
        {
            "code": ["c"],
            "quote": ["q"],
            "speaker": ["L1"],
            "source_type": ["interview"],
            "source_id": ["s"],
            "unit": [1],
            "arm": ["a"],
        }
    )
    assert r"## \#hashtag \@x" in quotes_markdown(quotes, cb)


FUZZ = [
    b"",
    b"\xff\xfe\x00a",
    b"---\n---\n",
    b'id,unit\n"unclosed',
    b"a" * 200_000 + b"\n",
    b"---\nid: [\n---\n",
    b"themes: {a: b}\n",
    b"- 1\n- 2\n",
    b"arms: [1, 2]\nintegration: 5\n",
    b"themes:\n  - codes: [[], {}, 3]\n",
    b"participant_id\n" + b"x," * 5000 + b"\n",
    b"\r\r\r\n\n",
]


@pytest.mark.parametrize(
    "target", ["participants.csv", "survey.csv", "codebook.yaml", "dataset.yaml", "source", "coding"]
)
def test_garbage_in_any_raw_file_gives_a_contract_error_not_a_traceback(raw, target):
    from compendium.data.contract import DataContractError, load_study

    path = {
        "source": sorted((raw / "sources").glob("*.md"))[0],
        "coding": sorted((raw / "coding").glob("*.csv"))[0],
    }.get(target, raw / target)
    for junk in FUZZ:
        path.write_bytes(junk)
        with pytest.raises(DataContractError) as info:
            load_study(raw)
        assert info.value.violations, junk


def test_a_source_at_the_size_limit_validates_in_bounded_memory(raw):
    """A 15 MB source (one paragraph, with an emoji so Python holds it at four bytes a
    character) under the 16 MB source limit."""
    path = sorted((raw / "sources").glob("*.md"))[0]
    head, body = path.read_text().split("\n---\n", 1)
    with path.open("w") as fh:
        fh.write(head + "\n---\n" + body.split("\n\n")[0].rstrip() + "\n\n")
        line = "A paragraph that goes on \U0001f642 and on without a break.\n"
        for _ in range(15 * MB // len(line.encode())):
            fh.write(line)
    result = probe("validate", raw)
    assert result["error"] in (None, "DataContractError")


def test_sources_over_the_total_limit_are_refused_before_reading(raw):
    for k in range(3):  # sparse files: 3 x 30 MB on paper
        with (raw / "sources" / f"big_{k}.md").open("wb") as fh:
            fh.truncate(30 * MB)
    result = probe("validate", raw)
    assert "sources/, folder: the source files hold" in result["message"]
    assert "COMPENDIUM_MAX_SOURCES_BYTES" in result["message"]


def test_many_bad_source_files_give_a_bounded_message(raw):
    from compendium.data.contract import DataContractError, load_study

    for k in range(3000):
        (raw / "sources" / f"bad {k}.md").write_text("x")
    with pytest.raises(DataContractError) as info:
        load_study(raw)
    assert len(info.value.violations) <= 2001 + 50
    assert "further problem(s) are not listed" in str(info.value)
