"""The manuscript: numbers only from results.json, APA statistics, all references,
every table and figure in every format, and a landing page that works offline.

Properties that hold for any study are checked on the committed reports/ (whatever
study the repository holds); what the shipped study's manuscript says, on the
session's pristine run of the shipped study (``shipped_run``)."""

from __future__ import annotations

import json
import re
import zipfile

import pytest

from compendium import manuscript, site


@pytest.fixture(scope="module")
def results(root):
    """The committed results of the repository's own study."""
    return json.loads((root / "reports" / "results.json").read_text())


@pytest.fixture(scope="module")
def shipped_results(shipped_run):
    return json.loads((shipped_run / "reports" / "results.json").read_text())


def test_apa_p_values():
    assert manuscript.apa_p(2.35e-07) == "p < .001"
    assert manuscript.apa_p(0.0344) == "p = .034"
    assert manuscript.apa_p(0.5) == "p = .500"


def test_stray_numbers_are_found_and_legitimate_ones_pass():
    results = {"a": 26.720647, "b": 0.45, "c": 100}
    text = ("χ²(1, N = 100) = 26.72 with 45% and .45; Table 3 and Figure 2 in 2025 [1,2] [3–5] "
            "[Person 7] (interview, source INT-011, unit 14) but 3.14 and 17 are typed.\n"
            "| 29 | Quotations presented | yes |\n# References\n1. x 99")
    assert manuscript.stray_numbers(text, results) == ["1", "17", "3.14"]


def test_a_missing_result_stops_the_build(tmp_path):
    template = tmp_path / "t.md.j2"
    template.write_text("{{ pct('table2.nothing.percent') }}")
    with pytest.raises(manuscript.ManuscriptError, match="table2.nothing.percent"):
        manuscript.render_template(template, {}, {})


def test_typed_numbers_stop_the_build(tmp_path):
    template = tmp_path / "t.md.j2"
    template.write_text("We saw 37.5% more.")
    with pytest.raises(manuscript.ManuscriptError, match="37.5"):
        manuscript.build(template, {"a": 12.0}, {}, {}, folder=tmp_path)


def test_rendered_manuscript_has_no_number_outside_results(root, results):
    text = (root / "reports" / "manuscript.md").read_text()
    assert manuscript.stray_numbers(text, results) == []
    page = (root / "reports" / "manuscript.html").read_text()
    body = re.sub(r"<[^>]+>", " ", page.split('id="refs"')[0].split("<body")[1])
    body = re.sub(r"data:[^\s\"]+", " ", body)
    assert manuscript.stray_numbers(body, results) == []


@pytest.mark.pipeline
def test_statistics_are_reported_in_apa_style(shipped_run, shipped_results):
    text = (shipped_run / "reports" / "manuscript.md").read_text()
    r = shipped_results
    expected = (f"χ²(1, N = {r['table2.leadership_role.n_total']}) = {r['table2.leadership_role.statistic']:.2f}, "
                "p < .001")
    assert expected in text
    assert len(re.findall(r"χ²\(1, N = \d+\) = \d+\.\d\d, p [<=] \.\d{3}", text)) == 4


@pytest.mark.pipeline
def test_all_25_references_are_cited_and_formatted(root, shipped_run):
    bib = (root / "manuscript" / "references.bib").read_text()
    keys = re.findall(r"@\w+\{(\w+),", bib)
    assert len(keys) == 25
    template = (root / "manuscript" / "manuscript.md.j2").read_text()
    assert all(f"@{k}" in template for k in keys)
    page = (shipped_run / "reports" / "manuscript.html").read_text()
    assert len(re.findall(r'id="ref-ref\d\d_', page)) == 25
    assert (root / "manuscript" / "vancouver-compendium.csl").is_file()


@pytest.mark.pipeline
def test_synthetic_nature_is_stated(shipped_run):
    assert "synthetic" in (shipped_run / "reports" / "manuscript.md").read_text().lower()


def test_pdf_shows_every_table_and_figure(root):
    from pypdf import PdfReader

    reader = PdfReader(root / "reports" / "manuscript.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    for n in range(1, 5):
        assert f"Table {n}." in text and f"Figure {n}." in text, n
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 4
    assert reader.metadata is None or "/CreationDate" not in reader.metadata or "2025" in str(
        reader.metadata.get("/CreationDate"))


def test_docx_holds_the_tables_and_figures(root):
    with zipfile.ZipFile(root / "reports" / "manuscript.docx") as zf:
        document = zf.read("word/document.xml").decode("utf-8")
        media = [n for n in zf.namelist() if n.startswith("word/media/")]
    assert document.count("<w:tbl>") >= 4
    assert len(media) >= 4


def test_html_is_self_contained_and_makes_no_request(root):
    for page in [root / "reports" / "manuscript.html", root / "reports" / "index.html",
                 *sorted((root / "reports" / "notebooks").glob("*.html"))]:
        text = page.read_text()
        assert "<script" not in text, page
        assert not re.search(r'(src|href)="(https?:)?//', text), page
        assert "@import" not in text and "fonts.googleapis" not in text, page
    assert (root / "reports" / "manuscript.html").read_text().count('src="data:image/png;base64') >= 4


def test_every_local_link_resolves(root):
    for page in [root / "reports" / "index.html", *sorted((root / "reports" / "notebooks").glob("*.html"))]:
        for target in site.local_links(page.read_text()):
            assert (page.parent / target).exists(), (page.name, target)


def test_index_links_every_artifact(root):
    index = (root / "reports" / "index.html").read_text()
    reports = root / "reports"
    for path in [*reports.glob("tables/*"), *reports.glob("figures/*.png"), *reports.glob("notebooks/*.html"),
                 *reports.glob("checklists/*.md"), *reports.glob("qda/*")]:
        assert f'"{path.relative_to(reports).as_posix()}"' in index, path
    for name in ("manuscript.html", "manuscript.pdf", "manuscript.docx", "verification.md", "provenance.json"):
        assert f'"{name}"' in index
    executed = sorted(p.stem for p in reports.glob("notebooks/*.ipynb"))
    assert executed == sorted(p.stem for p in reports.glob("notebooks/*.html"))


def test_checklists(root):
    coreq = (root / "reports" / "checklists" / "coreq.md").read_text()
    numbers = [int(n) for n in re.findall(r"^\| (\d+) \|", coreq, flags=re.M)]
    assert numbers == list(range(1, 33))
    answered = [line for line in coreq.splitlines() if re.match(r"^\| \d+ \|", line) and "For the authors" not in line]
    assert len(answered) >= 12
    consort = (root / "reports" / "checklists" / "consort.md").read_text()
    assert "Participant flow" in consort and "For the authors" in consort
