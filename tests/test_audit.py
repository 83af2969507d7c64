"""The leak audit finds identifying text in every kind of artifact."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from compendium.checks import audit

ROOT = Path(__file__).resolve().parents[1]

NEEDLES = {
    "replaced": {"Dr Farah Siddiqui"},
    "configured": {"Hillcrest General Hospital"},
    "planted": set(),
    "withdrawn": {"L0042"},
}


def _docx(path, text):
    runs = "".join(f"<w:r><w:t>{word} </w:t></w:r>" for word in text.split())
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", f'<w:document xmlns:w="w"><w:body><w:p>{runs}</w:p></w:body></w:document>')


@pytest.mark.parametrize(
    "name,writer,kind",
    [
        ("table.md", lambda p: p.write_text("quote from Dr Farah Siddiqui"), "replaced"),
        (
            "nb.ipynb",
            lambda p: p.write_text(
                json.dumps({"cells": [{"source": ["x"], "outputs": [{"data": {"text/html": ["<td>L0042</td>"]}}]}]})
            ),
            "withdrawn",
        ),
        ("paper.docx", lambda p: _docx(p, "met at Hillcrest General Hospital"), "configured"),
        ("page.html", lambda p: p.write_text('<a href="mailto:someone@example.org">write</a>'), "email-like"),
        ("data.csv", lambda p: p.write_text("call,+92 312 555 0143\n"), "phone-like"),
        ("national.txt", lambda p: p.write_text("ring 0312-5550143 today"), "phone-like"),
        ("area.txt", lambda p: p.write_text("ring (051) 555-0199 today"), "phone-like"),
    ],
)
def test_a_leak_is_found_in_every_kind_of_file(tmp_path, name, writer, kind):
    writer(tmp_path / name)
    report = audit.scan(NEEDLES, tmp_path)
    assert [h["kind"] for h in report["hits"]] == [kind]
    with pytest.raises(audit.LeakFound) as info:
        audit.raise_on_leaks(report)
    assert name in str(info.value)
    assert "Siddiqui" not in str(info.value) and "L0042" not in str(info.value)  # the log names no identifier


def test_clean_reports_pass(tmp_path):
    (tmp_path / "results.json").write_text(
        json.dumps({"p": 2.350959e-07, "chi2": 26.720647773279353, "date": "2025-10-26"})
    )
    (tmp_path / "fig.svg").write_text('<svg><path d="M 123.45 678.9 L 12 345 678"/></svg>')
    (tmp_path / "table.md").write_text("| 10200 10200 | 20400 | 2024-02-13 |\n")
    (tmp_path / "fig.png").write_bytes(b"\x89PNG")
    report = audit.scan(NEEDLES, tmp_path)
    assert report["hits"] == [] and report["summary"]["images_skipped"] == 1
    audit.raise_on_leaks(report)


def test_needles_come_from_every_list():
    found = audit.needles(
        None, None, ["Hillcrest General Hospital"], pd.DataFrame({"text": ["omar.lodhi@cvmc.edu.pk"]})
    )
    assert found.exact == {"configured": {"Hillcrest General Hospital"}, "planted": {"omar.lodhi@cvmc.edu.pk"}}


# --------------------------------------------------------------------------- independent detection
# The planted names below are invented or rare; they appear in no list the code uses
# (dictionary, allowlist, the generator's text bank, the de-identifier's lexicons).
PERSON = "Yevgenia Brzostowska"
PLACE = "Kilmacrennan"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A pristine synthetic study (the shipped twin) and what the audit takes from it."""
    from compendium.data.contract import load_study
    from compendium.synthesize import synthesize

    raw = tmp_path_factory.mktemp("audit") / "raw"
    synthesize(raw)
    study = load_study(raw, consensus_coder="coder_a")
    public = audit.public_text(ROOT, study)
    found = audit.needles(audit.read_raw(raw, study), public)
    return raw, study, found


def _clean_quotes(study, found, n=6):
    """Units of consenting learners in which the audit finds nothing: what a correct
    de-identification would publish."""
    out = []
    for text in study.units["text"]:
        if not audit.unknown_in_passage(text, found) and not any(
            audit._pattern(v) and audit._pattern(v).search(text) for v in found.exact.values()
        ):
            out.append(text)
        if len(out) == n:
            break
    assert len(out) == n
    return out


def _quotes_file(folder, quotes):
    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"code": "some_code", "source_id": "S-1", "quote": quotes})
    (folder / "exemplar_quotes.csv").write_text(frame.to_csv(index=False, lineterminator="\n"))


def test_the_dictionary_knows_ordinary_words_and_not_names():
    for word in ("organised", "centres", "neighbourhood", "colour", "petitions", "hoped", "Brown", "will"):
        assert audit.is_word(word), word
    for name in (*PERSON.split(), PLACE, "Quarshie", "Oyelaran"):
        assert not audit.is_word(name), name


def test_raw_names_are_collected_by_the_audits_own_rule(fresh):
    _, _, found = fresh
    names = found.exact["raw-name-like"]
    # every capitalised word it collects is outside the dictionary and the public text
    assert names and not [n for n in names if audit.is_word(n) or n in found.public.words]
    assert found.exact["raw-address"]  # web and e-mail addresses and handles of the raw text


def test_clean_quotes_pass_and_planted_person_or_place_fails(fresh, tmp_path):
    _, study, found = fresh
    quotes = _clean_quotes(study, found)
    _quotes_file(tmp_path / "clean", quotes)
    assert audit.scan(found, tmp_path / "clean")["hits"] == []
    for name, where in ((PERSON, 0), (PLACE, 3)):
        planted = list(quotes)
        planted[where] = planted[where].replace(" ", f" {name} ", 1) if where else f"{name} told me. {planted[0]}"
        folder = tmp_path / name.split()[0]
        _quotes_file(folder, planted)
        report = audit.scan(found, folder)
        assert [h["kind"] for h in report["hits"]] == ["unknown-capitalised"], report
        with pytest.raises(audit.LeakFound) as info:
            audit.raise_on_leaks(report)
        assert not [part for part in name.split() if part in str(info.value)]


def test_a_raw_name_is_found_in_any_case_anywhere(fresh, tmp_path):
    _, _, found = fresh
    name = sorted(found.exact["raw-name-like"])[0]
    (tmp_path / "index.html").write_text(f"<p>Thanks to {name.upper()} for the figures.</p>")
    report = audit.scan(found, tmp_path)
    assert [h["kind"] for h in report["hits"]] == ["raw-name-like"]
    assert name not in json.dumps({k: report[k] for k in ("summary", "hits")}).lower()
    with pytest.raises(audit.LeakFound) as info:
        audit.raise_on_leaks(report)
    assert name not in str(info.value).lower()
    # the word itself is listed only for the team, in the git-ignored data/private/
    assert audit.private_hits(report)["text"].str.lower().tolist() == [name.upper().lower()]


def test_public_names_in_public_places_do_not_trip_it(fresh, tmp_path):
    import yaml

    _, study, found = fresh
    byline = yaml.safe_load((ROOT / "data" / "reference" / "published.yaml").read_text())["paper"]
    quotes = _clean_quotes(study, found)
    (tmp_path / "manuscript.md").write_text(
        f"# Title\n\n{byline}\n\n> {quotes[0]}\n\n## References\n\n"
        "1. Fazle T, Feliciano A, Brown L, Roberts F. Anti-racism in medical schools. 2023.\n"
        "2. Cohen J. A coefficient of agreement for nominal scales. 1960.\n"
    )
    assert audit.scan(found, tmp_path)["hits"] == []
    # the same authors' names inside a published quote are not public there
    author = next(t for t in audit.TOKEN.findall(byline) if len(t) > 4 and not audit.is_word(t))
    (tmp_path / "manuscript.md").write_text(f"> {quotes[0].replace(' ', f' {author} ', 1)}\n")
    assert [h["kind"] for h in audit.scan(found, tmp_path)["hits"]] == ["unknown-capitalised"]


def test_shapes_in_a_quote_are_flagged(fresh, tmp_path):
    _, study, found = fresh
    quote = _clean_quotes(study, found, 1)[0]
    for extra, kind in (
        (" See tinyurl.com/xq7 for more.", "url-like"),
        (" I post as @quiet_fox88.", "handle-like"),
        (" I was born on 14/03/1999.", "date-like"),
        (" My student number is 20198834.", "id-number-like"),
    ):
        _quotes_file(tmp_path / kind, [quote + extra])
        kinds = [h["kind"] for h in audit.scan(found, tmp_path / kind)["hits"]]
        assert kind in kinds, (kind, kinds)


def test_exchange_format_ids_are_not_id_numbers(fresh, tmp_path):
    """REFI-QDA elements carry GUIDs; a digit run inside one is no student number."""
    _, study, found = fresh
    quote = _clean_quotes(study, found, 1)[0]
    _quotes_file(tmp_path, [quote + ' <Source guid="1F894008-D249-58C6-8C5F-509970FBE20B"/>'])
    assert "id-number-like" not in [h["kind"] for h in audit.scan(found, tmp_path)["hits"]]


def test_withdrawn_learners_words_and_ids_are_found(fresh, tmp_path):
    raw, study, found = fresh
    assert study.withdrawn and found.sentences
    sentence = sorted(found.sentences)[0]
    (tmp_path / "notes.md").write_text(f"They said: {sentence.capitalize()}.\n")
    kinds = {h["kind"] for h in audit.scan(found, tmp_path)["hits"]}
    assert "withdrawn-sentence" in kinds
    (tmp_path / "notes.md").write_text(f"learner {study.withdrawn[0]}\n")
    assert [h["kind"] for h in audit.scan(found, tmp_path)["hits"]] == ["withdrawn-id"]


def test_it_neither_reads_the_deidentifiers_log_nor_imports_it():
    source = (ROOT / "src" / "compendium" / "checks" / "audit.py").read_text()
    assert "deidentification_log" not in source
    assert not re.search(
        r"^\s*(?:from \.|from compendium\.?|import compendium\.)\s*deidentify|import deidentify", source, re.M
    )


@pytest.mark.pipeline
def test_the_pipeline_stage_passes_shipped_reports_and_fails_on_a_planted_quote(root, tmp_path):
    """End to end: the shipped twin's reports pass stage 10; a person or a place planted
    straight into a published quote file (bypassing de-identification) fails it, and
    the log names the file and the kind of hit, never the name; the original study's
    authors in a byline and a reference's surname do not."""
    import shutil

    from test_pipeline import make_copy, run, run_dvc

    from compendium.synthesize import synthesize

    project = make_copy(root, tmp_path / "compendium")
    shutil.rmtree(project / "data" / "raw")
    synthesize(project / "data" / "raw", truth_dir=project / "data" / "synthetic")
    result = run(project, "reproduce")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert json.loads((project / "data" / "interim" / "leak_audit.json").read_text())["hits"] == 0

    quotes = project / "reports" / "tables" / "exemplar_quotes.csv"
    manuscript = project / "reports" / "manuscript.md"
    original = {p: p.read_bytes() for p in (quotes, manuscript)}
    frame = pd.read_csv(quotes, dtype=str, keep_default_na=False)
    for name in (PERSON, PLACE):
        planted = frame.copy()
        planted.loc[0, "quote"] = planted.loc[0, "quote"].replace(" ", f" {name} ", 1)
        quotes.write_text(planted.to_csv(index=False, lineterminator="\n"))
        failed = run_dvc(project, "repro", "--single-item", "10-audit-leaks")
        output = failed.stdout + failed.stderr
        assert failed.returncode != 0, output[-3000:]
        assert re.search(r"reports/tables/exemplar_quotes\.csv: \d+ unknown-capitalised", output), output[-3000:]
        assert not [part for part in name.split() if part in output]
        quotes.write_bytes(original[quotes])  # reports/ restored

    import yaml

    byline = yaml.safe_load((root / "data" / "reference" / "published.yaml").read_text())["paper"]
    manuscript.write_text(manuscript.read_text() + f"\n\n{byline}\n\nBrown L, Roberts F. A reference. 2023.\n")
    passed = run_dvc(project, "repro", "--single-item", "10-audit-leaks")
    assert passed.returncode == 0, (passed.stdout + passed.stderr)[-3000:]


@pytest.mark.parametrize(
    "text,found",
    [
        ("met at HILLCREST general hospital today", True),
        ("met at Hıllcreſt General Hoſpital today", True),  # ı and ſ match i and s case-insensitively
        ("Hillcrest, and a General Hospital elsewhere", False),  # every word, but not the phrase
        ("Hillcrest General Hospitals", False),  # not a whole word
        ("met at Zoë Ångström-Ibáñez", True),  # outside ASCII: searched for in every file
    ],
)
def test_several_word_identifiers_are_found_whatever_the_prefilter(tmp_path, text, found):
    """The scan looks for a several-word identifier only in files that hold each of its
    words; the answer must be what the case-insensitive regex alone gives (Python's re)."""
    needles = {"configured": {"Hillcrest General Hospital", "Zoë Ångström-Ibáñez"}}
    (tmp_path / "page.md").write_text(text, encoding="utf-8")
    alone = re.compile(r"(?<![\w@])(?:Hillcrest General Hospital|Zoë Ångström-Ibáñez)(?![\w])", re.I)
    assert bool(alone.search(text)) is found
    assert bool(audit.scan(needles, tmp_path)["hits"]) is found


def test_ordinary_words_missing_from_web2_are_words_and_names_stay_out():
    """A hand-made study failed the audit on 'Proud', the first word of a document
    paragraph: web2 as packaged lacks 'proud', and irregular or modern words such as
    'held', 'women', 'online', 'email'. The reference for 'ordinary': each is a
    lower-case headword of a current dictionary (Merriam-Webster)."""
    for word in ("Proud", "Held", "Women", "Online", "Email", "Earlier", "Box", "Okay"):
        assert audit.is_word(word), word
    for name in ("Lindqvist", "Adeyemi", "Quispe", "London", "John", "Dublin", "Mohammed"):
        assert not audit.is_word(name), name


def test_a_citation_of_the_references_is_not_a_handle(root):
    """A passage of the manuscript can share words with the raw text (large studies do),
    and then its citations ([@key]) were taken for social-media handles; the keys of the
    project's references are public, any other @word is still flagged."""
    public = audit.public_text(root)
    key = sorted(public.citations)[0]
    found = audit.Needles(exact={}, public=public)
    passage = f"as the learners put it, the work was shared [{key}] and @kofi_writes posted it"
    assert audit.unknown_in_passage(passage, found).get("handle-like") == ["@kofi_writes"]


def test_pictures_inside_an_archive_are_not_read_as_text(tmp_path):
    """A DOCX or QDPX carries its figures as PNG members; their bytes can spell a name by
    chance ("jiA" in a compressed image stopped an unseen study's run). They are skipped
    like an image on disk; the text members are still searched."""
    import zipfile

    needles = {"configured": {"Jia"}}
    with zipfile.ZipFile(tmp_path / "paper.docx", "w") as zf:
        zf.writestr("word/document.xml", "<w:document><w:t>an ordinary sentence</w:t></w:document>")
        zf.writestr("word/media/rId30.png", b"\x89PNG\r\n\x1a\n..jiA..")
    assert audit.scan(needles, tmp_path)["hits"] == []
    with zipfile.ZipFile(tmp_path / "other.docx", "w") as zf:
        zf.writestr("word/document.xml", "<w:document><w:t>met Jia there</w:t></w:document>")
    assert [h["file"].rsplit("/", 1)[-1] for h in audit.scan(needles, tmp_path)["hits"]] == ["other.docx"]


def test_a_file_found_clean_is_not_read_again_until_it_or_the_needles_change(tmp_path, monkeypatch):
    (tmp_path / "a.md").write_text("a quiet table of counts\n")
    (tmp_path / "b.md").write_text("met at Hillcrest General Hospital\n")
    (tmp_path / "c.md").write_text("seen by Dr Amaru Quispe\n")  # a name no list holds yet
    first = audit.scan(NEEDLES, tmp_path)
    assert sorted(Path(f).name for f in first["clean"]["files"]) == ["a.md", "c.md"]
    assert "Hillcrest" not in json.dumps(first["clean"]) and "Quispe" not in json.dumps(first["clean"])

    read: list[str] = []
    real = audit.text_of
    monkeypatch.setattr(audit, "text_of", lambda p: read.append(p.name) or real(p))
    again = audit.scan(NEEDLES, tmp_path, clean=first["clean"])
    assert read == ["b.md"]  # only the file with a hit is read again
    assert again["summary"] == first["summary"] and again["hits"] == first["hits"]
    assert again["clean"] == first["clean"]

    # a changed file is read again, and a leak planted into it is found
    read.clear()
    (tmp_path / "a.md").write_text("a quiet table of counts, from L0042\n")
    changed = audit.scan(NEEDLES, tmp_path, clean=first["clean"])
    assert sorted(read) == ["a.md", "b.md"]
    assert sorted(h["kind"] for h in changed["hits"]) == ["configured", "withdrawn"]

    # new needles (a name to redact) give a new fingerprint: every file is read again
    read.clear()
    more = {**NEEDLES, "configured": NEEDLES["configured"] | {"Amaru Quispe"}}
    wider = audit.scan(more, tmp_path, clean=changed["clean"])
    assert sorted(read) == ["a.md", "b.md", "c.md"]
    assert wider["clean"]["fingerprint"] != first["clean"]["fingerprint"]
    assert [h["file"] for h in wider["hits"] if "c.md" in h["file"]]


@pytest.mark.parametrize(
    "sentence,flagged",
    [
        ("We got that changed on 2nd of October, after the meeting with the dean.", True),
        ("The workshop on 14 March was the first time we spoke up.", True),
        ("By October 2nd the petition had two hundred names on it.", True),
        ("In October the petition had two hundred names on it.", False),
        ("We may 5 times have asked the dean for the petition.", False),
    ],
)
def test_a_day_and_month_in_a_quote_are_flagged_without_a_year(sentence, flagged):
    """Reference: HIPAA Safe Harbor, 45 CFR 164.514(b)(2)(i)(C): every element of a date
    tied to a person except the year is identifying."""
    found = audit.Needles(exact={}, runs={0})
    hits = audit.unknown_in_passage(sentence, found, frozenset())
    assert ("date-like" in hits) is flagged, hits
