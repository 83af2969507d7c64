"""The typesetting checks (compendium.checks.typesetting) and the table layout they
guard (compendium.reporting.tables: column widths from content).

Each check is shown to pass on a good rendering and to fail on a deliberately broken
one: tiny Typst documents with text printed over text and with a word hyphenated in a
narrow cell; DOCX files written by the manuscript's own DOCX writer, then stripped of
their widths or given a 1 cm column that holds a long word."""

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


def test_docx_tables_use_the_body_font_at_nine_points_and_rows_do_not_split(docx):
    with zipfile.ZipFile(docx) as zf:
        document = zf.read("word/document.xml").decode("utf-8")
        styles = zf.read("word/styles.xml").decode("utf-8")
    assert document.count("<w:cantSplit/>") == 3
    style = styles[styles.index('w:styleId="TableText"') :]
    style = style[: style.index("</w:style>")]
    assert '<w:sz w:val="18"/>' in style and "rFonts" not in style
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
