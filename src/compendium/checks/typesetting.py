"""Typesetting checks on the rendered manuscript: what a reader would see as broken.

PDF (word boxes from the text layer, read with PDFium through pypdfium2):

- two words whose boxes overlap (text printed over text, as when a word too long for
  its table column runs into the next one);
- a word broken across two lines: a line that ends in a fragment which, joined with
  the first fragment of the line below it in the same column, forms a word of the
  manuscript's tables (with or without a hyphen at the break), unless the break falls
  at the word's own hyphen ("anti-" / "racist");
- a page left more than :data:`MOST_BLANK` blank (:func:`page_fills`): the share of the
  text area's height that no text, image or rule covers, counting only gaps taller
  than :data:`GAP_PT` (between paragraphs, above and below a figure, below the last
  line). Exempt are the last page, a page turned to landscape (a wide table's page of
  its own), and the page before a landscape page when the section's text is exhausted
  there, that is when the next portrait page opens with a heading of the manuscript.
  (Page layout from the characters, images and paths PDFium reads; a page marked
  /Rotate is measured as the reader sees it, turned.)

DOCX (the XML of word/document.xml and word/styles.xml):

- a table without set column widths (``w:tblGrid``/``w:gridCol`` and a ``w:tcW`` on
  every cell);
- a word in a cell wider than its column less the cell margins at the set font size,
  estimated from the advance widths of :func:`compendium.reporting.tables.text_em`;
- a figure drawn for the full text width (its image's pixels at its stated resolution
  within 2 mm of the text width of the document's main section) set more than 2 mm
  narrower than that text width.

:func:`check_manuscript` runs them all and returns the problems found, one sentence
each; the render-manuscript stage fails when there is one.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from compendium.reporting.tables import parse_pipe_table, plain_cell, text_em

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*-?", re.UNICODE)


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


# --------------------------------------------------------------------------- source text


def table_words(markdown: str) -> set[str]:
    """The words (lower case) of every pipe table in a Markdown text."""
    words: set[str] = set()
    block: list[str] = []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if len(block) >= 2:
            header, _, rows = parse_pipe_table(block)
            for cell in [*header, *(c for r in rows for c in r)]:
                words |= {w.lower() for w in WORD.findall(plain_cell(cell))}
        block = []
    return words


def text_words(markdown: str) -> set[str]:
    """Every word (lower case) of a Markdown text, hyphenated compounds also split."""
    words = {w.lower() for w in WORD.findall(markdown)}
    return words | {part for w in words for part in w.split("-") if part}


# --------------------------------------------------------------------------- PDF


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x0: float
    x1: float
    y0: float  # glyph box, PDF units (y up)
    y1: float
    size: float

    @property
    def baseline(self) -> float:
        return self.y0


@dataclass(frozen=True)
class Glyph:
    """A character drawn on a page: its text, font size and box (PDF units, y up; the
    box spans the character's advance and the font's ascent and descent)."""

    text: str
    size: float
    x0: float
    x1: float
    y0: float
    y1: float


@dataclass(frozen=True)
class Box:
    """The bounding box of an image or a path (a rule, a line, a filled shape)."""

    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class PdfPage:
    """One page of a PDF as PDFium reads it: its box (turned as the reader sees it when
    the page is marked /Rotate), its characters in the order of its text layer, and its
    images and paths."""

    number: int
    x0: float
    y0: float
    x1: float
    y1: float
    chars: tuple[Glyph, ...]
    graphics: tuple[Box, ...]


# PDFium writes a hyphen that ends a line as U+0002; format characters (word joiners,
# zero-width spaces) are drawn as nothing
_PDFIUM_HYPHEN = "\x02"


def _visible(text: str) -> str:
    if text == _PDFIUM_HYPHEN:
        return "-"
    return "" if unicodedata.category(text[:1] or " ") in {"Cf", "Cc"} else text


def _turned(rotation: int, width: float, height: float):
    """Page space to the page as the reader sees it under /Rotate (clockwise), with the
    origin at the turned page's lower left, as a viewer shows it."""
    if rotation == 90:
        return lambda x, y: (y, width - x)
    if rotation == 180:
        return lambda x, y: (width - x, height - y)
    if rotation == 270:
        return lambda x, y: (height - y, x)
    return lambda x, y: (x, y)


def pdf_pages(path: Path) -> list[PdfPage]:
    """The pages of a PDF, read once with PDFium (pypdfium2): every character with its
    loose box (advance by ascent and descent) and font size, every image and path."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pages = []
    pdf = pdfium.PdfDocument(str(path))
    try:
        for number, page in enumerate(pdf, start=1):
            left, bottom, right, top = page.get_mediabox()
            rotation = page.get_rotation()
            turn = _turned(rotation, right, top)

            def box(x0: float, y0: float, x1: float, y1: float, turn=turn) -> tuple[float, float, float, float]:
                (ax, ay), (bx, by) = turn(x0, y0), turn(x1, y1)
                return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)

            text = page.get_textpage()
            chars = []
            for i in range(text.count_chars()):
                shown = _visible(chr(pdfium_c.FPDFText_GetUnicode(text, i)))
                if not shown.strip():
                    continue
                x0, y0, x1, y1 = box(*text.get_charbox(i, loose=True))
                chars.append(Glyph(shown, pdfium_c.FPDFText_GetFontSize(text, i), x0, x1, y0, y1))
            graphics = [
                Box(*box(*obj.get_bounds()))
                for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_PATH))
            ]
            width, height = right - left, top - bottom
            if rotation in (90, 270):
                width, height = height, width
            pages.append(PdfPage(number, 0.0, 0.0, width, height, tuple(chars), tuple(graphics)))
            text.close()
            page.close()
    finally:
        pdf.close()
    return pages


def pdf_words(path: Path, pages: list[PdfPage] | None = None) -> list[Word]:
    """The words of a PDF's text layer with their boxes: characters, in the order the
    page draws them, joined while they stay on one baseline, move rightwards and leave
    a gap under an eighth of the font size."""
    words: list[Word] = []
    for page in pages if pages is not None else pdf_pages(path):
        # in the order the page draws them: two words printed over each other stay two
        glyphs = page.chars
        runs: list[list] = []
        for c in glyphs:
            last = runs[-1][-1] if runs else None
            size = max(c.size, last.size) if last is not None else c.size
            if last is None or abs(c.y0 - last.y0) >= 0.3 * size or c.x0 - last.x1 > 0.12 * size or c.x0 < last.x0:
                runs.append([])
            runs[-1].append(c)
        words += [
            Word(
                page.number,
                "".join(c.text for c in run),
                min(c.x0 for c in run),
                max(c.x1 for c in run),
                min(c.y0 for c in run),
                max(c.y1 for c in run),
                max(c.size for c in run),
            )
            for run in runs
        ]
    return words


def overlaps(words: list[Word], tolerance: float = 0.4) -> list[tuple[Word, Word]]:
    """Pairs of words on one page whose glyph boxes overlap by more than
    ``tolerance`` points across and by more than a third of the smaller height
    (boxes are shrunk to the x-height band, so that lines set close do not count)."""

    def band(w: Word) -> tuple[float, float]:
        h = w.y1 - w.y0
        return w.y0 + 0.25 * h, w.y1 - 0.25 * h

    found = []
    by_page: dict[int, list[Word]] = {}
    for w in words:
        by_page.setdefault(w.page, []).append(w)
    for page_words in by_page.values():
        page_words.sort(key=lambda w: w.x0)
        for i, a in enumerate(page_words):
            a_low, a_high = band(a)
            for b in page_words[i + 1 :]:
                if b.x0 >= a.x1 - tolerance:
                    break
                b_low, b_high = band(b)
                across = min(a.x1, b.x1) - max(a.x0, b.x0)
                up = min(a_high, b_high) - max(a_low, b_low)
                if across > tolerance and up > min(a_high - a_low, b_high - b_low) / 3:
                    found.append((a, b))
    return found


def _segments(words: list[Word]) -> list[list[Word]]:
    """Runs of words on one baseline without a gap wider than 0.8 em: a line of text,
    or the line of one table cell."""
    lines: dict[tuple[int, float], list[Word]] = {}
    for w in words:
        lines.setdefault((w.page, round(w.baseline * 2) / 2), []).append(w)
    out = []
    for line in lines.values():
        line.sort(key=lambda w: w.x0)
        run = [line[0]]
        for w in line[1:]:
            if w.x0 - run[-1].x1 > 0.8 * w.size:
                out.append(run)
                run = []
            run.append(w)
        out.append(run)
    return out


HYPHENS = str.maketrans({"\u00ad": "-", "\u2010": "-", "\u2011": "-"})


def _clean(text: str) -> str:
    """A word of the text layer in lower case, its hyphen (Typst writes a soft hyphen
    at a break) as '-', without the punctuation around it."""
    match = WORD.search(text.translate(HYPHENS))
    return match.group(0).lower() if match else ""


def broken_words(words: list[Word], table_vocabulary: set[str], vocabulary: set[str]) -> list[tuple[Word, Word]]:
    """Words broken across two lines of one column (see the module's docstring)."""
    segments = _segments(words)
    on_page: dict[int, list[list[Word]]] = {}
    for s in segments:
        on_page.setdefault(s[0].page, []).append(s)
    found = []
    for s in segments:
        end = s[-1]
        size = end.size
        below = [
            t
            for t in on_page[end.page]
            if 0.6 * size < s[0].baseline - t[0].baseline < 2.2 * size
            and (abs(t[0].x0 - s[0].x0) < 1.0 or abs(t[-1].x1 - s[-1].x1) < 1.0)
        ]
        if not below:
            continue
        nxt = max(below, key=lambda t: t[0].baseline)[0]
        raw = end.text.rstrip(".,;:)")
        a, b = _clean(raw), _clean(nxt.text)
        if not a or not b:
            continue
        if a.endswith("-"):
            stem = a[:-1]
            if (stem + b) in table_vocabulary and (stem + "-" + b) not in vocabulary:
                found.append((end, nxt))
        elif (a + b) in table_vocabulary and a not in vocabulary:
            found.append((end, nxt))
    return found


# A page may leave at most this share of its text area blank (see the module's docstring);
# only gaps taller than GAP_PT count, so the leading between lines is not blank.
MOST_BLANK = 0.40
GAP_PT = 24.0


@dataclass(frozen=True)
class PageFill:
    page: int
    landscape: bool
    blank: float  # share of the text area's height left blank
    first_line: str  # the first line of text at the top of the text area


def page_fills(
    path: Path, margin_x_mm: float, margin_y_mm: float, pages: list[PdfPage] | None = None
) -> list[PageFill]:
    """How much of each page's text area (the page less its margins, turned with a
    landscape page) is left blank: the heights of the vertical gaps taller than
    :data:`GAP_PT` between the items on it (characters, images, rules), with the gaps
    above the first and below the last, as a share of the area's height. The first
    line is the words on the baseline of the highest word, left to right."""
    pages = pages if pages is not None else pdf_pages(path)
    words = pdf_words(path, pages)
    mm = 72 / 25.4
    fills = []
    for page in pages:
        landscape = page.x1 - page.x0 > page.y1 - page.y0
        mx, my = (margin_y_mm, margin_x_mm) if landscape else (margin_x_mm, margin_y_mm)
        left, right = page.x0 + mx * mm, page.x1 - mx * mm
        bottom, top = page.y0 + my * mm, page.y1 - my * mm

        def inside(it, left: float = left, right: float = right) -> bool:
            return not (it.x1 <= left or it.x0 >= right)  # line numbers sit in the margin

        spans = []
        drawn: list[Glyph | Box] = [*page.chars, *page.graphics]
        for it in drawn:
            low, high = max(it.y0, bottom), min(it.y1, top)
            if inside(it) and high > low:
                spans.append((low, high))
        spans.sort()
        blank, edge = 0.0, bottom
        for low, high in spans:
            if low - edge > GAP_PT:
                blank += low - edge
            edge = max(edge, high)
        if top - edge > GAP_PT:
            blank += top - edge
        shown = [w for w in words if w.page == page.number and inside(w) and w.y0 < top and w.y1 > bottom]
        first = ""
        if shown:
            highest = max(shown, key=lambda w: (w.y1, -w.x0))
            line = [w for w in shown if abs(w.y0 - highest.y0) < 0.3 * max(w.size, highest.size)]
            first = " ".join(w.text for w in sorted(line, key=lambda w: w.x0))
        fills.append(PageFill(page.number, landscape, blank / (top - bottom), first))
    return fills


def headings(markdown: str) -> list[str]:
    """The manuscript's headings, without their marks and attributes."""
    found = []
    for line in markdown.splitlines():
        m = re.match(r"#{1,6}\s+(.*?)\s*(\{[^}]*\})?\s*$", line)
        if m and m.group(1):
            found.append(m.group(1))
    return found


def half_blank_pages(fills: list[PageFill], markdown: str, most: float = MOST_BLANK) -> list[PageFill]:
    """The pages more than ``most`` blank that no rule of the module's docstring exempts."""
    heads = headings(markdown)

    def opens_section(fill: PageFill) -> bool:
        return any(fill.first_line.startswith(h) for h in heads)

    found = []
    for k, fill in enumerate(fills):
        if fill.blank <= most or fill.landscape or k == len(fills) - 1:
            continue
        after = k + 1
        if fills[after].landscape:
            while after < len(fills) and fills[after].landscape:
                after += 1
            if after == len(fills) or opens_section(fills[after]):
                continue
        found.append(fill)
    return found


def check_pdf(path: Path, markdown: str, margins_mm: tuple[float, float] | None = None) -> list[str]:
    """Overlapping words and words broken inside a column, in a PDF rendered from
    ``markdown``, and, when the page's ``margins_mm`` (side, top and bottom) are given,
    pages left half blank."""
    pages = pdf_pages(path)
    words = pdf_words(path, pages)
    problems = [
        f"{path.name}, page {a.page}: {a.text!r} and {b.text!r} print over each other" for a, b in overlaps(words)
    ]
    problems += [
        f"{path.name}, page {a.page}: a word is broken across two lines of a column "
        f"({a.text.translate(HYPHENS)!r} / {b.text!r})"
        for a, b in broken_words(words, table_words(markdown), text_words(markdown))
    ]
    if margins_mm is not None:
        problems += [
            f"{path.name}, page {f.page}: {f.blank:.0%} of the page is blank (at most {MOST_BLANK:.0%} "
            "before the last page, unless a landscape page follows the end of a section)"
            for f in half_blank_pages(page_fills(path, *margins_mm, pages=pages), markdown)
        ]
    return problems


# --------------------------------------------------------------------------- DOCX


# Faces whose advance widths the serif estimate of tables.text_em fits; any other face
# (a sans serif, or a theme font the file does not name) is taken as 15% wider.
SERIF_FACES = {"times new roman", "liberation serif", "tinos", "cambria", "georgia", "libertinus serif"}
OTHER_FACE = 1.15


def _styles(styles_xml: bytes | None) -> tuple[dict, float]:
    """Paragraph and character styles (id -> (based on, size in points, face)) and the
    document's default size."""
    from lxml import etree

    if not styles_xml:
        return {}, 10.0
    root = etree.fromstring(styles_xml)
    default = root.find(f"{_w('docDefaults')}/{_w('rPrDefault')}/{_w('rPr')}/{_w('sz')}")
    styles = {}
    for style in root.iter(_w("style")):
        based = style.find(_w("basedOn"))
        size = style.find(f"{_w('rPr')}/{_w('sz')}")
        face = style.find(f"{_w('rPr')}/{_w('rFonts')}")
        styles[style.get(_w("styleId"))] = (
            based.get(_w("val")) if based is not None else None,
            int(size.get(_w("val"))) / 2 if size is not None else None,
            face.get(_w("hAnsi")) or face.get(_w("ascii")) if face is not None else None,
        )
    return styles, (int(default.get(_w("val"))) / 2 if default is not None else 10.0)


def _style_value(styles: dict, style: str | None, index: int, default):
    """A property of a style, inherited through ``w:basedOn`` (1: size, 2: face)."""
    seen = set()
    while style and style not in seen:
        seen.add(style)
        entry = styles.get(style, (None, None, None))
        if entry[index] is not None:
            return entry[index]
        style = entry[0]
    return default


def docx_text_width_mm(document) -> float:
    """The text width of a DOCX's last (main) section: page width less side margins."""
    from compendium.reporting.manuscript import DOCX_TEXT_WIDTH

    body = document.find(_w("body"))
    sect = body.find(_w("sectPr")) if body is not None else None
    size = sect.find(_w("pgSz")) if sect is not None else None
    margin = sect.find(_w("pgMar")) if sect is not None else None
    if size is None or margin is None:
        return DOCX_TEXT_WIDTH / 1440 * 25.4
    twips = int(size.get(_w("w"))) - int(margin.get(_w("left"), "0")) - int(margin.get(_w("right"), "0"))
    return twips / 1440 * 25.4


def narrow_figures(document, entries: dict[str, bytes]) -> list[tuple[str, float, float]]:
    """Figures drawn for the full text width (their image's own width within
    :data:`~compendium.reporting.manuscript.FULL_WIDTH_SLACK_MM` of it) but set more
    than that narrower: (description, set width, text width), in mm."""
    from compendium.reporting.manuscript import (
        A_NS,
        EMU_PER_MM,
        FULL_WIDTH_SLACK_MM,
        R_NS,
        WP_NS,
        docx_image_widths,
        drawn_full_width,
    )

    text = docx_text_width_mm(document)
    drawn = docx_image_widths(entries)
    found = []
    for drawing in document.iter(_w("drawing")):
        blip = next(drawing.iter(f"{{{A_NS}}}blip"), None)
        extent = next(drawing.iter(f"{{{WP_NS}}}extent"), None)
        if blip is None or extent is None or not drawn_full_width(drawn.get(blip.get(f"{{{R_NS}}}embed")), text):
            continue
        width = int(extent.get("cx", "0")) / EMU_PER_MM
        if width < text - FULL_WIDTH_SLACK_MM:
            doc_pr = next(drawing.iter(f"{{{WP_NS}}}docPr"), None)
            name = doc_pr.get("descr") if doc_pr is not None else ""
            found.append((name or "a figure", width, text))
    return found


def check_docx(path: Path) -> list[str]:
    """Tables without set widths, words wider than their column, and figures drawn for
    the full text width set narrower than it."""
    from lxml import etree

    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist() if n.startswith("word/")}
    document = etree.fromstring(entries["word/document.xml"])
    styles_xml = entries.get("word/styles.xml")
    styles, default = _styles(styles_xml)
    problems = [
        f"{path.name}: {name[:60]!r} is {width:.0f} mm wide; drawn for the full text width, it should be {text:.0f} mm"
        for name, width, text in narrow_figures(document, entries)
    ]
    for number, table in enumerate(document.iter(_w("tbl")), start=1):
        where = f"{path.name}, table {number}"
        cols = table.findall(f"{_w('tblGrid')}/{_w('gridCol')}")
        if not cols or any(int(c.get(_w("w"), "0") or 0) <= 0 for c in cols):
            problems.append(f"{where}: no column widths set (w:tblGrid/w:gridCol)")
            continue
        margin = 108 * 2
        cell_mar = table.find(f"{_w('tblPr')}/{_w('tblCellMar')}")
        if cell_mar is not None:
            sides = [cell_mar.find(_w(s)) for s in ("left", "right", "start", "end")]
            given = [int(e.get(_w("w"), "0")) for e in sides if e is not None]
            margin = sum(given[:2]) if len(given) >= 2 else margin
        for r, row in enumerate(table.findall(_w("tr")), start=1):
            for c, cell in enumerate(row.findall(_w("tc")), start=1):
                width = cell.find(f"{_w('tcPr')}/{_w('tcW')}")
                if width is None or width.get(_w("type")) != "dxa" or int(width.get(_w("w"), "0") or 0) <= 0:
                    problems.append(f"{where}, row {r}, column {c}: the cell has no width (w:tcW in twips)")
                    continue
                room = (int(width.get(_w("w"))) - margin) / 20  # points
                for p in cell.iter(_w("p")):
                    p_style = p.find(f"{_w('pPr')}/{_w('pStyle')}")
                    name = p_style.get(_w("val")) if p_style is not None else "Normal"
                    p_size = _style_value(styles, name, 1, default)
                    face = _style_value(styles, name, 2, None)
                    text, size, bold = "", p_size, False
                    for run in p.iter(_w("r")):
                        sz = run.find(f"{_w('rPr')}/{_w('sz')}")
                        size = max(size, int(sz.get(_w("val"))) / 2) if sz is not None else size
                        bold = bold or run.find(f"{_w('rPr')}/{_w('b')}") is not None
                        text += "".join(t.text or "" for t in run.iter(_w("t")))
                    for run in p.iter(_w("r")):
                        run_face = run.find(f"{_w('rPr')}/{_w('rFonts')}")
                        if run_face is not None:
                            face = run_face.get(_w("hAnsi")) or run_face.get(_w("ascii")) or face
                    scale = 1.0 if (face or "").lower() in SERIF_FACES else OTHER_FACE
                    for word in re.split(r"[ \t\n]+", text):
                        wide = text_em(word, bold) * size * scale
                        if word and wide > room:
                            problems.append(
                                f"{where}, row {r}, column {c}: {word!r} ({wide:.0f} pt at {size:g} pt in "
                                f"{face or 'the theme font'}) is wider than its column ({room:.0f} pt)"
                            )
    return problems


# --------------------------------------------------------------------------- all


def check_manuscript(markdown: Path, pdf: Path | None = None, docx: Path | None = None) -> list[str]:
    """Every typesetting problem of the manuscript rendered from ``markdown``, the PDF's
    pages measured within the margins the manuscript writer sets."""
    from compendium.reporting import manuscript

    text = markdown.read_text(encoding="utf-8")
    problems = []
    if pdf is not None:
        margins = ((manuscript.PDF_PAPER[1] - manuscript.PDF_TEXT_WIDTH_MM) / 2, manuscript.PDF_MARGIN_Y_MM)
        problems += check_pdf(pdf, text, margins)
    if docx is not None:
        problems += check_docx(docx)
    return problems
