"""The reviewers' landing page (reports/index.html), the Markdown reports rendered as
HTML (reports/site/) and the look of both in a browser.

Structural tests need no browser: they read the pages the pipeline wrote for the shipped
study (``shipped_run``) or pages built from hand-made folders in ``tmp_path``. The
browser test lays the pages out in headless Chromium at 1280 and 390 px
(``tests/sitecheck.py``, also ``make site-check``) and is skipped when no Chromium is
installed.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import sitecheck

from compendium.reporting import site

ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- building blocks


def test_cardify_labels_every_cell_with_its_column():
    fragment = (
        "<table><thead><tr><th>Outcome</th><th>p &amp; q</th></tr></thead>"
        "<tbody><tr><td>A</td><td>0.5</td></tr><tr><td><strong>B</strong></td><td></td></tr></tbody></table>"
    )
    out = site.cardify(fragment)
    assert out.startswith('<div class="table-scroll"><table class="cards">')
    assert '<td data-label="Outcome"><span>A</span></td>' in out
    assert '<td data-label="p &amp; q"><span>0.5</span></td>' in out
    assert '<td data-label="p &amp; q" class="empty"><span></span></td>' in out  # hidden as a card line
    assert site.cardify("<p>no table</p>") == "<p>no table</p>"


def _reports(tmp_path: Path) -> Path:
    root = tmp_path / "reports"
    (root / "tables").mkdir(parents=True)
    (root / "checklists").mkdir()
    (root / "tables" / "scores.md").write_text(
        "# Scores by group\n\n| Group | Score |\n| :--- | ---: |\n| first | 1.5 |\n| second | 2.25 |\n"
    )
    (root / "tables" / "scores.csv").write_text("group,score\nfirst,1.5\nsecond,2.25\n")
    (root / "verification.md").write_text("# Verification\n\nSee [the scores](tables/scores.md).\n")
    (root / "checklists" / "coreq.md").write_text("# COREQ checklist\n\n| No. | Item |\n|---|---|\n| 1 | x |\n")
    return root


def test_markdown_reports_become_html_pages_deterministically(tmp_path):
    root = _reports(tmp_path)
    stale = root / "site" / "tables" / "gone.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    titles = site.render_markdown_reports(root, "body{}")
    assert titles == {
        "checklists/coreq.md": "COREQ checklist",
        "tables/scores.md": "Scores by group",
        "verification.md": "Verification",
    }
    page = (root / "site" / "verification.html").read_text()
    assert 'href="tables/scores.html"' in page and 'href="tables/scores.md"' not in page  # links go to HTML
    assert 'href="../verification.md"' in page  # the source stays reachable
    assert 'href="../index.html"' in page and '<meta name="viewport"' in page
    table = (root / "site" / "tables" / "scores.html").read_text()
    assert '<table class="cards">' in table and 'data-label="Score"' in table and "<title>Scores by group" in table
    assert not stale.exists()  # a report that no longer exists loses its page
    first = {p: p.read_bytes() for p in (root / "site").rglob("*.html")}
    site.render_markdown_reports(root, "body{}")
    assert {p: p.read_bytes() for p in (root / "site").rglob("*.html")} == first  # same inputs, same bytes
    assert (root / "tables" / "scores.md").is_file()  # the Markdown is kept


def test_figure_captions_come_from_one_hook(monkeypatch):
    from compendium.reporting import figures

    assert site.figure_caption("outcome_proportions") != "outcome_proportions"
    # figures.caption (the rule-based caption, with the analysis's levels) is the one source
    assert site.figure_caption("likert_support", {"likert_support": "From the manuscript."}) == figures.caption(
        "likert_support"
    )
    assert "pooled" in site.figure_caption("forest_sites_leadership_role")
    assert "brand new plot" in site.figure_caption("brand_new_plot").lower()  # never the bare file name
    assert "brand_new_plot" not in site.figure_caption("brand_new_plot")
    monkeypatch.setattr(figures, "caption", lambda stem: f"Own caption of {stem}.", raising=False)
    assert site.figure_caption("likert_support", {"likert_support": "x"}) == "Own caption of likert_support."


def test_manuscript_tables_are_matched_to_their_files(tmp_path):
    root = _reports(tmp_path)
    (root / "tables" / "other.md").write_text("# Other\n\n| Name | N |\n| :--- | ---: |\n| zeta | 9 |\n")
    text = (
        "Text.\n\n![Figure 1. Scores, drawn.](figures/scores_plot.png){width=70%}\n\n"
        "| Group | Score |\n| :--- | ---: |\n| **first** | 1.5 |\n| second | 2.25 |\n\n: Table 1. The scores.\n"
    )
    items = site.manuscript_items(text)
    assert [(i["kind"], i["number"], i["caption"]) for i in items] == [
        ("Figure", 1, "Scores, drawn."),
        ("Table", 1, "The scores."),
    ]
    assert items[0]["file"] == "figures/scores_plot.png"
    assert site.match_table(items[1]["rows"], root) == "scores"
    assert site.match_table(["| nothing | alike |"], root) is None


def test_verify_time_is_read_from_the_benchmark_or_said_to_be_unmeasured(tmp_path):
    assert "not been measured" in site.verify_time(tmp_path)
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "latest.json").write_text(json.dumps({"cold_s": 18.7, "machine": {"cpus": 2}}))
    said = site.verify_time(tmp_path)
    assert "about 19 s" in said and "2 CPUs" in said and "bench/latest.json" in said


REPORT = {
    "summary": {"claims": 3, "match": 3, "mismatch": 0, "not reproducible from the data": 0},
    "claims": [
        {"id": "table1.x.control", "where": "Table 1, X", "text": "50% X", "rule": "rounded: 50", "status": "match"},
        {
            "id": "table2.y.p_value",
            "where": "Table 2, Y",
            "text": "<0.001",
            "rule": "recomputed p < 0.001",
            "status": "match",
        },
        {"id": "text.z.control", "where": "Results text", "text": "50%", "rule": "rounded: 50", "status": "match"},
    ],
    "checks": {"grim": {"problems": 0, "detects": "d"}, "sums_to_100": {"problems": 2, "detects": "d"}},
}


def test_start_here_on_the_twin_says_what_holds_by_construction(tmp_path):
    root = _reports(tmp_path)
    page = site.index_html(root, REPORT["summary"], "Synthetic data.", twin=True, report=REPORT, project=tmp_path)
    start = page[page.index('id="start-here"') : page.index('id="manuscript"')]
    assert "3 of 3 numbers printed in the paper are reproduced." in start
    assert "By construction" in start and "test the pipeline, not the study" in start
    assert "Categories that should add up to 100%: 2 problems found" in start
    assert "The 2 numbers of Tables 1 and 2" in start  # the Results-text claim is not a table number
    assert "make verify" in start and "not been measured" in start
    assert 'href="site/verification.html"' not in start  # not rendered in this folder: no dead link
    assert "replication" not in start


def test_start_here_on_other_data_is_a_comparison_and_links_the_replication(tmp_path):
    root = _reports(tmp_path)
    page = site.index_html(root, REPORT["summary"], "", twin=False, report=REPORT, project=tmp_path)
    assert "By construction" not in page and "are reproduced" not in page
    assert "the replication report (<code>reports/replication.md</code>) is not part of this run" in page
    (root / "replication.md").write_text("# Replication\n")
    (root / "replication.json").write_text("[]")
    titles = site.render_markdown_reports(root, "")
    page = site.index_html(root, REPORT["summary"], "", twin=False, report=REPORT, titles=titles, project=tmp_path)
    assert 'href="site/replication.html"' in page and 'href="replication.json"' in page
    assert "Comparison with the original study" in page


def test_tables_and_figures_are_listed_in_manuscript_order_then_supplementary(tmp_path):
    """The manuscript prints 'zeta' as Table 1 and 'scores' as Table 2, and figure 'b_plot'
    as Figure 1: the lists follow it, not the file names (alphabetical order would put
    'alpha_extra' and 'a_extra' first), and the other items follow as S1, S2, ... with
    their captions, a number of their own ('Table 7.') dropped."""
    root = _reports(tmp_path)
    (root / "tables" / "zeta.md").write_text("# Zeta\n\n| Site | Count |\n| :--- | ---: |\n| north | 11 |\n")
    (root / "tables" / "alpha_extra.md").write_text(
        "# Table 7. Extra counts by wave\n\n| Wave | N |\n| :--- | ---: |\n| one | 3 |\n"
    )
    (root / "figures").mkdir()
    for stem in ("a_extra", "b_plot"):
        (root / "figures" / f"{stem}.png").write_bytes(b"")
    (root / "manuscript.md").write_text(
        "Text.\n\n| Site | Count |\n| :--- | ---: |\n| north | 11 |\n\n: Table 1. Counts by site.\n\n"
        "![Figure 1. The plot, drawn.](figures/b_plot.png){width=70%}\n\n"
        "| Group | Score |\n| :--- | ---: |\n| first | 1.5 |\n| second | 2.25 |\n\n: Table 2. The scores.\n"
    )
    titles = site.render_markdown_reports(root, "")
    page = site.index_html(root, REPORT["summary"], "", twin=False, report=REPORT, titles=titles, project=tmp_path)
    part = page[page.index('id="tables"') : page.index('id="figures"')]
    entries = [
        html.unescape(re.sub(r"<[^>]+>", "", first)).strip()
        for first in re.findall(r"<tr><td[^>]*><span>(.*?)</span></td>", part, re.S)
    ]
    assert entries == ["Table 1. Counts by site.", "Table 2. The scores.", "Table S1. Extra counts by wave."]
    assert part.index("Tables of the manuscript") < part.index("Table 1.") < part.index("Supplementary tables")
    assert part.index("Supplementary tables") < part.index("Table S1.")
    # both lists (and the manuscript's map) share the column widths of the stylesheet's listing rule
    assert part.count('<table class="cards listing">') == 2 and "table.listing" in site.stylesheet(ROOT)
    figures = page[page.index('id="figures"') :]
    labels = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<figcaption>(.*?)<br>", figures, re.S)]
    assert [label.split(". ")[0] for label in labels] == ["Figure 1 of the manuscript", "Figure S1"]
    assert labels[0].endswith(site.figure_caption("b_plot", {"b_plot": "The plot, drawn."}))  # with its caption
    assert labels[1].endswith(site.supplementary_caption(site.figure_caption("a_extra")))


# --------------------------------------------------------------------------- the shipped study's pages


def _links(page: str) -> list[str]:
    return site.local_links(page)


def _pages(reports: Path) -> list[Path]:
    return [reports / "index.html", *sorted((reports / "site").rglob("*.html"))]


def test_every_page_has_a_viewport_and_every_link_resolves(shipped_run):
    reports = shipped_run / "reports"
    for path in _pages(reports):
        text = path.read_text(encoding="utf-8")
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text, path
        assert "<script" not in text and not re.search(r'(src|href)="(https?:)?//', text), path
        for target in _links(text):
            assert (path.parent / target).exists(), (path.relative_to(reports), target)


def test_every_markdown_link_has_its_html_twin(shipped_run):
    reports = shipped_run / "reports"
    index = (reports / "index.html").read_text(encoding="utf-8")
    md_links = [t for t in _links(index) if t.endswith(".md")]
    assert md_links
    for target in md_links:
        twin = site.twin_path(target)
        assert (reports / twin).is_file(), target
        assert f'href="{twin}"' in index, f"{target} is linked without its HTML page"
    for md in reports.rglob("*.md"):
        rel = md.relative_to(reports).as_posix()
        assert (reports / site.twin_path(rel)).is_file(), f"{rel} has no HTML page"


def test_every_table_and_figure_has_a_human_caption(shipped_run):
    reports = shipped_run / "reports"
    index = (reports / "index.html").read_text(encoding="utf-8")
    tables = sorted({p.stem for p in (reports / "tables").glob("*") if p.suffix in (".csv", ".md")})
    figures = sorted(p.stem for p in (reports / "figures").glob("*.png"))
    assert len(tables) >= 19 and len(figures) >= 10
    rows = re.findall(r"<tr>(.*?)</tr>", index[index.index('id="tables"') : index.index('id="figures"')], re.S)
    captions = {}
    for row in [r for r in rows if "<td" in r]:  # the header rows of both lists left out
        first = re.search(r"<td[^>]*><span>(.*?)</span></td>", row, re.S).group(1)
        stem = re.search(r'href="tables/([^".]+)\.(?:csv|md)"', row).group(1)
        captions[stem] = html.unescape(re.sub(r"<[^>]+>", "", first)).strip()
    assert sorted(captions) == tables
    for stem in tables + figures:
        assert f">{stem}<" not in index and f">{stem}.png<" not in index, f"{stem} is labelled by its file name"
    for stem, caption in captions.items():
        assert caption and caption != stem and " " in caption and "_" not in caption, (stem, caption)
    figs = re.findall(r'<figure id="figure-([^"]+)">.*?<figcaption>(.*?)<br>', index, re.S)
    assert sorted(s for s, _ in figs) == figures
    for stem, caption in figs:
        text = html.unescape(caption).strip()
        assert len(text) > 20 and text != stem and "_" not in text, (stem, text)


def test_manuscript_items_map_to_files_and_notebooks(shipped_run):
    index = (shipped_run / "reports" / "index.html").read_text(encoding="utf-8")
    mapping = index[index.index('id="manuscript"') : index.index('id="tables"')]
    manuscript = (shipped_run / "reports" / "manuscript.md").read_text(encoding="utf-8")
    for item in site.manuscript_items(manuscript):
        row = re.search(rf"<tr><td[^>]*><span>{item['kind']} {item['number']}</span></td>(.*?)</tr>", mapping, re.S)
        assert row, (item["kind"], item["number"])
        assert "not identified" not in row.group(1) and "not recorded" not in row.group(1), row.group(1)
        assert 'href="notebooks/' in row.group(1) and "CSV" in row.group(1) or "PNG" in row.group(1)


def test_notebook_numbering_is_complete(shipped_run, root):
    index = (shipped_run / "reports" / "index.html").read_text(encoding="utf-8")
    pipeline = index[index.index('id="pipeline"') :]
    numbers = sorted(p.name[:2] for p in (root / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    for number in numbers:
        assert f"<span>{number}</span>" in pipeline, f"notebook {number} is missing from the page"


def test_shipped_page_opens_with_what_to_check_first(shipped_run):
    index = (shipped_run / "reports" / "index.html").read_text(encoding="utf-8")
    body = index[index.index("<body>") :]
    assert body.index('id="start-here"') < body.index('id="manuscript"') < body.index('id="tables"')
    start = body[body.index('id="start-here"') : body.index('id="manuscript"')]
    for needed in ('href="site/verification.html"', "By construction", "make verify", "Tables 1 and 2", "agrees"):
        assert needed in start, needed


# --------------------------------------------------------------------------- in a browser


@pytest.mark.skipif(sitecheck.chromium() is None, reason="no headless Chromium installed (apt-get install chromium)")
def test_pages_fit_desktop_and_phone_in_chromium(shipped_run, tmp_path):
    """index.html and manuscript.html laid out at 1280 and 390 px: no sideways scrolling,
    figures span the column on a phone, no table of the index wider than its box.
    Screenshots go to tmp_path (``make site-check`` keeps them in site-check/)."""
    found, measured = sitecheck.check(shipped_run / "reports", tmp_path, shots=False)
    assert measured["index.html@390"]["viewport"] == 390  # a phone's width, not the browser's 500 px minimum
    assert not [p for p in found if p.startswith("index.html")], found
    found, measured = sitecheck.check_pages_at_phone(shipped_run / "reports")
    assert len(measured) >= 25 and not found, found  # every report page and notebook fits a phone


def test_a_file_no_stage_declares_is_traced_to_the_notebook_that_names_it(tmp_path):
    """Per-site tables and forest plots exist only with several sites, so dvc.yaml cannot
    declare them; the notebook whose code names them (or their prefix) wrote them."""
    (tmp_path / "dvc.yaml").write_text(
        "stages:\n"
        "  02-tabulate:\n    cmd: compendium run-notebook notebooks/02-tabulate.ipynb\n"
        "    outs:\n      - reports/tables/table2_outcomes.csv\n"
        "  05-pool:\n    cmd: compendium run-notebook notebooks/05-pool.ipynb -p x 1\n"
    )
    executed = tmp_path / "reports" / "notebooks"
    executed.mkdir(parents=True)
    (executed / "02-tabulate.ipynb").write_text('{"cells": ["table2_outcomes"]}')
    (executed / "05-pool.ipynb").write_text(
        '{"cells": ["by_site = sites.table2_by_site(x)", "save(fig, f\'forest_sites_{outcome}\')"]}'
    )
    pipeline = site.stages(tmp_path)
    assert [s.name for s in pipeline] == ["02-tabulate", "05-pool"]
    assert site.producer("tables/table2_outcomes.csv", pipeline, tmp_path).name == "02-tabulate"
    assert site.producer("tables/table2_by_site.csv", pipeline, tmp_path).name == "05-pool"
    assert site.producer("figures/forest_sites_leadership_role.png", pipeline, tmp_path).name == "05-pool"
    assert site.producer("figures/unknown_plot.png", pipeline, tmp_path) is None


def test_the_comparison_shows_the_p_value_computed_not_the_rule():
    claim = {"id": "table2.x.p_value", "published": 0.001, "recomputed": 0.026763, "rule": "recomputed p < 0.001"}
    assert site._recomputed(claim) == "p = 0.027"
    assert site._recomputed({**claim, "recomputed": 0.0002}) == "p < 0.001"


def test_the_replication_headline_is_html_not_markdown(tmp_path):
    (tmp_path / "replication.json").write_text(
        '{"applies": true, "headline": "4 claims: **2 replicated**, 1 not replicated."}'
    )
    text = site._replication_headline(tmp_path)
    assert "<strong>2 replicated</strong>" in text and "**" not in text


def test_a_row_under_a_heading_row_says_what_it_belongs_to_on_a_phone():
    """Table 1's "Female", "yes" and "Mean ± SD" rows become cards of their own on a
    phone; each carries the heading row above it (data-group, shown before the title)."""
    from compendium.reporting.tables import cardify

    table = (
        "<table><thead><tr><th>Characteristic</th><th>Control</th></tr></thead><tbody>"
        "<tr><td><strong>Previous activism</strong></td><td></td></tr>"
        "<tr><td>yes</td><td>15 (15.0%)</td></tr><tr><td>no</td><td>85 (85.0%)</td></tr>"
        "<tr><td><strong>Age, years</strong></td><td></td></tr><tr><td>Mean ± SD</td><td>27.4 ± 2.3</td></tr>"
        "</tbody></table>"
    )
    out = cardify(table)
    groups = re.findall(r'data-group="([^"]*)"><span>([^<]*)</span>', out)
    assert groups == [("Previous activism", "yes"), ("Previous activism", "no"), ("Age, years", "Mean ± SD")]
    assert "data-group" not in cardify(table.replace("<strong>", "").replace("</strong>", ""))
    css = (Path(__file__).resolve().parents[1] / "manuscript" / "compendium.css").read_text()
    assert "td:first-child[data-group]::before" in css


def test_the_landing_page_names_only_the_source_types_the_study_holds():
    """A study of interviews and documents (no focus group) was introduced as one of
    'interviews, focus groups and documents'."""
    from compendium.reporting.site import intro_other

    counts = {"study.sources.document": 13, "study.sources.focus_group": 0, "study.sources.interview": 27}
    text = intro_other(counts | {"study.sources.total": 40})
    assert "interviews and documents or online posts coded" in text and "focus group" not in text
    one = intro_other({"study.sources.focus_group": 1, "study.sources.document": 0, "study.sources.interview": 0})
    assert "one focus group coded" in one and "interview" not in one
