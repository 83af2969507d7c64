"""Typesetting checks on the rendered manuscript: what a reader would see as broken.

PDF (word boxes from the text layer, read with pdfminer.six):

- two words whose boxes overlap (text printed over text, as when a word too long for
  its table column runs into the next one);
- a word broken across two lines: a line that ends in a fragment which, joined with
  the first fragment of the line below it in the same column, forms a word of the
  manuscript's tables (with or without a hyphen at the break), unless the break falls
  at the word's own hyphen ("anti-" / "racist").

DOCX (the XML of word/document.xml and word/styles.xml):

- a table without set column widths (``w:tblGrid``/``w:gridCol`` and a ``w:tcW`` on
  every cell);
- a word in a cell wider than its column less the cell margins at the set font size,
  estimated from the advance widths of :func:`compendium.reporting.tables.text_em`.

:func:`check_manuscript` runs them all and returns the problems found, one sentence
each; the render-manuscript stage fails when there is one.
"""

from __future__ import annotations

import re
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


def pdf_words(path: Path) -> list[Word]:
    """The words of a PDF's text layer with their boxes: characters, in the order the
    page draws them, joined while they stay on one baseline, move rightwards and leave
    a gap under an eighth of the font size."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    words: list[Word] = []

    def chars(item):
        if isinstance(item, LTChar):
            yield item
        elif hasattr(item, "__iter__"):
            for child in item:
                yield from chars(child)

    for number, page in enumerate(extract_pages(str(path), laparams=None), start=1):
        # in the order the page draws them: two words printed over each other stay two
        glyphs = [c for c in chars(page) if c.get_text().strip()]
        runs: list[list] = []
        for c in glyphs:
            last = runs[-1][-1] if runs else None
            size = max(c.size, last.size) if last is not None else c.size
            if last is None or abs(c.y0 - last.y0) >= 0.3 * size or c.x0 - last.x1 > 0.12 * size or c.x0 < last.x0:
                runs.append([])
            runs[-1].append(c)
        words += [
            Word(
                number,
                "".join(c.get_text() for c in run),
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
    found = []
    for s in segments:
        end = s[-1]
        size = end.size
        below = [
            t
            for t in segments
            if t[0].page == end.page
            and 0.6 * size < s[0].baseline - t[0].baseline < 2.2 * size
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


def check_pdf(path: Path, markdown: str) -> list[str]:
    """Overlapping words and words broken inside a column, in a PDF rendered from
    ``markdown``."""
    words = pdf_words(path)
    problems = [
        f"{path.name}, page {a.page}: {a.text!r} and {b.text!r} print over each other" for a, b in overlaps(words)
    ]
    problems += [
        f"{path.name}, page {a.page}: a word is broken across two lines of a column "
        f"({a.text.translate(HYPHENS)!r} / {b.text!r})"
        for a, b in broken_words(words, table_words(markdown), text_words(markdown))
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


def check_docx(path: Path) -> list[str]:
    """Tables without set widths, and words wider than their column."""
    from lxml import etree

    with zipfile.ZipFile(path) as zf:
        document = etree.fromstring(zf.read("word/document.xml"))
        styles_xml = zf.read("word/styles.xml") if "word/styles.xml" in zf.namelist() else None
    styles, default = _styles(styles_xml)
    problems = []
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
    """Every typesetting problem of the manuscript rendered from ``markdown``."""
    text = markdown.read_text(encoding="utf-8")
    problems = []
    if pdf is not None:
        problems += check_pdf(pdf, text)
    if docx is not None:
        problems += check_docx(docx)
    return problems
