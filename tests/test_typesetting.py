"""The typesetting checks (compendium.checks.typesetting) and the table layout they
guard (compendium.reporting.tables: column widths from content).

Each check is shown to pass on a good rendering and to fail on a deliberately broken
one: tiny Typst documents with text printed over text and with a word hyphenated in a
narrow cell, and pages left mostly blank; DOCX files written by the manuscript's own
DOCX writer, then stripped of their widths, given a 1 cm column that holds a long word,
or a full-width figure set at pandoc's narrower width. The PDF's page layout (floating
and turned tables, captions) is checked from word boxes, and the whole check runs on a
study generated with the independent design."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from compendium.checks import typesetting
from compendium.reporting import manuscript, tables

TABLE = (
    "| Outcome | Control, n/N (%) | Intervention, n/N (%) | Kappa |\n"
    "| :--- | ---: | ---: | ---: |\n"
    "| Active participation in anti-racist initiatives | 20/100 (20%) | 70/100 (70%) | 0.45 |\n"
    "| Perceived institutional support | 30/100 (30%) | 75/100 (75%) | 0.26 |\n"
)


def compile_typst(tmp_path: Path, name: str, source: str) -> Path:
    import typst

    typ = tmp_path / f"{name}.typ"
    typ.write_text(source, encoding="utf-8")
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(typst.compile(str(typ)))
    return pdf


PAGE = '#set page(width: 240pt, height: 160pt, margin: 10pt)\n#set text(size: 9pt, lang: "en")\n'


# --------------------------------------------------------------------------- PDF


def test_pdf_words_overlapping_are_found(tmp_path):
    good = compile_typst(tmp_path, "good", PAGE + "Words set apart.\n\nAnother line of words.\n")
    bad = compile_typst(
        tmp_path,
        "bad",
        PAGE + "#place(top + left)[Overprinted words]\n#place(top + left, dx: 4pt, dy: 1pt)[Printed again]\n",
    )
    assert typesetting.check_pdf(good, "") == []
    problems = typesetting.check_pdf(bad, "")
    assert problems and all("print over each other" in p for p in problems)
    assert any("'Overprinted'" in p and "'Printed'" in p for p in problems)


def test_an_id_too_long_for_its_column_runs_over_the_next_one(tmp_path):
    """The fault of the first Table 3: snake_case code ids wider than their column."""
    cells = "[Code], [Theme], [institutional_collaboration], [strategies], [hierarchy], [challenges]"
    bad = compile_typst(tmp_path, "bad", PAGE + f"#table(columns: (40pt, 60pt), {cells})\n")
    good = compile_typst(tmp_path, "good", PAGE + f"#table(columns: (120pt, 60pt), {cells})\n")
    problems = typesetting.check_pdf(bad, "")
    assert any("'institutional_collaboration' and 'strategies'" in p for p in problems), problems
    assert typesetting.check_pdf(good, "") == []


def test_a_word_hyphenated_in_a_table_cell_is_found(tmp_path):
    cells = "[Outcome], [Kappa], [Active participation in anti-racist initiatives], [0.45]"
    bad = compile_typst(
        tmp_path,
        "bad",
        PAGE + f"#set text(hyphenate: true)\n#set par(justify: true)\n#table(columns: (38pt, 40pt), {cells})\n",
    )
    good = compile_typst(
        tmp_path, "good", PAGE + f"#set text(hyphenate: false)\n#table(columns: (110pt, 40pt), {cells})\n"
    )
    markdown = "| Outcome | Kappa |\n| --- | --- |\n| Active participation in anti-racist initiatives | 0.45 |\n"
    problems = typesetting.check_pdf(bad, markdown)
    assert any("'partic-' / 'ipation'" in p for p in problems), problems
    assert typesetting.check_pdf(good, markdown) == []


def test_a_break_at_a_word_s_own_hyphen_is_no_fault():
    """'anti-' / 'racist' breaks where the word has its hyphen; 'partici-' / 'pation' does not."""
    W = typesetting.Word
    words = [
        W(1, "anti-", 10, 30, 100, 108, 8),
        W(1, "racist", 10, 34, 90, 98, 8),
        W(1, "partici-", 60, 90, 100, 108, 8),
        W(1, "pation", 60, 84, 90, 98, 8),
    ]
    vocabulary = typesetting.text_words(TABLE)
    found = typesetting.broken_words(words, typesetting.table_words(TABLE) | {"participation"}, vocabulary)
    assert [(a.text, b.text) for a, b in found] == [("partici-", "pation")]


# --------------------------------------------------------------------------- DOCX


@pytest.fixture(scope="module")
def docx(tmp_path_factory) -> Path:
    """A DOCX of one table, written by the manuscript's own DOCX writer."""
    folder = tmp_path_factory.mktemp("docx")
    header, align, rows = tables.parse_pipe_table(TABLE.strip().split("\n"))
    text = tables.pipe_table(header, rows, align) + "\n: Table 1. A table.\n"
    out = folder / "good.docx"
    manuscript.to_docx(text, out, folder, {})
    return out


def rewrite(source: Path, dest: Path, change) -> Path:
    with zipfile.ZipFile(source) as zf:
        entries = [(info, zf.read(info.filename)) for info in zf.infolist()]
    with zipfile.ZipFile(dest, "w") as zf:
        for info, data in entries:
            if info.filename == "word/document.xml":
                data = change(data.decode("utf-8")).encode("utf-8")
            zf.writestr(info, data, compress_type=info.compress_type)
    return dest


def test_the_docx_writer_sets_widths_line_numbers_and_passes(docx):
    with zipfile.ZipFile(docx) as zf:
        document = zf.read("word/document.xml").decode("utf-8")
    assert "<w:lnNumType" in document and 'w:type="fixed"' in document
    assert document.count("<w:tcW ") == 3 * 4
    assert typesetting.check_docx(docx) == []


def test_a_docx_table_without_widths_fails(docx, tmp_path):
    import re

    bad = rewrite(docx, tmp_path / "bad.docx", lambda xml: re.sub(r"<w:tblGrid>.*?</w:tblGrid>", "", xml))
    assert any("no column widths" in p for p in typesetting.check_docx(bad))
    no_cells = rewrite(docx, tmp_path / "cells.docx", lambda xml: re.sub(r"<w:tcW [^>]*/>", "", xml))
    assert any("the cell has no width" in p for p in typesetting.check_docx(no_cells))


def test_a_long_word_in_a_one_centimetre_column_fails(docx, tmp_path):
    import re

    def narrow(xml: str) -> str:
        xml = re.sub(r'(<w:gridCol w:w=")\d+', r"\g<1>567", xml, count=1)
        return re.sub(r'(<w:tc><w:tcPr><w:tcW w:w=")\d+', r"\g<1>567", xml)

    bad = rewrite(docx, tmp_path / "narrow.docx", narrow)
    problems = typesetting.check_docx(bad)
    assert any("'participation'" in p and "wider than its column" in p for p in problems), problems


# --------------------------------------------------------------------------- column widths


def test_columns_get_their_longest_word_and_the_labels_room():
    header, align, rows = tables.parse_pipe_table(TABLE.strip().split("\n"))
    fractions = tables.column_fractions(header, rows)
    assert sum(fractions) == pytest.approx(1.0)
    for j, share in enumerate(fractions):
        longest = max(tables.text_em(w, True) for c in [header[j]] + [r[j] for r in rows] for w in c.split())
        assert share * tables.TABLE_WIDTH_EM >= longest
    assert fractions[0] == max(fractions)
    table = tables.pipe_table(header, rows, align)
    separator = table.split("\n")[1]
    assert len(separator) > 72  # pandoc then reads relative widths from the dashes


def test_intervals_are_kept_on_one_line():
    cell = tables.keep_together("NNTB 3.0 (2.3 to 4.8)")
    assert cell == "NNTB\u00a03.0 (2.3\u00a0to\u00a04.8)"
    assert tables.keep_together("27.4 ± 2.3") == "27.4\u00a0±\u00a02.3"


def test_label_columns_get_the_spare_width_and_numbers_stay_compact():
    header = ["Outcome", "Theme", "Kappa (95% CI)", "p"]
    rows = [
        ["Active participation in anti-racist initiatives", "Strategies of activism", "0.45 (0.21 to 0.72)", "0.012"],
        ["Leadership", "Needs", "0.50 (0.30 to 0.70)", "<0.001"],
    ]
    align = ["l", "l", "r", "r"]
    least, natural = tables._least_natural(header, rows, tables.CELL_PAD_EM)
    width = sum(least) + (natural[0] - least[0] + natural[1] - least[1]) / 2  # half of what the labels want
    fractions = tables.column_fractions(header, rows, width_em=width, align=align)
    # the numeric columns keep their longest unit; the labels share what is left
    assert fractions[2] * width == pytest.approx(least[2], abs=0.01)
    assert fractions[0] * width > least[0] + 1 and fractions[1] * width > least[1] + 1
    # with room to spare, every label sits on one line
    wide = tables.column_fractions(header, rows, width_em=sum(natural) + 5, align=align)
    assert all(f * (sum(natural) + 5) >= n - 1e-9 for f, n in zip(wide, natural))


def test_a_table_too_wide_for_the_portrait_page_is_turned_in_pdf_and_docx(tmp_path):
    header = ["Outcome", "Code", *[f"Estimate {k} (95% CI)" for k in range(8)]]
    rows = [
        ["Active participation in anti-racist initiatives", "Collaboration with institutional stakeholders"]
        + ["12.67 (4.73 to 33.89)"] * 8
    ]
    align = ["l", "l"] + ["r"] * 8
    assert tables.landscape(header, rows, align)
    assert not tables.landscape(*tables.parse_pipe_table(TABLE.strip().split("\n"))[::2], ["l", "r", "r", "r"])
    text = tables.pipe_table(header, rows, align) + "\n: Table 2. Wide.\n\n*A note.*\n"
    pdf_source = manuscript.keep_tables_whole(text)
    assert pdf_source.index("rotate(-90deg") < pdf_source.index("| Outcome")
    assert pdf_source.index("*A note.*") < pdf_source.index(f"<{manuscript.TABLE_FLOAT_LABEL}>")
    assert pdf_source.index(f"size: {manuscript.TABLE_NOTE_SIZE}") < pdf_source.index("*A note.*")
    # one too tall for a turned page runs on landscape pages instead
    pdf_source = manuscript.keep_tables_whole(text, in_flow={0})
    assert "rotate(" not in pdf_source
    assert pdf_source.index("#set page(flipped: true)") < pdf_source.index("| Outcome")
    assert pdf_source.index("*A note.*") < pdf_source.index("#set page(flipped: false)")
    out = tmp_path / "wide.docx"
    manuscript.to_docx(text, out, tmp_path, {})
    with zipfile.ZipFile(out) as zf:
        document = zf.read("word/document.xml").decode("utf-8")
    assert 'w:orient="landscape"' in document
    assert typesetting.check_docx(out) == []


def test_headers_keep_their_units_and_negative_numbers_take_the_minus_sign():
    assert tables.keep_level("Risk ratio (95% CI)") == "Risk ratio (95%\u00a0CI)"
    assert tables.keep_level("Control (n = 22)") == "Control (n\u00a0=\u00a022)"
    assert tables.keep_level("Control, n/N (%)") == "Control, n/\u2060N\u00a0(%)"
    assert tables.text_em("n/\u2060N") == tables.text_em("n/N")
    assert tables.minus_signs("-0.04 (-0.21 to 0.10)") == "\u22120.04 (\u22120.21 to 0.10)"
    for kept in ("anti-racist", "2023-09-04", "1-3", "-"):
        assert tables.minus_signs(kept) == kept
    table = tables.pipe_table(["Code", "Kappa"], [["a", "-0.04"]], ["l", "r"])
    assert "\u22120.04" in table and "-0.04" not in table


def test_docx_tables_use_the_pdf_s_serif_at_its_size_and_rows_do_not_split(docx):
    """The DOCX's tables are set as the PDF's (a serif face at 7.5 pt), so that a table the
    PDF sets upright fits the DOCX's portrait page too."""
    with zipfile.ZipFile(docx) as zf:
        document = zf.read("word/document.xml").decode("utf-8")
        styles = zf.read("word/styles.xml").decode("utf-8")
    assert document.count("<w:cantSplit/>") == 3
    style = styles[styles.index('w:styleId="TableText"') :]
    style = style[: style.index("</w:style>")]
    assert '<w:sz w:val="15"/>' in style and 'w:ascii="Times New Roman"' in style
    assert f'w:w="{manuscript.DOCX_PAGE[0]}"' in document


def test_the_pdf_text_width_is_the_figures_double_width():
    from compendium.reporting import figure_check

    meta = manuscript.pdf_page_metadata()
    side = float(meta.split("x: ")[1].split("mm")[0])
    assert manuscript.PDF_PAPER[1] - 2 * side == pytest.approx(figure_check.PRINT_WIDTHS["double"])
    assert manuscript.DOCX_TEXT_WIDTH / 1440 * 25.4 == pytest.approx(figure_check.PRINT_WIDTHS["double"], abs=0.1)


def test_coder_ids_read_as_names():
    assert tables.coder_label("coder_a") == "Coder A"
    assert tables.coder_label("second-reader") == "Second reader"


# --------------------------------------------------------------------------- blank pages

# A4 with the manuscript's margins, in tiny Typst documents
A4 = '#set page(paper: "a4", margin: (x: 20mm, y: 22mm))\n#set text(size: 11pt, lang: "en")\n'
MARGINS = (20.0, 22.0)
FULL = "#lorem(700)\n"  # more than a page of text
SHORT = "#lorem(120)\n"  # about a fifth of a page


def test_a_page_left_half_blank_is_found(tmp_path):
    """A short paragraph, then a forced page break: the first page is about four fifths
    blank and is reported; filled pages and the last page are not."""
    bad = compile_typst(tmp_path, "bad", A4 + SHORT + "#pagebreak()\n" + FULL + "\n" + SHORT)
    fills = typesetting.page_fills(bad, *MARGINS)
    assert fills[0].blank > 0.6 and fills[1].blank < 0.05 and fills[-1].blank > 0.4
    problems = typesetting.check_pdf(bad, "", MARGINS)
    assert len(problems) == 1 and "page 1:" in problems[0] and "blank" in problems[0], problems
    good = compile_typst(tmp_path, "good", A4 + FULL + "\n" + SHORT)
    assert typesetting.check_pdf(good, "", MARGINS) == []
    assert typesetting.check_pdf(bad, "") == []  # without margins, pages are not measured


def test_a_figure_counts_as_filled_and_a_gap_above_it_as_blank(tmp_path):
    """A figure (a grey box standing for an image) fills its height; the half page
    pushed down by a tall vertical space is blank."""
    box = "#figure(rect(width: 100%, height: 120mm, fill: gray), caption: [A figure.])\n"
    filled = compile_typst(tmp_path, "filled", A4 + SHORT + box + SHORT + "#pagebreak()\n" + FULL)
    assert typesetting.page_fills(filled, *MARGINS)[0].blank < 0.33
    pushed = compile_typst(tmp_path, "pushed", A4 + SHORT + "#v(140mm)\n" + SHORT + "#pagebreak()\n" + FULL)
    assert typesetting.page_fills(pushed, *MARGINS)[0].blank > 0.5


def test_the_page_before_a_landscape_page_is_exempt_only_at_the_end_of_a_section(tmp_path):
    """Rule: a page before a landscape page may be left blank when its section's text
    ends there, i.e. the next portrait page opens with one of the manuscript's headings."""
    landscape = "#page(flipped: true)[#table(columns: 2, [a], [b])]\n"
    markdown = "# Results\n\nText.\n\n## Themes {#themes}\n\nMore text.\n"
    ended = compile_typst(tmp_path, "ended", A4 + SHORT + landscape + "= Themes\n" + FULL)
    assert typesetting.check_pdf(ended, markdown, MARGINS) == []
    running = compile_typst(tmp_path, "running", A4 + SHORT + landscape + FULL)
    problems = typesetting.check_pdf(running, markdown, MARGINS)
    assert len(problems) == 1 and "page 1:" in problems[0], problems
    assert typesetting.headings(markdown) == ["Results", "Themes"]


def _paragraphs(n: int, seed: int) -> str:
    import random

    rng = random.Random(seed)
    words = "the learners said their work on the wards and in the school was slow but it mattered".split()
    return "\n\n".join(" ".join(rng.choice(words) for _ in range(90)).capitalize() + "." for _ in range(n))


def _wide_table(rows: int) -> str:
    header = ["Outcome", "Code", *[f"Estimate {k} (95% CI)" for k in range(8)]]
    body = [
        [f"Outcome number {r} of the study", f"A code of the codebook {r}"] + ["2.50 (1.75 to 3.25)"] * 8
        for r in range(rows)
    ]
    return tables.pipe_table(header, body, ["l", "l"] + ["r"] * 8) + "\n: Table 2. Wide.\n\n*A note.*\n"


def test_a_wide_table_floats_turned_on_a_page_of_its_own_and_text_fills_the_page_before(tmp_path):
    """The shape of the first half-blank page: a wide table named near the top of a page
    with its section's text running on. The text fills that page; the table takes the
    next one, turned, and the page is marked /Rotate 90 so that a PDF reader (which applies
    /Rotate) reads its words upright: the caption above the table's first row."""
    import pikepdf

    markdown = (
        "# Results\n\n"
        + _paragraphs(2, 1)
        + "\n\n"
        + _wide_table(4)
        + "\n"
        + _paragraphs(9, 2)
        + "\n\n# Discussion\n\n"
        + _paragraphs(8, 3)
        + "\n"
    )
    out = tmp_path / "wide.pdf"
    manuscript.to_pdf(markdown, out, tmp_path, {})
    with pikepdf.open(out) as pdf:
        turned = [k + 1 for k, page in enumerate(pdf.pages) if page.obj.get("/Rotate") == 90]
    assert turned == [2]
    fills = typesetting.page_fills(out, *MARGINS)
    assert [f.landscape for f in fills[:3]] == [False, True, False]
    assert fills[0].blank < 0.1
    assert typesetting.check_pdf(out, markdown, MARGINS) == []
    words = [w for w in typesetting.pdf_words(out) if w.page == 2]
    caption = next(w for w in words if w.text == "Wide.")
    first_row = next(w for w in words if w.text == "Outcome")
    assert caption.y0 > first_row.y1 and first_row.x1 - first_row.x0 > first_row.y1 - first_row.y0


def test_a_wide_table_too_tall_for_one_turned_page_runs_on_landscape_pages(tmp_path):
    """Forty rows do not fit the text width as a turned page's height: the table is set
    again on landscape pages (page size turned, no /Rotate), which wait for the section's
    end."""
    import pikepdf

    markdown = "# Results\n\n" + _paragraphs(1, 1) + "\n\n" + _wide_table(40) + "\n" + _paragraphs(2, 2) + "\n"
    out = tmp_path / "long.pdf"
    manuscript.to_pdf(markdown, out, tmp_path, {})
    with pikepdf.open(out) as pdf:
        assert all(page.obj.get("/Rotate") is None for page in pdf.pages)
        shapes = [page.mediabox[2] > page.mediabox[3] for page in pdf.pages]
    assert (
        shapes[0] is False
        and shapes[1] is True
        and "Wide." in "".join(w.text for w in typesetting.pdf_words(out) if w.page == 2)
    )


# --------------------------------------------------------------------------- a whole run on unseen data

UNSEEN_SEED = 7  # the independent design: another codebook, arms, sites and sizes


@pytest.fixture(scope="module")
def unseen_run(tmp_path_factory) -> Path:
    """A full pipeline run of a study generated with the independent design, in a
    scratch project (tests/scratch.py)."""
    import scratch

    from compendium.synthesize import synthesize

    base = tmp_path_factory.mktemp("unseen")
    raw, truth = base / "data" / "raw", base / "data" / "synthetic"
    synthesize(raw, seed=UNSEEN_SEED, design="independent", truth_dir=truth)
    project = scratch.make_project(base / "compendium", raw, truth)
    params = project / "params.yaml"
    params.write_text(scratch.study_params(params.read_text()))
    return scratch.reproduce(project)


def test_no_page_of_an_unseen_study_s_manuscript_is_left_half_blank(unseen_run):
    """The rule of compendium.checks.typesetting (at most 40% blank, except the last
    page, landscape pages and a page whose section ends before a landscape page),
    measured independently of the build's own check from the PDF's layout; and the
    manuscript passes every typesetting check."""
    reports = unseen_run / "reports"
    pdf, markdown = reports / "manuscript.pdf", (reports / "manuscript.md").read_text()
    fills = typesetting.page_fills(pdf, *MARGINS)
    assert len(fills) >= 8
    heads = typesetting.headings(markdown)
    for k, fill in enumerate(fills[:-1]):
        if fill.landscape:
            continue
        after = next((f for f in fills[k + 1 :] if not f.landscape), None)
        ends_section = after is not None and any(after.first_line.startswith(h) for h in heads)
        if fills[k + 1].landscape and ends_section:
            continue
        assert fill.blank <= 0.40, fill
    assert typesetting.check_manuscript(reports / "manuscript.md", pdf, reports / "manuscript.docx") == []


# --------------------------------------------------------------------------- DOCX figures


def _png(path: Path, width_mm: float, height_mm: float, dpi: int = 300) -> Path:
    from PIL import Image

    size = (round(width_mm / 25.4 * dpi), round(height_mm / 25.4 * dpi))
    Image.new("RGB", size, "white").save(path, dpi=(dpi, dpi))
    return path


@pytest.fixture(scope="module")
def docx_figures(tmp_path_factory) -> Path:
    """A DOCX of two figures, one drawn for the full text width (170 mm at 300 dpi) and
    one for a column (84 mm), written by the manuscript's own DOCX writer."""
    folder = tmp_path_factory.mktemp("figures")
    (folder / "figures").mkdir()
    _png(folder / "figures" / "wide.png", 170, 80)
    _png(folder / "figures" / "column.png", 84, 60)
    text = (
        "Text.\n\n![Figure 1. Wide.](figures/wide.png){width=100%}\n\n"
        "![Figure 2. A column.](figures/column.png){width=70%}\n"
    )
    out = folder / "figures.docx"
    manuscript.to_docx(text, out, folder, {})
    return out


def _extents_mm(path: Path) -> list[tuple[float, float]]:
    import re

    with zipfile.ZipFile(path) as zf:
        document = zf.read("word/document.xml").decode("utf-8")
    return [(int(cx) / 36000, int(cy) / 36000) for cx, cy in re.findall(r'<wp:extent cx="(\d+)" cy="(\d+)"', document)]


def test_a_figure_drawn_for_the_full_width_fills_the_docx_text_width(docx_figures):
    """Reference: the page's own geometry (A4, 210 mm, less the margins pgMar states)
    and figure_check.PRINT_WIDTHS['double']; the height keeps the image's proportions."""
    from compendium.reporting import figure_check

    (wide_w, wide_h), (column_w, _) = _extents_mm(docx_figures)
    assert wide_w == pytest.approx(figure_check.PRINT_WIDTHS["double"], abs=0.1)
    assert wide_h == pytest.approx(wide_w * 80 / 170, abs=0.2)
    assert column_w == pytest.approx(84, abs=0.5)  # drawn for a column: left at its size
    assert typesetting.check_docx(docx_figures) == []


def test_a_full_width_figure_set_narrower_fails(docx_figures, tmp_path):
    """pandoc's own width for a full-width figure (148 mm) fails; 1 mm short passes."""
    import re

    def at(mm: float):
        def change(xml: str) -> str:
            emu = str(round(mm * 36000))
            return re.sub(r'(<wp:extent cx=")\d+', rf"\g<1>{emu}", xml, count=1)

        return change

    short = rewrite(docx_figures, tmp_path / "short.docx", at(148.2))
    problems = typesetting.check_docx(short)
    assert len(problems) == 1 and "'Figure 1. Wide.' is 148 mm wide" in problems[0], problems
    nearly = rewrite(docx_figures, tmp_path / "nearly.docx", at(169.0))
    assert typesetting.check_docx(nearly) == []


def test_a_docx_landscape_table_waits_for_the_end_of_its_section(tmp_path):
    """Two wide tables named in one section: the text after them comes first, then both
    on landscape pages (one section each, no empty portrait section between them), then
    the next heading. The caption style keeps its lines together."""
    import re

    text = (
        "# Results\n\nBefore the tables.\n\n"
        + _wide_table(2)
        + "\nBetween the tables.\n\n"
        + _wide_table(3).replace("Table 2. Wide.", "Table 3. Wider.")
        + "\nAfter the tables.\n\n# Discussion\n\nLast words.\n"
    )
    out = tmp_path / "sections.docx"
    manuscript.to_docx(text, out, tmp_path, {})
    with zipfile.ZipFile(out) as zf:
        document = zf.read("word/document.xml").decode("utf-8")
        styles = zf.read("word/styles.xml").decode("utf-8")
    marks = [
        m.group(0)
        for m in re.finditer(
            r"(?<=>)(Before the tables|Between the tables|After the tables|Table 2\. Wide|Table 3\. Wider|Discussion)"
            r"|<w:sectPr>.*?</w:sectPr>",  # text nodes only (a table names its caption in w:tblCaption too)
            document,
            re.S,
        )
    ]
    marks = ["landscape" if "landscape" in m else "portrait" if m.startswith("<w:sectPr") else m for m in marks]
    assert marks == [
        "Before the tables",
        "Between the tables",
        "After the tables",
        "portrait",
        "Table 2. Wide",
        "landscape",
        "Table 3. Wider",
        "landscape",
        "Discussion",
        "portrait",
    ], marks
    assert typesetting.check_docx(out) == []
    caption = styles[styles.index('w:styleId="Caption"') :]
    assert "<w:keepLines/>" in caption[: caption.index("</w:style>")]


def test_a_long_figure_caption_is_flush_left_and_a_short_one_centred(tmp_path):
    """Word boxes of the PDF: the first and the last (short) line of a caption that runs
    onto several lines start at the text area's left edge (the side margin; centred, the
    shorter last line would start inside it); a one-line caption is centred."""
    (tmp_path / "figures").mkdir()
    _png(tmp_path / "figures" / "a.png", 84, 40)
    long_caption = "Figure 1. Long. " + " ".join(["A caption that says what is drawn and how."] * 6) + " Ending."
    markdown = (
        f"Text.\n\n![{long_caption}](figures/a.png){{width=50%}}\n\n"
        "![Figure 2. Short.](figures/a.png){width=50%}\n\nMore text.\n"
    )
    out = tmp_path / "captions.pdf"
    manuscript.to_pdf(markdown, out, tmp_path, {})
    words = typesetting.pdf_words(out)
    left = (manuscript.PDF_PAPER[1] - manuscript.PDF_TEXT_WIDTH_MM) / 2 * 72 / 25.4
    centre = manuscript.PDF_PAPER[1] / 2 * 72 / 25.4

    def line_of(text: str) -> list:
        anchor = next(w for w in words if w.text == text)
        return [w for w in words if w.page == anchor.page and abs(w.y0 - anchor.y0) < 1]

    long_line, last_line, short_line = line_of("Long."), line_of("Ending."), line_of("Short.")
    right = 2 * centre - left
    assert last_line != long_line and max(w.x1 for w in last_line) < right - 20  # a last line short of full
    assert min(w.x0 for w in long_line) == pytest.approx(left, abs=4.0)
    assert min(w.x0 for w in last_line) == pytest.approx(left, abs=4.0)
    assert (min(w.x0 for w in short_line) + max(w.x1 for w in short_line)) / 2 == pytest.approx(centre, abs=2.0)
