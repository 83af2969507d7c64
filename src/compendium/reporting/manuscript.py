"""The manuscript: a Jinja2 template of prose whose every number comes from
``reports/results.json``, rendered with pandoc (HTML, DOCX) and Typst (PDF).

Numbers enter the text only through the template functions below (``pct``, ``num``,
``p``, ``chi2``, ...), which read results.json and fail on a missing key. After
rendering, :func:`stray_numbers` lists any number in the text that results.json
cannot account for (years, table and figure numbers and citation numbers aside);
the build fails if there is one.
"""

from __future__ import annotations

import builtins
import math
import os
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from compendium.core import paths
from compendium.core.config import level_label
from compendium.core.environment import EPOCH
from compendium.core.io import markdown_text
from compendium.data import validated
from compendium.qualitative.deidentify import PLACEHOLDER
from compendium.reporting import figure_check, wording

YEAR = re.compile(r"^(19|20)\d\d$")
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?|(?<![\w\d])\.\d+")


STUDY_TEXT = re.compile(r"\[(?:\\.|[^\]\\])*\]\{\.study\}")


def plain_study_text(text: str) -> str:
    """The spans of :func:`study_text` back to plain text (for Markdown read as it is,
    such as the checklists)."""

    def unescape(m: re.Match) -> str:
        return re.sub(r"\\(.)", r"\1", m.group(0)[1 : -len("]{.study}")])

    return STUDY_TEXT.sub(unescape, text)


def study_text(value) -> str:
    """Text quoted from the study's own description (dataset.yaml, CITATION.cff) as a
    pandoc span of class ``study``: it is shown as written, and the number check leaves
    it aside (its numbers are the authors' words, not results)."""
    text = str(value)
    for ch in "\\[]*_`":
        text = text.replace(ch, "\\" + ch)
    return f"[{text}]{{.study}}"


class ManuscriptError(ValueError):
    """The manuscript cannot be built as written; the message says why."""


# --------------------------------------------------------------------------- numbers


def apa_p(p: float | None) -> str:
    """APA style: 'p < .001' or 'p = .034' (no leading zero); a missing p is 'p not
    estimable'."""
    if p is None or wording.missing(p):
        return f"p {wording.NOT_ESTIMABLE}"
    from compendium.reporting.tables import P_FLOOR

    if p < P_FLOOR:
        return "p < " + f"{P_FLOOR}".lstrip("0")
    text = f"{p:.3f}"
    return "p = " + (text[1:] if text.startswith("0") else text)


def missing_word(key: str) -> str:
    """Rule: what a null in results.json is called. Table 1 holds a null only where the
    small-cell rule hid a count (and its percentage and SMD), so there it is
    "suppressed"; anywhere else a null is a statistic that could not be computed, "not
    estimable"."""
    return wording.SUPPRESSED if key.startswith("table1.") else wording.NOT_ESTIMABLE


class Numbers:
    """Template functions over results.json. A key that results.json does not hold
    stops the build (the template cites something the pipeline never wrote); a key it
    holds with a null value is written as "suppressed" or "not estimable"
    (:func:`missing_word`), never passed to a number format."""

    def __init__(self, results: dict) -> None:
        self.results = results

    def has(self, key: str) -> bool:
        """Whether results.json holds ``key`` with a usable (non-null, finite) value."""
        return key in self.results and not wording.missing(self.results[key])

    def v(self, key: str):
        if key not in self.results:
            raise ManuscriptError(f"the manuscript cites {key!r}, which reports/results.json does not hold")
        return self.results[key]

    def _value(self, key: str):
        value = self.v(key)
        return None if wording.missing(value) else float(value)

    def num(self, key: str, decimals: int = 2) -> str:
        x = self._value(key)
        return missing_word(key) if x is None else wording.unsigned_zero(f"{x:.{decimals}f}")

    def apa(self, key: str, decimals: int = 2) -> str:
        """A statistic bounded by 1 (alpha, kappa, r) without its leading zero."""
        x = self._value(key)
        if x is None:
            return missing_word(key)
        text = wording.unsigned_zero(f"{x:.{decimals}f}")
        return text.replace("0.", ".", 1) if text.lstrip("-").startswith("0.") else text

    def int(self, key: str) -> str:
        x = self._value(key)
        return missing_word(key) if x is None else str(int(round(x)))

    def pct(self, key: str, decimals: builtins.int = 0) -> str:
        x = self._value(key)
        return missing_word(key) if x is None else f"{x:.{decimals}f}%"

    def points(self, key: str, decimals: builtins.int = 1) -> str:
        """A proportion difference as percentage points."""
        x = self._value(key)
        return missing_word(key) if x is None else f"{100 * x:.{decimals}f}"

    def p(self, key: str) -> str:
        return apa_p(self.v(key))

    def level(self) -> str:
        return level_label(float(self.v("params.ci_level")))

    def chi2(self, outcome: str) -> str:
        """The test of Table 2 for one outcome, in APA style."""
        base = f"table2.{outcome}"
        if self.v(f"{base}.test") == "fisher":
            return f"Fisher's exact test, {apa_p(self.v(f'{base}.p_value'))}"
        if not (self.has(base + ".statistic") and self.has(base + ".dof")):
            return f"test {wording.NOT_ESTIMABLE}"
        return (
            f"χ2({self.int(base + '.dof')}, N = {self.int(base + '.n_total')}) = "
            f"{self.num(base + '.statistic')}, {apa_p(self.v(base + '.p_value'))}"
        )

    def odds(self, prefix: str, est: str, low: str, high: str) -> str:
        if not all(self.has(f"{prefix}.{k}") for k in (est, low, high)):
            return f"OR {wording.NOT_ESTIMABLE}"
        return (
            f"OR = {self.num(f'{prefix}.{est}')}, {self.level()} CI [{self.num(f'{prefix}.{low}')}, "
            f"{self.num(f'{prefix}.{high}')}]"
        )

    def functions(self) -> dict:
        return {
            name: getattr(self, name)
            for name in ("v", "has", "num", "apa", "int", "pct", "points", "p", "level", "chi2", "odds")
        }


def allowed_numbers(results: dict) -> set[str]:
    """Every way a results.json number may be written in the text."""
    allowed: set[str] = set()
    for value in results.values():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            continue
        for x in (value, abs(value), 100 * value, abs(100 * value)):
            if float(x).is_integer():
                allowed.add(str(int(x)))
            for d in range(0, 5):
                text = f"{x:.{d}f}"
                allowed.add(text)
                if text.startswith("0."):
                    allowed.add(text[1:])
    return allowed


def stray_numbers(text: str, results: dict) -> list[str]:
    """Numbers in ``text`` that results.json does not account for. Years, the numbers
    of tables, figures and references, and anything after the reference list's
    heading are left aside."""
    body = re.split(r"\n#+ References\s*\n", text)[0]
    body = re.sub(r"\A---\n.*?\n---\n", " ", body, flags=re.S)  # front matter: title and byline from dataset.yaml
    body = STUDY_TEXT.sub(" ", body)  # what the study's own description says, quoted
    body = re.sub(
        r"\b(Table|Tables|Figure|Figures|Fig\.|Domain|Item|Items)\s+\d+(?:\s*(?:and|,|–|-)\s*\d+)*", " ", body
    )
    body = re.sub(r"(?m)^\|\s*\d+[a-z]?\s*\|", "|", body)  # a checklist's item numbers (1, 16a)
    body = re.sub(r"\[\d+(?:\s*[,–-]\s*\d+)*\]", " ", body)  # numeric citations
    body = re.sub(r"\[@[^\]]+\]", " ", body)  # citation keys before citeproc
    body = re.sub(r"\]\([^)]*\)", "]", body)  # link and image targets
    body = re.sub(r"\{[^}]*\}", " ", body)  # attributes such as {width=90%}
    body = PLACEHOLDER.sub(" ", body)  # pseudonyms in quotations
    body = re.sub(r"source\s+\S+,\s+unit\s+\d+", " ", body)  # where a quotation comes from
    allowed = allowed_numbers(results)
    return sorted(
        {m.group(0) for m in NUMBER.finditer(body) if not YEAR.match(m.group(0)) and m.group(0) not in allowed}
    )


# --------------------------------------------------------------------------- rendering


def render_template(template: Path, results: dict, context: dict) -> str:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template.parent)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.globals.update(Numbers(results | wording.rule_values()).functions())
    env.globals["w"] = wording
    env.globals["quoted"] = study_text
    env.globals["design_prose"] = design_prose
    env.globals.update(context)
    try:
        return env.get_template(template.name).render()
    except jinja2.UndefinedError as exc:
        raise ManuscriptError(f"{template.name}: {exc}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise ManuscriptError(f"{template.name}, line {exc.lineno}: {exc.message}") from None


def accountable(results: dict, context: dict) -> dict:
    """What the number check accepts: results.json, the wording rules' thresholds and the
    counts that :class:`Prose` derived from results.json while the text was rendered."""
    say = context.get("say")
    return results | wording.rule_values() | (say.derived if isinstance(say, Prose) else {})


# A figure's caption is centred when it fits one line and set flush left when it runs
# onto more; a table's caption, above it, stays on the page of the table's first rows (sticky).
TYPST_HEADER = """#show figure.caption: it => layout(size => {
  if measure(it.body).width > size.width { align(left, it.body) } else { it.body }
})
#show figure.caption.where(kind: table): it => block(sticky: true, it.body)
#show table: set text(size: 7.5pt)
#show quote: set text(size: 9pt)
"""

# The PDF's page: A4 with side margins that leave the text width a figure is drawn for
# (figure_check.PRINT_WIDTHS["double"]), so that a figure set at the full text width
# prints at its design size (7 pt text stays 7 pt). pandoc's Typst template sets the
# page from these variables (its own default is US Letter with 1.25 in margins).
PDF_PAPER = ("a4", 210.0)  # Typst's paper name, its width in mm
PDF_TEXT_WIDTH_MM = figure_check.PRINT_WIDTHS["double"]
PDF_MARGIN_Y_MM = 22.0
PDF_PAPER_HEIGHT_MM = 297.0
PDF_TEXT_HEIGHT_MM = PDF_PAPER_HEIGHT_MM - 2 * PDF_MARGIN_Y_MM


def pdf_page_metadata() -> str:
    """pandoc metadata (YAML) for the Typst template's page: paper and margins, the side
    margins derived from :data:`PDF_TEXT_WIDTH_MM`."""
    side = (PDF_PAPER[1] - PDF_TEXT_WIDTH_MM) / 2
    return f"papersize: {PDF_PAPER[0]}\nmargin:\n  x: {side:g}mm\n  y: {PDF_MARGIN_Y_MM:g}mm\n"


# After pandoc's template has set its own paragraph rules: a manuscript for review has
# its lines numbered in the margin (not inside tables and figures), is set ragged right
# without hyphenation (no word is ever broken, in text or in a table
# cell); figures, and tables with their notes (keep_tables_whole), float to the top or
# bottom of a page, so that no page is left half blank before one that does not fit; a
# table too long to float may run onto the next page.
TYPST_BODY = """#set par.line(numbering: "1")
#show figure: set par.line(numbering: none)
#set table(inset: (x: 4pt, y: 3pt))
#set par(justify: false)
#set text(hyphenate: false)
#show figure.where(kind: table): set block(breakable: true)
#show figure.where(kind: image): set figure(placement: auto)
"""


def merge_columns(header: list[str], align: list[str], rows: list[list[str]], first: str, second: str):
    """The table with column ``second`` written after column ``first`` ('χ²(1) = 26.72'
    under 'Test'), one column less for a page that has no room; unchanged when either
    is missing. A narrow column may break the cell after the '=' ('χ²(1) =' above
    '26.72'), never before it."""
    if first not in header or second not in header:
        return header, align, rows
    i, j = header.index(first), header.index(second)

    def cell(r: list[str]) -> str:  # a line may break after '=', never before it
        return f"{r[i]}\u00a0= {r[j]}" if r[i] and r[j] else r[i] or r[j]

    keep = [k for k in range(len(header)) if k != j]
    rows = [[cell(r) if k == i else r[k] for k in keep] for r in rows]
    return [header[k] for k in keep], [align[k] for k in keep], rows


# A table of at most this many rows is kept on one page in the PDF (it moves to the next
# page whole, and a floating figure no longer splits it); a longer one may break.
KEEP_WHOLE_ROWS = 45


def _raw_typst(code: str) -> list[str]:
    return ["", "```{=typst}", code, "```", ""]


def keep_tables_whole(markdown: str, in_flow: Collection[int] = ()) -> str:
    """The Markdown for the PDF, with raw Typst around its pipe tables, numbered from 0
    in order. Each table of at most :data:`KEEP_WHOLE_ROWS` rows is set whole, with its
    caption and note, as a float (:func:`floating_table`), as figures are: it stands at
    the top or bottom of the page where it is named if there is room, or else of the
    next page, and the text runs on around it, so that no page is left half blank
    before a table that does not fit. A table too wide for the portrait page
    (:func:`compendium.reporting.tables.landscape`) floats turned a quarter to the left
    on a page of its own, as a sidewaystable does in LaTeX; the PDF writer marks that
    page to be shown turned (``/Rotate 90``, :func:`compact_pdf`).

    The tables numbered in ``in_flow`` (those that proved too tall for one page) are
    set where they stand instead and may break across pages; a wide one among them runs
    on landscape pages of its own, which wait for the end of the section (the next
    heading) so that the text after it first fills the portrait page."""
    from compendium.reporting import tables

    lines = markdown.split("\n")
    out: list[str] = []
    pending: list[str] = []  # landscape pages waiting for the end of their section
    number = 0
    i = 0
    while i < len(lines):
        if not lines[i].startswith("|"):
            if pending and lines[i].startswith("#"):
                out += pending + [""]
                pending = []
            out.append(lines[i])
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j].startswith("|"):
            j += 1
        block = lines[i:j]
        if len(block) < 2:
            out += block
            i = j
            continue
        header, align, rows = tables.parse_pipe_table(block)
        wide = turned(header, rows, align)
        if not wide and tables.landscape(header, rows, align):  # set upright after all: portrait widths
            fractions = tables.column_fractions(header, rows, width_em=tables.TABLE_WIDTH_EM, align=align)
            block = tables.pipe_table(header, rows, align, fractions).rstrip("\n").split("\n")
            lines[i:j] = block
        floats = number not in in_flow and (wide or len(rows) <= KEEP_WHOLE_ROWS)
        # the caption (": ...") after one blank line, and an italic note after it
        end = note = j
        if end + 1 < len(lines) and lines[end] == "" and lines[end + 1].startswith(": "):
            end = note = end + 2
            if end + 1 < len(lines) and lines[end] == "" and lines[end + 1].startswith("*"):
                end += 2
        whole = _raw_typst("#show figure.where(kind: table): set block(breakable: false)")
        if floats:
            before, after = floating_table(number, wide)
            # the note in the size of a figure's caption, below the table it explains
            small = _raw_typst(f"#[#set text(size: {TABLE_NOTE_SIZE})") + lines[note:end] + _raw_typst("]")
            out += _raw_typst(before) + whole + lines[i:note] + (small if end > note else []) + _raw_typst(after)
        elif wide:
            pending += _raw_typst("#set page(flipped: true)") + lines[i:end] + _raw_typst("#set page(flipped: false)")
        else:
            out += lines[i:end]
        out += _raw_typst("#show figure.where(kind: table): set block(breakable: true)")
        number += 1
        i = end
    return "\n".join(out + pending)


# A table that tables.landscape would turn is set upright after all when, on the portrait
# page, each of its label columns wraps onto at most this many lines and the table takes
# at most this share of the page's text height: a short table turned leaves most of its
# landscape page blank, which an editor sends back.
UPRIGHT_LABEL_LINES = 3
UPRIGHT_HEIGHT_SHARE = 0.6
WRAP_SLACK = 1.15  # a wrapped cell's lines are this much fuller than its text (words do not split)
TABLE_LINE_PT = 7.5 * 1.25  # one line of a table's text (7.5 pt, TYPST_HEADER) with its leading
TABLE_ROW_PAD_PT = 6.0  # a row's inset above and below (TYPST_BODY: y 3 pt)
PT_PER_MM = 72 / 25.4


def upright_lines(header: list[str], rows: list[list[str]], align: list[str], width_em: float) -> list[int] | None:
    """The estimated number of lines of the header and of each row when the table is set
    in ``width_em`` (ems of its text size) with the column widths of
    :func:`compendium.reporting.tables.column_fractions`; None when its longest words do
    not fit that width, or a label column (left-aligned) would wrap onto more than
    :data:`UPRIGHT_LABEL_LINES` lines."""
    from compendium.reporting import tables

    plain = [[tables.plain_cell(c) for c in r] for r in rows]
    least, _ = tables._least_natural(header, plain, tables.CELL_PAD_EM)
    if sum(least) > width_em:
        return None
    widths = [f * width_em for f in tables.column_fractions(header, rows, width_em=width_em, align=align)]

    def lines(text: str, j: int, bold: bool = False) -> int:
        room = max(widths[j] - tables.CELL_PAD_EM, 0.1)
        return max(1, math.ceil(tables.text_em(text, bold) * WRAP_SLACK / room - 1e-9)) if text else 1

    out = [max(lines(tables.plain_cell(h), j, True) for j, h in enumerate(header))]
    for row, cells in zip(rows, plain):
        counts = [lines(c, j, row[j].startswith("**")) for j, c in enumerate(cells[: len(header)])]
        if any(n > UPRIGHT_LABEL_LINES for n, a in zip(counts, align) if a != "r"):
            return None
        out.append(max(counts, default=1))
    return out


def turned(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> bool:
    """Whether the PDF (and the DOCX, :func:`_wide`) sets a table turned on a landscape
    page: when :func:`compendium.reporting.tables.landscape` says its labels want more
    room than the portrait page gives, unless the table still fits upright with every
    label on at most :data:`UPRIGHT_LABEL_LINES` lines and in at most
    :data:`UPRIGHT_HEIGHT_SHARE` of the page's text height (:func:`upright_lines`): such
    a short table, turned, would leave most of its landscape page blank."""
    from compendium.reporting import tables

    align = list(align or ["l"] + ["r"] * (len(header) - 1))
    if not tables.landscape(header, rows, align):
        return False
    counts = upright_lines(header, rows, align, tables.TABLE_WIDTH_EM)
    if counts is None:
        return True
    height_pt = sum(n * TABLE_LINE_PT + TABLE_ROW_PAD_PT for n in counts)
    return height_pt > UPRIGHT_HEIGHT_SHARE * PDF_TEXT_HEIGHT_MM * PT_PER_MM


TABLE_NOTE_SIZE = "9pt"  # a floating table's note (the body is 11 pt, the table 7.5 pt)

# The label of the metadata each floating table leaves for the PDF writer (typst query):
# its number, the page it landed on, whether it is turned and whether it fits the page.
TABLE_FLOAT_LABEL = "table-float"


def floating_table(number: int, turned: bool) -> tuple[str, str]:
    """The raw Typst before and after a table's Markdown (table, caption, note): a float
    of the text width, or one as tall as the portrait page's text area holding the
    table turned a quarter to the left, laid out at the text area's height as its
    width. The float leaves metadata (:data:`TABLE_FLOAT_LABEL`) that says whether the
    table fits its page."""
    width, height = (PDF_TEXT_HEIGHT_MM, PDF_TEXT_WIDTH_MM) if turned else (PDF_TEXT_WIDTH_MM, PDF_TEXT_HEIGHT_MM)
    box = f"block(width: {width:g}mm, height: {height:g}mm)" if turned else "block(width: 100%)"
    shell = f"rotate(-90deg, reflow: true, {box}" if turned else box
    before = (
        f"#place(auto, float: true, clearance: {0 if turned else 1.5}em, {shell}[\n"
        "#set par.line(numbering: none)\n#set align(left)\n#let table-body = ["
    )
    after = (
        "]\n#table-body\n"
        f"#context [#metadata((number: {number}, page: here().page(), turned: {str(turned).lower()}, "
        f"fits: measure(block(width: {width:g}mm, table-body)).height <= {height:g}mm)) <{TABLE_FLOAT_LABEL}>]\n"
        "]" + (")" if turned else "") + ")"
    )
    return before, after


_BOUND = r"(?:[-\u2212]?(?:\d[\d.]*|\.\d+)|NNT[BH][ \u00a0]\d[\d.]*|∞)"
_ANY_INTERVAL = re.compile(rf"\({_BOUND}(?:[ \u00a0]to[ \u00a0]{_BOUND})+\)")


def keep_intervals(cell: str) -> str:
    """A cell whose intervals a narrow column cannot split: every space inside '(−6.2 to
    49.3)' made non-breaking, whatever sign its bounds carry (the reports print the minus
    sign, U+2212), and an interval that runs through infinity ('(NNTB 2.0 to ∞ to NNTH
    16.2)') broken, if at all, only before its second 'to'. A line may still break
    between an estimate and its interval."""

    def join(m: re.Match) -> str:
        bounds = [b.replace(" ", "\u00a0") for b in re.split(r"[ \u00a0]to[ \u00a0]", m.group(0)[1:-1])]
        if len(bounds) == 3:
            return f"({bounds[0]}\u00a0to\u00a0{bounds[1]} to\u00a0{bounds[2]})"
        return "(" + "\u00a0to\u00a0".join(bounds) + ")"

    return _ANY_INTERVAL.sub(join, cell)


# Columns of a statistic that cannot exceed 1 (p-values, kappa, alpha, positive agreement),
# by their header: printed without the zero before the point, as the text prints them (APA)
BOUNDED_HEADER = re.compile(r"^(?:p|Kappa|Alpha|Positive agreement)\b", re.IGNORECASE)
_LEADING_ZERO = re.compile(r"(?<![\d.])0\.(?=\d)")


def apa_columns(header: list[str], rows: list[list[str]]) -> list[list[str]]:
    """The rows with the zero before the point dropped in the columns of a statistic
    bounded by 1 (:data:`BOUNDED_HEADER`): '<.001', '.82 (.68 to .93)', '−.04'; the
    text prints these statistics so (:meth:`Numbers.apa`, :func:`apa_p`), and a table
    that printed '0.82' beside a text that prints '.82' is sent back by a copy editor."""
    from compendium.reporting import tables

    bounded = {j for j, h in enumerate(header) if BOUNDED_HEADER.match(tables.plain_cell(h))}
    return [[_LEADING_ZERO.sub(".", c) if j in bounded else c for j, c in enumerate(r)] for r in rows]


_ESTIMATE = re.compile(r"^(\S+) (\(.*\))$")


def even_estimates(header: list[str], align: list[str], rows: list[list[str]]) -> list[list[str]]:
    """The rows with every column of estimates and intervals ('.82 (.68 to .93)') kept on
    one line in every cell, all of them or none, when the table still fits upright with it
    (:func:`turned` unchanged, labels on at most :data:`UPRIGHT_LABEL_LINES` lines at the
    narrower of the PDF's and the DOCX's table widths, :func:`upright_lines`); otherwise
    the column is left to wrap before the interval. A column whose short cells fit one
    line while its long ones wrap reads unevenly; this keeps each column one way or the
    other only by the room the page has."""
    from compendium.reporting import tables

    width_em = min(tables.TABLE_WIDTH_EM, DOCX_TEXT_WIDTH / 20 / (DOCX_TABLE_SIZE / 2 * DOCX_FACE_SCALE))
    # judged on the cells as tables.pipe_table will print them (units and intervals kept whole)
    printed = [tables.minus_signs(tables.keep_level(h)) for h in header]

    def fits(candidate: list[list[str]]) -> bool:
        cells = [[tables.minus_signs(tables.keep_together(c)) for c in r] for r in candidate]
        return not turned(printed, cells, align) and upright_lines(printed, cells, align, width_em) is not None

    if len(header) < 2 or any(len(r) != len(header) for r in rows) or not fits(rows):
        return rows
    columns = {j for j, a in enumerate(align) if a == "r" and any(_ESTIMATE.match(r[j]) for r in rows)}
    joined = [[(_ESTIMATE.sub("\\1\u00a0\\2", c) if k in columns else c) for k, c in enumerate(r)] for r in rows]
    return joined if columns and fits(joined) else rows


def embed_table(
    markdown: str, number: int, caption: str, note: str | None = None, merge: tuple[str, str] | None = None
) -> str:
    """A formatted table from reports/tables/ with its heading turned into a caption,
    its columns sized from their content (:func:`tables.column_fractions`) and, when
    ``note`` is given, that note in place of the file's own notes (which speak to the
    reader of the CSV files)."""
    from compendium.reporting import tables

    lines = markdown.strip().split("\n")
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    table = [line for line in lines if line.startswith("|")]
    notes = [line for line in lines if line and not line.startswith("|")]
    if note is not None:
        notes = [note] if note else []
    body = "\n".join(table)
    if len(table) >= 2:
        header, align, rows = tables.parse_pipe_table(table)
        # a row label indented in the file (a category under its variable) keeps an indent
        # and starts with a capital, as the variables' own rows do ('Yes' under 'Previous
        # activism' beside 'Female' under 'Gender')
        for row, line in zip(rows, table[2:]):
            if row and re.match(r"\|\s{3,}\S", line):
                row[0] = "\u2003" + (row[0][:1].upper() + row[0][1:] if row[0][:1].islower() else row[0])
        if merge:
            header, align, rows = merge_columns(header, align, rows, *merge)
        rows = even_estimates(header, align, [[keep_intervals(c) for c in r] for r in apa_columns(header, rows)])
        body = tables.pipe_table(header, rows, align).rstrip("\n")
    return body + f"\n\n: Table {number}. {caption}\n\n" + ("*" + " ".join(notes) + "*\n" if notes else "")


def _pandoc_args(meta: dict, root: Path) -> list[str]:
    args = ["--citeproc", f"--resource-path={root}"]
    for key, value in meta.items():
        args += ["--metadata", f"{key}={value}"]
    return args


def to_html(markdown: str, out: Path, root: Path, meta: dict) -> None:
    import pypandoc

    css = (
        "body{max-width:52em;margin:2em auto;padding:0 1em;font-family:Georgia,serif;line-height:1.5}"
        "table{border-collapse:collapse;font-size:.8em;line-height:1.3;width:100%;table-layout:fixed;margin:1em 0}"
        "th,td{border-bottom:1px solid #ccc;padding:.25em .4em;vertical-align:top;hyphens:manual;"
        "overflow-wrap:normal;word-break:normal}"
        "thead th{border-bottom:1.5px solid #333;font-weight:bold}"
        "img{max-width:100%;height:auto}figcaption,caption{font-size:.9em;color:#333;text-align:left}"
        "caption{caption-side:top;padding-bottom:.3em}"
        "figure a.full{display:block}"
        # a table's note (an italic paragraph right after it) in the size of the table
        ".table-scroll+p:has(>em:only-child){font-size:.85em;line-height:1.4;margin-top:-.4em}"
        "@media (max-width:40rem){table:not(.cards){display:block;overflow-x:auto;table-layout:auto;width:auto}"
        "figure img{width:100%!important;max-width:100%}}"
    )
    shared = (
        paths.project_root() / "manuscript" / "compendium.css"
    )  # the site's stylesheet, then the manuscript's rules
    base = shared.read_text(encoding="utf-8") if shared.is_file() else ""
    header = root / ".manuscript-style.html"
    header.write_text(f"<style>{base}{css}</style>\n", encoding="utf-8")
    try:
        page = pypandoc.convert_text(
            svg_links(markdown, root),
            "html5",
            format="markdown",
            extra_args=_pandoc_args(meta, root)
            + ["--standalone", "--embed-resources", f"--include-in-header={header}"],
        )
    finally:
        header.unlink(missing_ok=True)
    from compendium.core.io import write_text

    write_text(out, finish_html(page))


_FIGURE_PNG = re.compile(r"(!\[[^\]]*\]\((figures/[^)\s]+)\.png\))(\{([^}]*)\})?")


def svg_links(markdown: str, root: Path) -> str:
    """The Markdown for the HTML: every figure whose SVG sits beside its PNG under
    ``root`` carries that SVG's path (``data-svg``), which :func:`finish_html` turns into
    a link, so that a reader on a small screen can open the figure at full size."""

    def one(m: re.Match) -> str:
        svg = f"{m.group(2)}.svg"
        if not (root / svg).is_file():
            return m.group(0)
        attrs = (m.group(4) or "").strip()
        return f'{m.group(1)}{{{attrs} data-svg="{svg}"}}'.replace("{ ", "{")

    return _FIGURE_PNG.sub(one, markdown)


def finish_html(page: str) -> str:
    """pandoc's HTML with the site's phone layout for tables (one card per row, each
    value under its column's name: :func:`compendium.reporting.tables.cardify`) and each
    figure linked to its SVG."""
    from compendium.reporting.tables import cardify

    page = re.sub(
        r'<img\b[^>]*?\sdata-svg="([^"]+)"[^>]*>',
        lambda m: f'<a class="full" href="{m.group(1)}" title="The figure at full size (SVG)">{m.group(0)}</a>',
        page,
    )
    return cardify(page)


def to_docx(markdown: str, out: Path, root: Path, meta: dict) -> None:
    import pypandoc

    pypandoc.convert_text(markdown, "docx", format="markdown", outputfile=str(out), extra_args=_pandoc_args(meta, root))
    finish_docx(out)


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# The DOCX's page is the PDF's: A4 (210 x 297 mm) with the side margins that leave the
# figures' text width (PDF_TEXT_WIDTH_MM), in twips (1/20 pt, 1440 per inch).
DOCX_PAGE = (11906, 16838)
DOCX_MARGIN_X = round((PDF_PAPER[1] - PDF_TEXT_WIDTH_MM) / 2 / 25.4 * 1440)
DOCX_MARGIN_Y = round(PDF_MARGIN_Y_MM / 25.4 * 1440)
DOCX_TEXT_WIDTH = DOCX_PAGE[0] - 2 * DOCX_MARGIN_X  # 170 mm
DOCX_LANDSCAPE_WIDTH = DOCX_PAGE[1] - 2 * DOCX_MARGIN_X  # the page turned
# Tables are set as the PDF sets them: in a serif face (Times New Roman, which a word
# processor without it replaces by the metric-compatible Liberation Serif) at the PDF's
# 7.5 pt, so that a table the PDF sets upright fits the DOCX's portrait page too and no
# short table is left on a landscape page of its own. A column's least width takes words
# this much wider than the serif widths of tables.text_em (the typesetting check takes 1.0
# for a serif face).
DOCX_TABLE_FACE = "Times New Roman"
DOCX_FACE_SCALE = 1.05
DOCX_TABLE_SIZE = 15  # half-points: table text at 7.5 pt, as in the PDF (TYPST_HEADER)
DOCX_CELL_MARGIN = 57  # twips, left and right of each cell (0.04 in)
TABLE_STYLE = (
    f'<w:style xmlns:w="{W_NS}" w:type="paragraph" w:customStyle="1" w:styleId="TableText">'
    '<w:name w:val="Table Text"/><w:basedOn w:val="Compact"/><w:qFormat/>'
    '<w:pPr><w:spacing w:before="20" w:after="20"/></w:pPr>'
    f'<w:rPr><w:rFonts w:ascii="{DOCX_TABLE_FACE}" w:hAnsi="{DOCX_TABLE_FACE}" w:cs="{DOCX_TABLE_FACE}"/>'
    f'<w:sz w:val="{DOCX_TABLE_SIZE}"/><w:szCs w:val="{DOCX_TABLE_SIZE}"/></w:rPr></w:style>'
)


# A table's note (the italic paragraph right after it) in the size of the PDF's notes
NOTE_SIZE = 18  # half-points: 9 pt (TABLE_NOTE_SIZE)
NOTE_STYLE = (
    f'<w:style xmlns:w="{W_NS}" w:type="paragraph" w:customStyle="1" w:styleId="TableNote">'
    '<w:name w:val="Table Note"/><w:basedOn w:val="BodyText"/><w:qFormat/>'
    '<w:pPr><w:spacing w:before="60" w:after="200"/></w:pPr>'
    f'<w:rPr><w:sz w:val="{NOTE_SIZE}"/><w:szCs w:val="{NOTE_SIZE}"/></w:rPr></w:style>'
)


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


def finish_docx(path: Path) -> None:
    """What pandoc's DOCX writer leaves out, added to the file it wrote:

    - page size and margins stated (the PDF's A4 page and 170 mm text width), so that the column widths below
      are widths of a known page, and line numbers (``w:lnNumType``) for reviewers;
    - every table: its grid scaled to the text width, a width (``w:tcW``, twips) on every
      cell, a fixed layout, rows that do not split across pages (``w:cantSplit``), and
      its text in the PDF's 7.5 pt serif paragraph style ("Table Text") so that the
      columns sized from their content (:func:`tables.column_fractions`, at the portrait
      page's widths for a table the PDF sets upright) hold their longest words;
    - every page numbered at its foot, and the title and headings in black;
    - every figure drawn for the full text width (:func:`docx_image_widths`) set at the
      text width, its height in proportion (pandoc sets it at its own page's width), and
      captions kept whole on one page;
    - a table too wide for the portrait page on landscape pages of its own, at the end
      of its section (:func:`_landscape_section`).

    The zip entries keep their order and time stamps, so the bytes stay reproducible."""
    import zipfile

    from lxml import etree

    with zipfile.ZipFile(path) as zf:
        entries = [(info, zf.read(info.filename)) for info in zf.infolist()]
    drawn = docx_image_widths(dict((info.filename, data) for info, data in entries))
    names = {info.filename for info, _ in entries}
    out = []
    for info, data in entries:
        if info.filename == "word/document.xml":
            data = _finish_document(etree.fromstring(data), drawn)
        elif info.filename == "word/styles.xml":
            root = etree.fromstring(data)
            for sid, style in (("TableText", TABLE_STYLE), ("TableNote", NOTE_STYLE)):
                if root.find(f"{_w('style')}[@{_w('styleId')}='{sid}']") is None:
                    root.append(etree.fromstring(style))
            _captions_hold_together(root)
            _plain_headings(root)
            data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        elif info.filename == "[Content_Types].xml" and FOOTER_PART not in names:
            data = _with_footer_type(data)
        elif info.filename == "word/_rels/document.xml.rels" and FOOTER_PART not in names:
            data = _with_footer_relation(data)
        out.append((info, data))
        if info.filename == "word/document.xml" and FOOTER_PART not in names:
            footer = zipfile.ZipInfo(FOOTER_PART, date_time=info.date_time)
            footer.compress_type = info.compress_type
            out.append((footer, FOOTER_XML.encode("utf-8")))
    with zipfile.ZipFile(path, "w") as zf:
        for info, data in out:
            zf.writestr(info, data, compress_type=info.compress_type)


# Every page of the DOCX numbered at the foot, centred, as the PDF's pages are (a PAGE
# field in a footer part that every section, the landscape ones too, refers to).
FOOTER_PART = "word/footer1.xml"
FOOTER_REL_ID = "rIdPageNumberFooter"
FOOTER_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<w:ftr xmlns:w="{W_NS}"><w:p>'
    '<w:pPr><w:pStyle w:val="Footer"/><w:suppressLineNumbers/><w:jc w:val="center"/></w:pPr>'
    '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
    '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
    '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:ftr>'
)
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"


def _with_footer_type(data: bytes) -> bytes:
    from lxml import etree

    root = etree.fromstring(data)
    etree.SubElement(
        root,
        f"{{{CT_NS}}}Override",
        {
            "PartName": "/" + FOOTER_PART,
            "ContentType": "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml",
        },
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _with_footer_relation(data: bytes) -> bytes:
    from lxml import etree

    root = etree.fromstring(data)
    etree.SubElement(
        root,
        f"{{{PKG_REL_NS}}}Relationship",
        {"Id": FOOTER_REL_ID, "Type": f"{R_NS}/footer", "Target": FOOTER_PART.removeprefix("word/")},
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# the heading styles of pandoc's reference document print in the theme's blue and its title
# at 28 pt; a manuscript for review sets them in black, the title at 16 pt
TITLE_SIZE = 32  # half-points


def _plain_headings(styles) -> None:
    """The title, subtitle and heading styles without a colour of their own (black, as the
    PDF prints them), the title at :data:`TITLE_SIZE`."""
    from lxml import etree

    for style in styles.findall(_w("style")):
        sid = style.get(_w("styleId")) or ""
        if not (sid in ("Title", "Subtitle") or re.fullmatch(r"Heading\d", sid)):
            continue
        r_pr = style.find(_w("rPr"))
        if r_pr is None:
            continue
        for color in r_pr.findall(_w("color")):
            r_pr.remove(color)
        if sid == "Title":
            for tag in ("sz", "szCs"):
                for old in r_pr.findall(_w(tag)):
                    r_pr.remove(old)
                r_pr.append(etree.Element(_w(tag), {_w("val"): str(TITLE_SIZE)}))


def _captions_hold_together(styles) -> None:
    """The caption style (figure and table captions are based on it) keeps its lines on
    one page (``w:keepLines``): a long figure caption no longer breaks across pages."""
    from lxml import etree

    caption = styles.find(f"{_w('style')}[@{_w('styleId')}='Caption']")
    if caption is None:
        return
    p_pr = caption.find(_w("pPr"))
    if p_pr is None:
        p_pr = etree.Element(_w("pPr"))
        name_or_based = [caption.find(_w(t)) for t in ("name", "basedOn", "next", "link", "qFormat")]
        anchor = [e for e in name_or_based if e is not None]
        (anchor[-1].addnext if anchor else caption.append)(p_pr)
    if p_pr.find(_w("keepLines")) is None:
        keep_next = p_pr.find(_w("keepNext"))
        p_pr.insert(list(p_pr).index(keep_next) + 1 if keep_next is not None else 0, etree.Element(_w("keepLines")))


EMU_PER_MM = 36000
EMU_PER_TWIP = 635
# a figure whose image is at most this much narrower than the text width was drawn for it
FULL_WIDTH_SLACK_MM = 2.0
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"


def png_width_mm(data: bytes) -> float | None:
    """The width an image was drawn for: its pixels at the resolution it states (the
    PNG's pHYs, as figures.save writes it), in mm; None when it states none."""
    import io as _io

    from PIL import Image

    try:
        with Image.open(_io.BytesIO(data)) as image:
            dpi = image.info.get("dpi")
            return image.size[0] / float(dpi[0]) * 25.4 if dpi and dpi[0] else None
    except OSError:
        return None


def docx_image_widths(entries: dict[str, bytes]) -> dict[str, float]:
    """The drawn width (mm, :func:`png_width_mm`) of each image of a DOCX, by the
    relationship id the document's drawings name it by (``r:embed``)."""
    from lxml import etree

    rels = entries.get("word/_rels/document.xml.rels")
    if not rels:
        return {}
    widths = {}
    for rel in etree.fromstring(rels):
        target = rel.get("Target", "")
        data = entries.get("word/" + target.lstrip("/"))
        if rel.get("Type", "").endswith("/image") and data:
            width = png_width_mm(data)
            if width is not None:
                widths[rel.get("Id")] = width
    return widths


def drawn_full_width(width_mm: float | None, text_width_mm: float) -> bool:
    """Whether an image drawn ``width_mm`` wide was drawn for the full text width."""
    return width_mm is not None and width_mm >= text_width_mm - FULL_WIDTH_SLACK_MM


def _full_width_figures(root, drawn: dict[str, float]) -> None:
    """Each drawing whose image was drawn for the full text width, set at the text width
    (``wp:extent`` and the picture's ``a:ext``, the height in proportion)."""
    text_mm = DOCX_TEXT_WIDTH / 1440 * 25.4
    width = DOCX_TEXT_WIDTH * EMU_PER_TWIP
    for drawing in root.iter(_w("drawing")):
        blip = next(drawing.iter(f"{{{A_NS}}}blip"), None)
        extent = next(drawing.iter(f"{{{WP_NS}}}extent"), None)
        if blip is None or extent is None or not drawn_full_width(drawn.get(blip.get(f"{{{R_NS}}}embed")), text_mm):
            continue
        cx, cy = int(extent.get("cx")), int(extent.get("cy"))
        height = round(cy * width / cx) if cx else cy
        for ext in [extent, *drawing.iter(f"{{{A_NS}}}ext")]:
            if ext.get("cx") is not None:
                ext.set("cx", str(width))
                ext.set("cy", str(height))


def _finish_document(root, drawn: dict[str, float] | None = None) -> bytes:
    from lxml import etree

    _full_width_figures(root, drawn or {})

    body = root.find(_w("body"))
    sect = body.find(_w("sectPr"))
    if sect is None:
        sect = etree.SubElement(body, _w("sectPr"))
    for tag in ("pgSz", "pgMar", "lnNumType", "footerReference"):
        for old in sect.findall(_w(tag)):
            sect.remove(old)
    # the page number's footer first (headerReference and footerReference lead a sectPr)
    sect.insert(0, etree.Element(_w("footerReference"), {_w("type"): "default", f"{{{R_NS}}}id": FOOTER_REL_ID}))
    after = [sect.find(_w(t)) for t in ("footnotePr", "endnotePr", "type")]
    index = max([list(sect).index(e) + 1 for e in after if e is not None], default=0)
    size = etree.Element(_w("pgSz"), {_w("w"): str(DOCX_PAGE[0]), _w("h"): str(DOCX_PAGE[1])})
    margin = etree.Element(
        _w("pgMar"),
        {
            _w(k): v
            for k, v in (
                ("top", str(DOCX_MARGIN_Y)),
                ("right", str(DOCX_MARGIN_X)),
                ("bottom", str(DOCX_MARGIN_Y)),
                ("left", str(DOCX_MARGIN_X)),
                ("header", "720"),
                ("footer", "720"),
                ("gutter", "0"),
            )
        },
    )
    numbers = etree.Element(_w("lnNumType"), {_w("countBy"): "1", _w("restart"): "continuous", _w("distance"): "360"})
    for offset, element in enumerate((size, margin, numbers)):
        sect.insert(index + offset, element)
    for table in list(root.iter(_w("tbl"))):
        _note_style(table)
        wide = table.getparent() is body and (_wide(table) or sum(_least_twips(table)) > DOCX_TEXT_WIDTH)
        _finish_table(table, DOCX_LANDSCAPE_WIDTH if wide else DOCX_TEXT_WIDTH)
        if wide:
            _landscape_section(body, table, sect)
    for marked in body.findall(f"{_w('p')}[@{LANDSCAPE_END}]"):
        del marked.attrib[LANDSCAPE_END]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _table_note(table):
    """The paragraph right after a table when every run of it that holds text is italic
    (the table's note), else None."""
    after = table.getnext()
    if after is None or after.tag != _w("p"):
        return None
    runs = [r for r in after.findall(_w("r")) if r.find(_w("t")) is not None]
    return after if runs and all(r.find(f"{_w('rPr')}/{_w('i')}") is not None for r in runs) else None


def _note_style(table) -> None:
    """A table's note set in the "Table Note" style (9 pt, as the PDF's notes)."""
    from lxml import etree

    note = _table_note(table)
    if note is None:
        return
    p_pr = note.find(_w("pPr"))
    if p_pr is None:
        p_pr = etree.Element(_w("pPr"))
        note.insert(0, p_pr)
    style = p_pr.find(_w("pStyle"))
    if style is None:
        style = etree.Element(_w("pStyle"))
        p_pr.insert(0, style)
    style.set(_w("val"), "TableNote")


def _table_text(table) -> tuple[list[str], list[str], list[list[str]]] | None:
    """A DOCX table's header, alignments ('l', 'r') and rows as text; None when its rows
    do not line up with its header."""
    rows, align = [], []
    for r, row in enumerate(table.findall(_w("tr"))):
        cells = row.findall(_w("tc"))
        rows.append(["".join(t.text or "" for t in c.iter(_w("t"))) for c in cells])
        if r == 1:
            align = ["r" if any(j.get(_w("val")) in ("right", "end") for j in c.iter(_w("jc"))) else "l" for c in cells]
    if len(rows) < 2 or len(align) != len(rows[0]):
        return None
    return rows[0], align, rows[1:]


def _wide(table) -> bool:
    """Whether the PDF sets this table on a landscape page (:func:`turned`, on the
    table's text and alignment)."""
    text = _table_text(table)
    return text is not None and turned(text[0], text[2], text[1])


def _upright_shares(table) -> list[float] | None:
    """The column shares the PDF gives a table that :func:`compendium.reporting.tables.landscape`
    would turn but :func:`turned` sets upright (the portrait page's widths; pandoc wrote
    the landscape page's); None for any other table."""
    from compendium.reporting import tables

    text = _table_text(table)
    if text is None or not tables.landscape(text[0], text[2], text[1]) or turned(text[0], text[2], text[1]):
        return None
    return tables.column_fractions(text[0], text[2], width_em=tables.TABLE_WIDTH_EM, align=text[1])


def _least_twips(table) -> list[int]:
    """Each grid column's least width in twips: its longest word at the table text's
    size (:data:`DOCX_TABLE_SIZE`), estimated as the typesetting check estimates it,
    with the cell margins."""
    from compendium.reporting import tables

    size = DOCX_TABLE_SIZE / 2
    n = len(table.findall(f"{_w('tblGrid')}/{_w('gridCol')}"))
    least = [0] * n
    for row in table.findall(_w("tr")):
        column = 0
        for cell in row.findall(_w("tc")):
            span = cell.find(f"{_w('tcPr')}/{_w('gridSpan')}")
            k = int(span.get(_w("val"), "1")) if span is not None else 1
            if k == 1 and column < n:
                for p in cell.iter(_w("p")):
                    bold = any(r.find(f"{_w('rPr')}/{_w('b')}") is not None for r in p.iter(_w("r")))
                    text = "".join(t.text or "" for t in p.iter(_w("t")))
                    for word in re.split(r"[ \t\n]+", text):
                        wide = (
                            math.ceil(tables.text_em(word, bold) * size * DOCX_FACE_SCALE * 20) + 2 * DOCX_CELL_MARGIN
                        )
                        least[column] = max(least[column], wide + 10)
            column += k
    return least


def _column_widths(raw: list[int], least: list[int], text_width: int) -> list[int]:
    """Column widths in twips that add up to ``text_width``: the shares pandoc wrote
    (``raw``, from :func:`compendium.reporting.tables.column_fractions`), with every
    column raised to its least width (its longest word) and the width that takes
    from the others in proportion to what they have above their own least width."""
    want = [text_width * x / sum(raw) for x in raw]
    if sum(least) >= text_width:
        return [round(text_width * x / sum(least)) for x in least]
    widths = [max(w, m) for w, m in zip(want, least)]
    over = sum(widths) - text_width
    excess = [w - m for w, m in zip(widths, least)]
    if over > 0 and sum(excess) > 0:
        widths = [w - over * e / sum(excess) for w, e in zip(widths, excess)]
    return [round(w) for w in widths]


# marks, while the document is finished, the paragraph that ends a landscape section
LANDSCAPE_END = "landscape-end"


def _landscape_section(body, table, sect) -> None:
    """The table, with its caption before it and its note (an italic paragraph) after
    it, in a section of its own on landscape pages: a paragraph that ends the portrait
    section before the caption, and one that ends the landscape section after the note.

    The landscape section waits for the end of the table's section (the next heading,
    or the end of the document), as the PDF's landscape pages do, so that the text after
    the table first fills the portrait page instead of leaving it half blank; landscape
    tables that wait for the same heading follow one another without a portrait page
    between them."""
    import copy

    from lxml import etree

    def style(p) -> str | None:
        found = p.find(f"{_w('pPr')}/{_w('pStyle')}")
        return found.get(_w("val")) if found is not None else None

    first = table
    before = table.getprevious()
    if before is not None and before.tag == _w("p") and style(before) == "TableCaption":
        first = before
    last = table
    after = table.getnext()
    if after is not None and after.tag == _w("p"):
        runs = after.findall(_w("r"))
        if runs and all(r.find(f"{_w('rPr')}/{_w('i')}") is not None for r in runs if r.find(_w("t")) is not None):
            last = after

    def breaker(landscape: bool):
        p = etree.Element(_w("p"))
        p_pr = etree.SubElement(p, _w("pPr"))
        section = copy.deepcopy(sect)
        if landscape:
            size = section.find(_w("pgSz"))
            size.attrib.clear()
            size.set(_w("w"), str(DOCX_PAGE[1]))
            size.set(_w("h"), str(DOCX_PAGE[0]))
            size.set(_w("orient"), "landscape")
        p_pr.append(section)
        return p

    block = [first]
    while block[-1] is not last:
        block.append(block[-1].getnext())
    # where the block goes: before the next heading, after any landscape tables already there
    anchor = last.getnext()
    while anchor is not None and not (anchor.tag == _w("p") and (style(anchor) or "").startswith("Heading")):
        if anchor.tag == _w("sectPr"):
            break
        anchor = anchor.getnext()
    waiting = anchor.getprevious() if anchor is not None else None
    joined = waiting is not None and waiting.get(LANDSCAPE_END) == "1" and waiting not in block
    for element in block:
        if anchor is not None:
            anchor.addprevious(element)
        else:
            body.append(element)
    if not joined:
        first.addprevious(breaker(False))
    end = breaker(True)
    end.set(LANDSCAPE_END, "1")
    last.addnext(end)


def _finish_table(table, text_width: int = DOCX_TEXT_WIDTH) -> None:
    from lxml import etree

    props = table.find(_w("tblPr"))
    grid = table.find(_w("tblGrid"))
    if props is None or grid is None:
        return
    cols = grid.findall(_w("gridCol"))
    raw = [int(c.get(_w("w"), "0") or 0) for c in cols]
    upright = _upright_shares(table) if text_width == DOCX_TEXT_WIDTH else None
    if upright is not None and len(upright) == len(cols):
        raw = [max(1, round(10_000 * f)) for f in upright]
    if not raw or sum(raw) == 0:
        raw = [1] * len(cols)
    widths = _column_widths(raw, _least_twips(table), text_width)
    for col, width in zip(cols, widths):
        col.set(_w("w"), str(width))
    for tag, attrs in (("tblW", {"type": "dxa", "w": str(sum(widths))}), ("tblLayout", {"type": "fixed"})):
        element = props.find(_w(tag))
        if element is None:
            element = etree.SubElement(props, _w(tag))
        element.attrib.clear()
        for k, v in attrs.items():
            element.set(_w(k), v)
    order = [
        "tblStyle",
        "tblpPr",
        "tblOverlap",
        "bidiVisual",
        "tblStyleRowBandSize",
        "tblStyleColBandSize",
        "tblW",
        "jc",
        "tblCellSpacing",
        "tblInd",
        "tblBorders",
        "shd",
        "tblLayout",
        "tblCellMar",
        "tblLook",
        "tblCaption",
        "tblDescription",
    ]
    margins = props.find(_w("tblCellMar"))
    if margins is None:
        margins = etree.SubElement(props, _w("tblCellMar"))
    for side in ("left", "right"):
        for old in margins.findall(_w(side)):
            margins.remove(old)
        margins.append(etree.Element(_w(side), {_w("w"): str(DOCX_CELL_MARGIN), _w("type"): "dxa"}))
    props[:] = sorted(
        props, key=lambda e: order.index(etree.QName(e).localname) if etree.QName(e).localname in order else 99
    )
    for row in table.findall(_w("tr")):
        tr_pr = row.find(_w("trPr"))
        if tr_pr is None:
            tr_pr = etree.Element(_w("trPr"))
            first = row.find(_w("tblPrEx"))
            row.insert(1 if first is not None else 0, tr_pr)
        if tr_pr.find(_w("cantSplit")) is None:
            tr_pr.insert(0, etree.Element(_w("cantSplit")))
        column = 0
        for cell in row.findall(_w("tc")):
            tc_pr = cell.find(_w("tcPr"))
            if tc_pr is None:
                tc_pr = etree.Element(_w("tcPr"))
                cell.insert(0, tc_pr)
            span = tc_pr.find(_w("gridSpan"))
            n = int(span.get(_w("val"), "1")) if span is not None else 1
            width = sum(widths[column : column + n])
            column += n
            for old in tc_pr.findall(_w("tcW")):
                tc_pr.remove(old)
            tc_pr.insert(0, etree.Element(_w("tcW"), {_w("w"): str(width), _w("type"): "dxa"}))
            for p_style in cell.iter(_w("pStyle")):
                if p_style.get(_w("val")) in ("Compact", "BodyText", "FirstParagraph"):
                    p_style.set(_w("val"), "TableText")


def to_pdf(markdown: str, out: Path, root: Path, meta: dict) -> None:
    """The PDF through pandoc's Typst writer and Typst. Tables are first set as floats
    (:func:`keep_tables_whole`); those too tall for their page are set again in the
    flow of the text, and the pages of the turned tables are marked to be shown turned."""
    header = root / ".manuscript-header.typ"
    header.write_text(TYPST_HEADER, encoding="utf-8")
    before = root / ".manuscript-body.typ"
    before.write_text(TYPST_BODY, encoding="utf-8")
    page = root / ".manuscript-page.yaml"
    page.write_text(pdf_page_metadata(), encoding="utf-8")
    try:
        pdf, placed = _typeset(markdown, root, meta, header, before, page, ())
        too_tall = {t["number"] for t in placed if not t["fits"]}
        if too_tall:
            pdf, placed = _typeset(markdown, root, meta, header, before, page, too_tall)
    finally:
        header.unlink(missing_ok=True)
        before.unlink(missing_ok=True)
        page.unlink(missing_ok=True)
    from compendium.core.io import write_bytes

    write_bytes(out, compact_pdf(pdf, sorted({t["page"] for t in placed if t["turned"]})))


WRITERS = {"html": to_html, "docx": to_docx, "pdf": to_pdf}  # the formats build writes besides the Markdown


def _typeset(
    markdown: str, root: Path, meta: dict, header: Path, before: Path, page: Path, in_flow: Collection[int]
) -> tuple[bytes, list[dict]]:
    """The PDF's bytes and the floating tables' metadata (see :func:`floating_table`)."""
    import datetime as dt
    import json

    import pypandoc
    import typst

    source = pypandoc.convert_text(
        keep_tables_whole(markdown, in_flow),
        "typst",
        format="markdown",
        extra_args=_pandoc_args(meta, root)
        + ["--standalone", f"--include-in-header={header}", f"--include-before-body={before}"]
        + [f"--metadata-file={page}"],
    )
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or EPOCH)
    typ = root / ".manuscript.typ"
    typ.write_text(source, encoding="utf-8")
    try:
        pdf = typst.compile(
            str(typ),
            root=str(root),
            ignore_system_fonts=True,
            timestamp=dt.datetime.fromtimestamp(epoch, dt.UTC),
        )
        placed = json.loads(
            typst.query(str(typ), f"<{TABLE_FLOAT_LABEL}>", field="value", root=str(root), ignore_system_fonts=True)
        )
    finally:
        typ.unlink(missing_ok=True)
    return pdf, placed


def compact_pdf(data: bytes, rotate: Sequence[int] = ()) -> bytes:
    """The PDF with its objects in compressed object streams (qpdf through pikepdf),
    written with a deterministic file id: smaller, and the tagged structure tree's runs of
    marked-content numbers no longer sit in the file as plain text, where a byte-level
    search for phone numbers mistakes them for one. The pages ``rotate`` (1-based),
    which carry a table turned a quarter to the left, are shown turned a quarter to
    the right (``/Rotate 90``), so that a reader sees the table upright."""
    import io as _io

    import pikepdf

    with pikepdf.open(_io.BytesIO(data)) as pdf:
        for number in rotate:
            pdf.pages[number - 1].obj.Rotate = 90
        out = _io.BytesIO()
        pdf.save(
            out, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True, deterministic_id=True
        )
    return out.getvalue()


def build(template: Path, results: dict, context: dict, meta: dict, folder: Path | None = None) -> dict[str, Path]:
    """Render the template, check its numbers, and write .md, .html, .docx and .pdf.

    pandoc runs from the template's folder, so that the bibliography and the CSL
    style are found by the relative names in the front matter: an absolute path given
    as metadata would be copied into the DOCX properties."""
    import contextlib
    from concurrent.futures import ThreadPoolExecutor

    from compendium.core.io import write_text

    folder = folder or paths.reports_dir()
    text = render_template(template, results, context)
    stray = stray_numbers(text, accountable(results, context))
    if stray:
        raise ManuscriptError(
            "the manuscript contains numbers that reports/results.json does not hold: " + ", ".join(stray)
        )
    out = {
        "md": folder / "manuscript.md",
        "html": folder / "manuscript.html",
        "docx": folder / "manuscript.docx",
        "pdf": folder / "manuscript.pdf",
    }
    write_text(out["md"], text)
    folder = folder.resolve()
    # the three writers share nothing but the text: each waits mostly on its own pandoc
    # (and Typst) process, so they run side by side; an error in any is raised here
    with contextlib.chdir(template.parent), ThreadPoolExecutor(max_workers=3) as pool:
        jobs = [pool.submit(write, text, out[kind], folder, meta) for kind, write in WRITERS.items()]
        for job in jobs:
            job.result()
    return out


def read_citation(root: Path | None = None) -> dict:
    """CITATION.cff of the compendium ({} when absent or unreadable)."""
    import yaml

    path = (root or paths.project_root()) / "CITATION.cff"
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}


def _person(entry: dict) -> str:
    if entry.get("name"):
        return str(entry["name"])
    return " ".join(str(entry[k]) for k in ("given-names", "family-names") if entry.get(k))


def original_citation(citation: dict) -> str:
    """The study the compendium reproduces, from CITATION.cff's preferred-citation, as
    'Family AB, Family CD, et al. Title. Year' ('' when CITATION.cff names none)."""
    pref = citation.get("preferred-citation") or {}
    if not pref.get("title"):
        return ""
    names = []
    for a in pref.get("authors") or []:
        initials = "".join(part[0] for part in str(a.get("given-names", "")).split() if part)
        names.append(f"{a.get('family-names', a.get('name', ''))} {initials}".strip())
    who = ", ".join(names[:3]) + (", et al" if len(names) > 3 else "")
    return f"{who}. {pref['title']}. {pref.get('year', '')}".strip().rstrip(".")


#: The byline when no author is known: a placeholder that reads as one.
BYLINE_TODO = "[Authors and affiliations to be completed by the authors]"
#: Names in CITATION.cff ``authors`` that stand for no person (a template's placeholder).
PLACEHOLDER_NAMES = ("the compendium authors",)


def citation_authors(citation: dict) -> list[str]:
    """The compendium's authors from CITATION.cff ``authors``, leaving out entries that
    name no person (empty, or a placeholder such as "The compendium authors")."""
    names = [_person(a) for a in citation.get("authors") or [] if isinstance(a, dict)]
    return [n for n in names if n.strip() and n.strip().lower() not in PLACEHOLDER_NAMES]


def study_meta(dataset: dict, citation: dict, twin: bool) -> dict:
    """Title, byline and the About-the-data box.

    The shipped synthetic study (``twin``): the title says it is a demonstration on
    synthetic data, the byline is the compendium's authors (CITATION.cff ``authors``,
    placeholders left out), and the original study is cited, never used as byline. Any
    other study: title, authors, affiliations, setting and period from dataset.yaml; each
    one missing is marked "[to be completed]", and a missing byline reads
    :data:`BYLINE_TODO`."""
    todo = wording.TO_COMPLETE
    original = original_citation(citation)
    if twin:
        pref = citation.get("preferred-citation") or {}
        base = pref.get("title") or dataset.get("title") or "The shipped study"
        authors = citation_authors(citation) or [BYLINE_TODO]
        about = [
            (
                "Data",
                "synthetic, written by the compendium's seeded generator "
                f"(`{dataset.get('generator', 'compendium synthesize')}`, seed {dataset.get('seed')})",
            ),
            ("Reproduces", original or todo),
        ]
        none = "not applicable (synthetic data)"
        return {
            "title": f"{base} (a demonstration on synthetic data)",
            "authors": authors,
            "affiliations": [],
            "about": about,
            "original": original,
            "twin": True,
            "about_setting": none,
            "about_period": none,
        }
    people = [a for a in dataset.get("authors") or [] if isinstance(a, dict) and a.get("name")]
    affiliations = list(dict.fromkeys(str(a["affiliation"]) for a in people if a.get("affiliation")))
    about = [
        ("Title", dataset.get("title") or todo),
        ("Authors", wording.join(str(a["name"]) for a in people) or todo),
        ("Affiliations", "; ".join(affiliations) or todo),
        ("Setting", dataset.get("setting") or todo),
        ("Period of data collection", dataset.get("period") or todo),
    ]
    if dataset.get("synthetic"):
        about.append(
            (
                "Data",
                "synthetic, written by a generator "
                f"(`{dataset.get('generator', 'unknown')}`, design `{dataset.get('design', 'unknown')}`)",
            )
        )
    return {
        "title": dataset.get("title") or todo,
        "authors": [str(a["name"]) for a in people] or [BYLINE_TODO],
        "affiliations": affiliations,
        "about": about,
        "original": original,
        "twin": False,
        "about_setting": dataset.get("setting") or todo,
        "about_period": dataset.get("period") or todo,
    }


def front_matter(meta: dict, subtitle: str) -> str:
    """The pandoc YAML front matter (safely quoted)."""
    import yaml

    data = {
        "title": meta["title"],
        "subtitle": subtitle,
        "author": meta["authors"],
        "bibliography": "references.bib",
        "csl": "vancouver-compendium.csl",
        "link-citations": True,
        "lang": "en-GB",
    }
    return "---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000) + "---"


AUTHORS_TODO = "[to be completed by the authors]"


def _listed(value) -> list[str]:
    """A list from dataset.yaml or CITATION.cff: a YAML list, or a string split at ';'."""
    if isinstance(value, str):
        value = value.split(";")
    return [str(v).strip() for v in value or [] if str(v).strip()]


def keyword_list(dataset: dict, citation: dict, twin: bool) -> list[str]:
    """The keywords: dataset.yaml ``keywords``; for the shipped demonstration, whose
    byline is the compendium's, CITATION.cff ``keywords`` when dataset.yaml has none."""
    words = _listed(dataset.get("keywords"))
    return words or (_listed(citation.get("keywords")) if twin else [])


def keywords(dataset: dict, citation: dict, twin: bool) -> str:
    """The keywords line (the study's words), or marked to be completed."""
    words = keyword_list(dataset, citation, twin)
    return "; ".join(study_text(w) for w in words) if words else AUTHORS_TODO


def declarations(dataset: dict, citation: dict, twin: bool) -> dict:
    """The statements a journal asks for, each filled from the study's description
    (dataset.yaml ``authors[].corresponding``/``email``, ``data_availability``,
    ``ethics``, ``funding``, ``conflicts``, ``contributions``, ``acknowledgements``) and
    CITATION.cff (the code), or marked to be completed by the authors; none is invented. For
    synthetic data, what is known of
    them (the generator and its seed) is said. The corresponding author's e-mail address
    is not printed (the leak audit admits none under reports/); the text says it is to be
    added at submission."""

    def said(key: str) -> str:
        value = str(dataset.get(key) or "").strip()
        return study_text(value) if value else ""

    people = [a for a in dataset.get("authors") or [] if isinstance(a, dict) and a.get("name")]
    if twin:
        people = [a for a in citation.get("authors") or [] if isinstance(a, dict)]
    lead = next((a for a in people if a.get("corresponding")), None)
    if lead is None and len(people) == 1 and people[0].get("email"):
        lead = people[0]
    corresponding = AUTHORS_TODO
    if lead is not None and lead.get("email"):
        # the leak audit admits no e-mail address anywhere under reports/, the authors' own included
        corresponding = (
            f"{study_text(_person(lead))}; e-mail address as given in the study's description, to be added at "
            "submission (the compendium's outputs carry no e-mail address)"
        )
    elif lead is not None:
        corresponding = f"{study_text(_person(lead))}; e-mail address {AUTHORS_TODO}"

    synthetic = twin or bool(dataset.get("synthetic"))
    if synthetic:
        made = study_text(
            f"{dataset.get('generator', 'compendium synthesize')}, seed {dataset.get('seed', 'not recorded')}"
        )
        data = (
            f"The data are synthetic, written by a seeded generator ({made}); they describe no person and are "
            "distributed with the compendium, which regenerates them from the seed."
        )
    else:
        data = said("data_availability") or AUTHORS_TODO
    where = [str(citation[k]) for k in ("repository-code", "url", "doi") if citation.get(k)]
    version = f", version {study_text(citation['version'])}" if citation.get("version") else ""
    licence = f", under the {study_text(citation['license'])} licence" if citation.get("license") else ""
    code = (
        "The code that produced every number, table and figure from the raw data, and the template of this "
        f"text, form a research compendium{version}{licence}"
        + (f": {study_text(where[0])}." if where else f"; its public address is {AUTHORS_TODO}.")
    )
    ethics = said("ethics")
    if twin or synthetic:
        ethics = "Not applicable to this analysis: its data are synthetic and describe no person." + (
            f" The study's description states: {ethics}." if ethics else ""
        )
    return {
        "corresponding": corresponding,
        "sections": [
            ("Data availability", data),
            ("Code availability", code),
            (
                "Supplementary material",
                "The compendium's index page lists every further table and figure (numbered S1, S2, ...) with "
                "its caption, the executed analysis notebooks, the verification of the published numbers, the "
                "de-identification report and the checklists.",
            ),
            ("Ethics approval and consent", ethics or AUTHORS_TODO),
            ("Funding", said("funding") or AUTHORS_TODO),
            ("Conflicts of interest", said("conflicts") or AUTHORS_TODO),
            ("Author contributions", said("contributions") or AUTHORS_TODO),
            ("Acknowledgements", said("acknowledgements") or AUTHORS_TODO),
        ],
    }


DESIGN_FEATURES = ("allocation", "blinding", "registration", "intervention", "sampling")


def design(dataset: dict) -> dict[str, str]:
    """What dataset.yaml's ``design_features`` states about allocation, blinding,
    registration, the intervention and the sampling of the qualitative participants, and
    ``ethics``, ``funding``, ``conflicts``;
    "not reported" for each it does not state."""
    features = dataset.get("design_features") or {}
    out = {k: str(features.get(k) or "").strip() or wording.NOT_REPORTED for k in DESIGN_FEATURES}
    for k in ("ethics", "funding", "conflicts"):
        out[k] = str(dataset.get(k) or "").strip() or wording.NOT_REPORTED
    return out


DESIGN_NAMES = {
    "allocation": "how learners were allocated to the arms",
    "blinding": "blinding",
    "registration": "registration",
    "sampling": "how the qualitative participants were sampled",
    "ethics": "ethics approval and consent",
    "intervention": "what the intervention consisted of",
}


def design_prose(features: dict[str, str]) -> str:
    """The design features of :func:`design` as prose: those the study's description
    states, quoted in one sentence; those it does not, named in the next, which sends the
    reader to the Limitations (a list of "not reported" reads as a form, not a method)."""
    keys = ("allocation", "blinding", "registration", "sampling", "ethics", "intervention")
    stated = [k for k in keys if features.get(k, wording.NOT_REPORTED) != wording.NOT_REPORTED]
    missing = [k for k in keys if k not in stated]
    out = []
    if stated:
        said = "; ".join(f"{DESIGN_NAMES[k]}: {study_text(features[k])}" for k in stated)
        out.append(f"The study's description states {said}.")
    if missing:
        names = wording.join(DESIGN_NAMES[k] for k in missing)
        lead = "It does not report" if stated else "The study's description does not report"
        out.append(f"{lead} {names}; the Limitations return to what this leaves open.")
    return " ".join(out)


def read_joint(tables_dir: Path) -> list[dict]:
    """The joint display's rows (code, outcome, judgement); [] when the study links no
    code to an outcome (no file, or a file without rows)."""
    import pandas as pd

    path = tables_dir / "joint_display.csv"
    if not path.is_file() or path.stat().st_size == 0:
        return []
    try:
        joint = pd.read_csv(path, dtype={"code": str, "outcome": str})
    except pd.errors.EmptyDataError:
        return []
    keep = [c for c in ("code", "outcome", "judgement") if c in joint.columns]
    return joint[keep].to_dict(orient="records") if {"code", "outcome"} <= set(keep) else []


def context(study, tables_dir: Path, results: dict | None = None, citation: dict | None = None) -> dict:
    """What the template needs besides results.json: the formatted tables (numbered in
    the order they appear, leaving out those the data cannot give), the exemplar quotes
    (one per code), the study's title, byline and About-the-data box, its design as
    reported, and :class:`Prose` (``say``), whose sentences follow the numbers."""
    import pandas as pd

    def table(stem: str, number: int, caption: str, note: str | None = None, merge=None) -> str:
        return embed_table((tables_dir / f"{stem}.md").read_text(encoding="utf-8"), number, caption, note, merge)

    if results is None:
        from compendium.core.io import read_json

        results = read_json(tables_dir.parent / "results.json")
    citation = read_citation() if citation is None else citation
    twin = is_paper_twin(study.dataset)
    quotes_path = tables_dir / "exemplar_quotes.csv"
    quotes = pd.read_csv(quotes_path, dtype={"source_id": str}) if quotes_path.is_file() else pd.DataFrame()
    theme_of = dict(zip(study.codebook["code"], study.codebook["theme"]))
    order = {code: i for i, code in enumerate(study.codebook["code"])}
    rows = []
    if len(quotes):
        first = quotes[quotes["rank"] == 1].copy()
        first["order"] = first["code"].map(order)
        rows = quote_rows(first.sort_values("order"), theme_of, results)
    joint_rows = read_joint(tables_dir)
    say = Prose(results, study.codebook, joint_rows)
    say.consensus = str(getattr(study, "consensus", "file") or "file")
    say.coders = [str(c) for c in (getattr(study, "coders", None) or [])]
    meta = study_meta(study.dataset, citation, twin)
    notes = table_notes(results)
    numbers = {"table1": 1, "table2": 2}
    if say.has_agreement() and (tables_dir / "irr.md").is_file():
        numbers["table3"] = len(numbers) + 1
    if joint_rows:
        numbers["table4"] = len(numbers) + 1
    out = {
        "twin": twin,
        "synthetic": bool(study.dataset.get("synthetic")),
        "seed": study.dataset.get("seed"),
        "quotes": rows,
        "meta": meta,
        "front_matter": front_matter(meta, subtitle(twin, bool(study.dataset.get("synthetic")))),
        "design": design(study.dataset),
        "say": say,
        "table_number": numbers,
        "table1": table("table1_demographics", numbers["table1"], "Baseline characteristics by arm.", notes["table1"]),
        "table2": table(
            "table2_outcomes",
            numbers["table2"],
            "Outcomes after the intervention by arm.",
            notes["table2"],
            ("Test", "Statistic"),
        ),
        "table3": irr_table(
            tables_dir,
            numbers["table3"],
            f"Agreement between {agreement_pair(results) or 'the coders'}, by code.",
            study,
            results,
            notes["table3"],
        )
        if "table3" in numbers
        else "",
        "table4": joint_table(
            tables_dir,
            numbers["table4"],
            "Joint display of the codes and the survey outcomes.",
            study.codebook,
            notes["table4"],
        )
        if "table4" in numbers
        else "",
        "keywords": keywords(study.dataset, citation, twin),
        "declarations": declarations(study.dataset, citation, twin),
        "figure_caption": lambda stem: manuscript_caption(stem, results, say),
        "framework_drawn": not say.n.has("framework.links") or int(results["framework.links"]) > 0,
    }
    return out


# an author-year citation inside a figure's caption ("(Wilson 1927)"), which the index page
# keeps but the manuscript, whose references are numbered, leaves out
AUTHOR_YEAR = re.compile(r" \((?:[A-Z][\w'-]+)(?: and [A-Z][\w'-]+| et al\.)? (?:19|20)\d\d\)")


def manuscript_caption(stem: str, results: dict, say: Prose | None = None) -> str:
    """A figure's caption in the manuscript: the one the index page prints
    (:func:`compendium.reporting.figures.caption`, what is shown and how it was computed),
    without its author-year citations; the total it derives from results.json (the
    learners enrolled) is kept in ``say.derived`` for the number check."""
    from compendium.reporting import figures

    enrolled = [results.get(f"flow.{role}.enrolled") for role in ("control", "intervention")]
    counts = [float(e) for e in enrolled if isinstance(e, (int, float)) and not isinstance(e, bool)]
    if say is not None and len(counts) == len(enrolled):
        say.derived["derived.flow.enrolled"] = sum(counts)
    return AUTHOR_YEAR.sub("", figures.caption(stem, results)).strip()


def build_checklists(folder: Path, results: dict, out_dir: Path, context: dict | None = None) -> list[Path]:
    """Render the reporting checklists (COREQ, CONSORT) from their templates, with the
    manuscript's context (design as reported in dataset.yaml, :class:`Prose`)."""
    from compendium.core.io import write_text

    context = context or {}
    written = []
    for template in sorted(folder.glob("*.md.j2")):
        text = render_template(template, results, context)
        stray = stray_numbers(text, accountable(results, context))
        if stray:
            raise ManuscriptError(f"{template.name} contains numbers that results.json does not hold: {stray}")
        path = out_dir / template.name.removesuffix(".j2")
        write_text(path, plain_study_text(text))
        written.append(path)
    return written


def agreement_pair(results: dict) -> str:
    """With more than two coders, which two the agreement table compares: '' with two
    (``irr.csv`` compares the first two coders in the order of their names,
    :func:`compendium.qualitative.agreement.irr_table`)."""
    coders = results.get("study.coders")
    if not isinstance(coders, int) or coders <= 2:
        return ""
    return f"the first two of the {coders} coders in alphabetical order"


def table_notes(results: dict) -> dict[str, str]:
    """The notes under the manuscript's tables, in the reader's words (the notes of the
    files under reports/tables/ speak to the reader of the CSV files). Each threshold
    is read from results.json, so that the number check can account for it."""
    n = Numbers(results | wording.rule_values())
    level = f"{n.level()} " if n.has("params.ci_level") else ""
    t1 = (
        "Numbers of learners with the percentage of the arm's analysed learners; age and the scale means as mean "
        "± SD. Before: the survey answered before the intervention. p: Pearson's chi-square test for categories, "
        "Welch's t-test for means; these p-values describe the balance between the arms and test no hypothesis. "
        "SMD: standardized mean difference, intervention minus control."
    )
    if n.has("params.min_cell"):
        k = n.int("params.min_cell")
        t1 += (
            f" So that no learner can be singled out, the non-zero counts below {k} of the demographic "
            "characteristics are hidden, and with a single one in an arm and characteristic also that arm's next "
            "smallest count, which the arm's total would give away; hidden counts read suppressed (a hidden count of "
            f"missing values, <{k}). The answers before the intervention are survey outcomes and are shown in full, "
            "as Table 2 shows those after it."
        )
    expected = f" was below {n.int('params.min_expected')}" if n.has("params.min_expected") else " was small"
    t2 = (
        f"Test: Pearson's chi-square test without continuity correction, or Fisher's exact test (two-sided) when "
        f"an expected count{expected}. p (Holm): adjusted for the outcomes compared, by Holm's method. Risk "
        "difference: percentage points, intervention minus control, with Newcombe's interval. Odds ratio and risk "
        "ratio: intervention against control, with Woolf's and the log interval. NNT: learners to be offered the "
        "intervention for one more (NNTB) or one fewer (NNTH) to have the outcome; when the risk difference's "
        f"interval includes no difference, the NNT's interval runs through infinity (Altman's convention). "
        f"Intervals: {level}confidence.".replace(" .", ".")
    )
    scope = (
        f"the {n.int('irr.ALL.units')} units of the {n.int('irr.ALL.sources')} sources"
        if n.has("irr.ALL.units") and n.has("irr.ALL.sources")
        else "the units of the sources"
    )
    bootstrap = (
        f" from a percentile bootstrap of {n.int('params.bootstrap_replicates')} resamples of whole sources"
        if n.has("params.bootstrap_replicates")
        else " from a percentile bootstrap of whole sources"
    )
    threshold = (
        f" below {n.num('params.kappa_threshold', 1)}" if n.has("params.kappa_threshold") else " below the threshold"
    )
    t3 = (
        f"Agreement over {scope} that both coders"
        + (f" ({pair})" if (pair := agreement_pair(results)) else "")
        + " coded, each code judged present or absent in every unit; "
        "All codes pools every decision. Kappa: Cohen's; alpha: Krippendorff's, for nominal data; "
        f"{level}intervals{bootstrap}. Positive agreement: of the units in which either coder applied the code, the "
        "share in which both did. The coders' columns give the units in which each applied the code. Flag: κ, "
        f"Cohen's kappa, or the lower limit of its interval (CI lower limit),{threshold}"
        + (
            "; kappa undefined: the coders' choices on the code did not vary (typically, neither applied it)."
            if any(
                k.endswith(".flagged") and v and results.get(k[: -len("flagged")] + "cohen_kappa", 0) is None
                for k, v in results.items()
                if k.startswith("irr.") and not k.startswith("irr.ALL.")
            )
            else "."
        )
    )
    rule = (
        f" Judgement: convergent from a kappa of {n.num('params.convergent_kappa', 1)}, dissonant at or below "
        f"{n.num('params.dissonant_kappa', 1)}, complementary in between"
        + (
            f", not assessable with fewer than {n.int('params.min_learners')} learners in both data sets."
            if n.has("params.min_learners")
            else "."
        )
        if n.has("params.convergent_kappa") and n.has("params.dissonant_kappa")
        else ""
    )
    t4 = (
        "Raised the code: percentage of the learners of each arm whose words carried the code. Had the outcome: "
        "percentage of the learners of each arm with the outcome. n: learners present in both the qualitative "
        "sources and the survey. Agreement: the percentage of them for whom raising the code and having the "
        "outcome went together as the link expects (Expected link: more talk, more outcome, when the learners who "
        "raised the code should more often have the outcome; more talk, less outcome, when less often); kappa: "
        "that agreement corrected for chance (Cohen's kappa)."
        + rule
        + " Surprising: the arms compare differently on raising the code than on having the outcome (the text "
        "states the rule)."
    )
    return {"table1": t1, "table2": t2, "table3": t3, "table4": t4}


def _label_of(codebook, column: str, key: str, value: str) -> str:
    """A code's or theme's label from the codebook, as the study wrote it; the id with
    spaces for underscores when the codebook has no label for it."""
    if codebook is not None and column in codebook.columns and key in codebook.columns:
        match = codebook[codebook[key] == value]
        if len(match) and isinstance(match[column].iloc[0], str) and match[column].iloc[0].strip():
            return f"[{markdown_text(match[column].iloc[0])}]{{.study}}"
    return f"[{markdown_text(str(value).replace('_', ' '))}]{{.study}}"


def irr_table(tables_dir: Path, number: int, caption: str, study, results: dict, note: str) -> str:
    """Table 3 as the manuscript prints it, from irr.csv: codes and themes by their
    labels, kappa and alpha with their intervals, positive agreement, each coder's
    count under a readable name, and the flag in words. Falls back on irr.md when
    irr.csv is absent."""
    import pandas as pd

    from compendium.reporting import tables

    path = tables_dir / "irr.csv"
    if not path.is_file():
        return embed_table((tables_dir / "irr.md").read_text(encoding="utf-8"), number, caption, note)
    irr = pd.read_csv(path, dtype={"code": str, "theme": str})
    coders = list(getattr(study, "coders", None) or [])
    names = (
        [f"[{markdown_text(tables.coder_label(c))}]{{.study}}" for c in coders[:2]]
        if len(coders) >= 2
        else ["First coder", "Second coder"]
    )
    codebook = getattr(study, "codebook", None)
    threshold = results.get("params.kappa_threshold")

    def est(x, low, high) -> str:
        if wording.missing(x):
            return wording.NOT_ESTIMABLE
        if wording.missing(low) or wording.missing(high):
            return f"{x:.2f}"
        return f"{x:.2f} ({low:.2f} to {high:.2f})"

    def flag(r) -> str:
        if not r.flagged:
            return ""
        if wording.missing(r.cohen_kappa):
            return "kappa undefined"
        if threshold is None:
            return "kappa or its lower limit below threshold"
        if r.cohen_kappa < threshold:
            return f"κ < {threshold:g}"
        return f"CI lower limit < {threshold:g}"

    def number_cell(x, fmt: str) -> str:
        return "" if wording.missing(x) else format(x, fmt)

    header = ["Code", "Theme", "Agreement, %", "Kappa (CI)", "Alpha (CI)", "Positive agreement", *names, "Flag"]
    align = ["l", "l", "r", "r", "r", "r", "r", "r", "l"]
    rows = []
    for r in irr.itertuples(index=False):
        pooled = r.code == "ALL"
        rows.append(
            [
                "All codes" if pooled else _label_of(codebook, "code_label", "code", r.code),
                "" if pooled or not isinstance(r.theme, str) else _label_of(codebook, "theme_label", "theme", r.theme),
                number_cell(r.percent_agreement, ".1f"),
                est(r.cohen_kappa, r.kappa_ci_low, r.kappa_ci_high),
                est(r.krippendorff_alpha, r.alpha_ci_low, r.alpha_ci_high),
                number_cell(r.positive_agreement, ".2f"),
                number_cell(r.coder_1_count, ".0f"),
                number_cell(r.coder_2_count, ".0f"),
                flag(r),
            ]
        )
    rows = even_estimates(header, align, [[keep_intervals(c) for c in r] for r in apa_columns(header, rows)])
    body = tables.pipe_table(header, rows, align).rstrip("\n")
    return body + f"\n\n: Table {number}. {caption}\n\n" + (f"*{note}*\n" if note else "")


def quote_descriptor(source_type: str, arm: str, site: str, results: dict, sites: int) -> str:
    """Rule: a quotation is tagged with descriptors, never with an identifier: the
    source type, the arm of its learners ("learners of both arms" for a document
    written by learners of both) and, in a study with more than one site, their site;
    no learner id, source id or unit number."""
    parts = [SOURCE_NOUNS.get(source_type, (str(source_type).replace("_", " "),))[0]]
    labels = {str(results.get(f"flow.{role}.label", role)): role for role in ("control", "intervention")}
    if arm in labels:
        parts.append(f"{str(arm).replace('_', ' ')} arm")
    elif arm == "mixed":
        parts.append("learners of both arms")
    if sites > 1 and isinstance(site, str) and site and site not in ("mixed", "none"):
        parts.append(f"site {site}")
    elif sites > 1 and site == "mixed":
        parts.append("learners of several sites")
    return ", ".join(parts)


def quote_rows(quotes, theme_of: dict, results: dict) -> list[dict]:
    """The quotations the manuscript prints, each with its theme and its descriptor
    (:func:`quote_descriptor`)."""
    sites = {k.split(".")[-2] for k in results if k.startswith("themes.profile.") and ".site." in k}
    n_sites = len(sites)
    rows = []
    for r in quotes.itertuples():
        site = getattr(r, "site", "")
        rows.append(
            {
                "theme": theme_of.get(r.code, ""),
                "quote": r.quote,
                "descriptor": quote_descriptor(
                    r.source_type, str(r.arm), site if isinstance(site, str) else "", results, n_sites
                ),
                "source_type": SOURCE_NOUNS.get(r.source_type, (r.source_type.replace("_", " "),))[0],
            }
        )
    return rows


# What a link of the joint display expects, in words (dataset.yaml integration.links
# direction): learners who raise the code have the outcome more often, or less often.
EXPECTED_LINK = {"same": "more talk, more outcome", "inverse": "more talk, less outcome"}


def joint_table(tables_dir: Path, number: int, caption: str, codebook=None, note: str = "") -> str:
    """The joint display without its quotations (the text quotes them), codes by their
    labels, columns sized from their content, and a note that states the rule."""
    import pandas as pd

    from compendium.quantitative.outcomes import OUTCOME_LABELS
    from compendium.reporting import tables

    joint = pd.read_csv(tables_dir / "joint_display.csv")

    def pc(x) -> str:
        return wording.NOT_ESTIMABLE if wording.missing(x) else f"{x:.0f}%"

    def k(x) -> str:
        return wording.NOT_ESTIMABLE if wording.missing(x) else f"{x:.2f}"

    header = [
        "Code",
        "Outcome",
        "Expected link",
        "Raised the code, control / intervention",
        "Had the outcome, control / intervention",
        "n",
        "Agreement",
        "Kappa",
        "Judgement",
    ]
    align = ["l", "l", "l", "r", "r", "r", "r", "r", "l"]
    rows = [
        [
            _label_of(codebook, "code_label", "code", r.code),
            OUTCOME_LABELS.get(r.outcome, r.outcome),
            EXPECTED_LINK.get(str(getattr(r, "direction", "same")), str(getattr(r, "direction", ""))),
            f"{pc(r.talk_control_percent)} / {pc(r.talk_intervention_percent)}",
            f"{pc(r.outcome_control_percent)} / {pc(r.outcome_intervention_percent)}",
            f"{r.learners_both}",
            pc(r.agreement_percent),
            k(r.kappa),
            f"{r.judgement}"
            + (
                "; surprising"
                if r.judgement in ("convergent", "complementary", "dissonant")
                and wording.joint_surprise(
                    (r.talk_control_percent, r.talk_intervention_percent),
                    (r.outcome_control_percent, r.outcome_intervention_percent),
                    str(getattr(r, "direction", "same")),
                )
                else ""
            ),
        ]
        for r in joint.itertuples(index=False)
    ]
    rows = even_estimates(header, align, [[keep_intervals(c) for c in r] for r in apa_columns(header, rows)])
    body = tables.pipe_table(header, rows, align).rstrip("\n")
    return body + f"\n\n: Table {number}. {caption}\n\n" + (f"*{note}*\n" if note else "")


# --------------------------------------------------------------------------- prose chosen by the data

SOURCE_NOUNS = wording.SOURCE_NOUNS
WAVE_WORDS = {"pre": "before", "post": "after"}


def subtitle(twin: bool, synthetic: bool) -> str:
    """The subtitle says what the document is: a rerun of the original analysis on
    synthetic data (the shipped twin), an analysis of other synthetic data, or of a study's own."""
    if twin:
        return "The original analysis, rerun from raw data on synthetic data"
    return "A reproducible analysis of synthetic data" if synthetic else "A reproducible analysis"


def is_paper_twin(dataset: dict) -> bool:
    """True only for the shipped synthetic study (see :func:`compendium.data.validated.is_paper_twin`)."""

    return validated.is_paper_twin(dataset)


class Prose:
    """Sentences whose judgements are chosen by the numbers of results.json through the
    rules of :mod:`compendium.reporting.wording`. Counts derived here from results.json (how many
    codes were flagged, for example) are kept in :attr:`derived`, so that the number
    check can account for them."""

    def __init__(self, results: dict, codebook=None, joint_rows: list[dict] | None = None) -> None:
        self.n = Numbers(results)
        self.results = results
        self.codebook = codebook
        self.joint_rows = joint_rows or []
        self.derived: dict[str, float] = {}
        self.consensus = "file"  # where the coding analysed comes from (compendium.data.contract.Study.consensus)
        self.coders: list[str] = []  # the study's coders in name order (compendium.data.contract.Study.coders)

    def coding_name(self) -> str:
        """The coding the analysis rests on, named as :meth:`coding_basis` describes it."""
        if self.consensus.startswith("coder:"):
            return "the coding that stood in for a consensus"
        return "the majority coding" if self.consensus == "majority" else "the consensus coding"

    def coding_basis(self) -> str:
        """Which coding the thematic analysis rests on, as the data supplied it: a
        consensus file, a named coder standing in for one, or the majority of coders."""
        if self.consensus.startswith("coder:"):
            return (
                "No consensus coding was supplied with the data; one coder's coding, named in the study's "
                "description or the analysis parameters, stood in for it and was the basis of the thematic analysis."
            )
        if self.consensus == "majority":
            return (
                "No consensus coding was supplied with the data; a majority coding (a code applied to a unit when "
                "more than half of the coders applied it) was the basis of the thematic analysis."
            )
        return "A consensus coding, supplied with the data, was the basis of the thematic analysis."

    # ---- labels
    def arm(self, role: str) -> str:
        """'the <label> arm', from the arm labels the data use."""
        label = self.results.get(f"flow.{role}.label") or role
        return f"the {str(label).replace('_', ' ')} arm"

    def outcomes(self) -> list[str]:
        from compendium.quantitative.outcomes import OUTCOME_LABELS

        return [o for o in OUTCOME_LABELS if f"table2.{o}.control_percent" in self.results]

    def primary(self) -> str:
        """The primary outcome named in params.yaml (outcomes.primary), or '' when none is recorded."""
        name = self.results.get("params.primary_outcome")
        return name if name in self.outcomes() else ""

    @staticmethod
    def outcome_label(outcome: str) -> str:
        from compendium.quantitative.outcomes import OUTCOME_LABELS

        label = OUTCOME_LABELS.get(outcome, outcome.replace("_", " "))
        return label[:1].lower() + label[1:]

    def _count(self, key: str, value: int) -> str:
        self.derived[f"derived.{key}"] = value
        return str(value)

    # ---- sources
    def source_counts(self) -> dict[str, int | None]:
        from compendium.data.sources import SOURCE_TYPES

        return {t: self.results.get(f"study.sources.{t}") for t in SOURCE_TYPES}

    def sources(self) -> str:
        """'4 interviews', 'one interview and 2 documents or online posts' (types present only)."""
        return wording.source_types(self.source_counts(), SOURCE_NOUNS)

    def source_names(self) -> str:
        return wording.source_type_names(self.source_counts(), SOURCE_NOUNS)

    # ---- outcomes
    def outcome_comparison(self) -> str:
        """One sentence comparing every outcome between the arms, grouped by the
        direction of the printed percentages (:func:`wording.frequency`)."""
        groups: dict[str, list[str]] = {}
        for o in self.outcomes():
            a, b = f"table2.{o}.intervention_percent", f"table2.{o}.control_percent"
            word = wording.frequency(self.results.get(a), self.results.get(b))
            shares = f"{self.n.pct(a)} against {self.n.pct(b)}"
            groups.setdefault(word, []).append(f"{self.outcome_label(o)} ({shares})")
        first, second = self.arm("intervention"), self.arm("control")
        parts = []
        for word, phrase in (
            ("more frequent", "more often reported"),
            ("less frequent", "less often reported"),
            ("as frequent", "as often reported"),
        ):
            if groups.get(word):
                parts.append(f"{phrase} {wording.join(groups[word])}")
        if groups.get(wording.NOT_ESTIMABLE):
            parts.append(f"could not be compared on {wording.join(groups[wording.NOT_ESTIMABLE])}")
        if not parts:
            return "No outcome could be compared between the arms."
        return f"Learners in {first}, against {second}, " + "; ".join(parts) + "."

    def holm(self) -> str:
        return wording.holm_sentence(
            [
                (self.outcome_label(o), self.results.get(f"table2.{o}.p_value"), self.results.get(f"table2.{o}.p_holm"))
                for o in self.outcomes()
            ]
        )

    def adjusted(self) -> str:
        rows = [
            (
                self.outcome_label(o),
                self.results.get(f"adjusted.{o}.odds_ratio"),
                self.results.get(f"adjusted.{o}.adjusted_or"),
                self.results.get(f"adjusted.{o}.adjusted_p"),
            )
            for o in self.outcomes()
            if f"adjusted.{o}.odds_ratio" in self.results
        ]
        return wording.adjusted_sentence(rows) if rows else "No adjusted odds ratio was estimated."

    def stratum(self) -> str:
        """The variable of the Mantel-Haenszel strata, as results.json records it."""
        for key, value in sorted(self.results.items()):
            if key.startswith("stratified.") and key.endswith(".stratum") and value:
                return str(value).replace("_", " ")
        return wording.NOT_REPORTED

    def suppression(self) -> str:
        """Rule: how many Table 1 counts the small-cell rule hid (a null count in
        results.json is a suppressed one)."""
        k = self.n.int("params.min_cell") if self.n.has("params.min_cell") else None
        hidden = sum(
            1
            for key, value in self.results.items()
            # table1.<variable>.<level>.n.<arm>: an arm's hidden count (a blank SMD is no cell)
            if key.startswith("table1.")
            and key.rsplit(".", 2)[-2] == "n"
            and key.rsplit(".", 1)[-1] in ("control", "intervention")
            and value is None
        )
        if k is None:
            return ""
        if hidden:
            return (
                f"Non-zero demographic counts below {k} were suppressed, with a second count where one alone "
                f"could be recovered from the total: {wording.count(self._count('suppressed', hidden), 'cell')} "
                "of Table 1 are shown as suppressed."
            )
        return f"Non-zero demographic counts below {k} would have been suppressed; no count of Table 1 was."

    def covariates(self) -> str:
        for o in self.outcomes():
            text = self.results.get(f"adjusted.{o}.covariates")
            if text:
                return wording.join(c.strip().replace("_", " ") for c in str(text).split("+"))
        return wording.NOT_REPORTED

    # ---- baseline
    def _table1(self) -> dict[str, dict[str, dict[str, dict]]]:
        """table1.<variable>.<level>.<statistic>.<role> as nested dicts."""
        out: dict = {}
        for key, value in self.results.items():
            parts = key.split(".")
            if parts[0] != "table1" or len(parts) < 5 or parts[1] == "n":
                continue
            variable, level, statistic, role = parts[1], ".".join(parts[2:-2]), parts[-2], parts[-1]
            out.setdefault(variable, {}).setdefault(level, {}).setdefault(statistic, {})[role] = value
        return out

    def baseline(self) -> str:
        """Balance of each Table 1 characteristic by its largest |SMD| over levels
        (:func:`wording.balance`); a characteristic with a suppressed level is 'not
        estimable' unless a visible level already differs (:func:`wording.judged_smd`). The
        level that differs most is described by :func:`wording.share_phrase` (or the means,
        for a mean)."""
        from compendium.quantitative.demographics import MISSING

        items = []
        for variable, levels in self._table1().items():
            label = variable.replace("_", " ")
            worst, worst_level, suppressed = None, "", False
            for level, stats in levels.items():
                if level == MISSING:
                    continue
                for stat in stats.values():
                    if any(wording.missing(stat.get(r)) for r in ("control", "intervention")):
                        suppressed = True
                smd = next((s.get("smd") for s in stats.values() if "smd" in s), None)
                if smd is not None and not wording.missing(smd) and (worst is None or abs(smd) > abs(worst)):
                    worst, worst_level = smd, level
            if wording.judged_smd(worst, suppressed) is None:  # a suppressed level hides the largest |SMD|
                items.append((label, None, ""))
                continue
            yes = wording.yes_level(lv for lv in levels if lv != MISSING)
            if yes is not None and "percent" in levels[yes]:
                worst_level = yes  # a yes/no characteristic is told by its "yes" level
            stats = levels[worst_level]
            first = self.arm("intervention")
            if "mean" in stats:
                m = stats["mean"]
                unit = f" {worst_level.replace('_', ' ')}" if worst_level else ""
                # the decimals of Table 1 (age 1, scale means 2), so that a difference the SMD calls
                # real is not printed as two equal means ("2.4 against 2.4")
                d = 1 if variable == "age" else 2
                detail = (
                    f"mean {m['intervention']:.{d}f}{unit} in {first} against {m['control']:.{d}f}"
                    if not any(wording.missing(m.get(r)) for r in ("control", "intervention"))
                    else ""
                )
            else:
                pcts = stats.get("percent", {})
                what = (
                    f"learners with {label}"
                    if worst_level == yes
                    else f"learners recorded as {worst_level.replace('_', ' ')}"
                )
                detail = wording.share_phrase(pcts.get("intervention"), pcts.get("control"), first, what)
            items.append((label, worst, detail))
        return wording.balance_summary(items)

    def imbalanced(self) -> list[tuple[str, str]]:
        """The Table 1 characteristics whose largest |SMD| over their levels is at least
        :data:`wording.SMD_SIMILAR` (the arms are not called similar), as (label, |SMD|
        printed to 2 decimals), in Table 1's order."""

        out = []
        for variable, (smd, suppressed) in self._balance().items():
            smd = wording.judged_smd(smd, suppressed)
            if smd is not None and abs(smd) >= wording.SMD_SIMILAR:  # a lower bound when a level is hidden
                out.append((variable.replace("_", " "), f"{'at least ' if suppressed else ''}{abs(smd):.2f}"))
        return out

    def unjudged(self) -> list[str]:
        """The Table 1 characteristics whose balance is not estimable (a suppressed
        level, or no SMD), as :meth:`baseline` says of them."""
        return [
            v.replace("_", " ") for v, (smd, sup) in self._balance().items() if wording.judged_smd(smd, sup) is None
        ]

    def _balance(self) -> dict[str, tuple[float | None, bool]]:
        """Per Table 1 characteristic: its largest-magnitude SMD over levels (missing
        left out) and whether a level has a suppressed value, the rule of :meth:`baseline`."""
        from compendium.quantitative.demographics import MISSING

        out = {}
        for variable, levels in self._table1().items():
            worst, suppressed = None, False
            for level, stats in levels.items():
                if level == MISSING:
                    continue
                for stat in stats.values():
                    if any(wording.missing(stat.get(r)) for r in ("control", "intervention")):
                        suppressed = True
                smd = next((x.get("smd") for x in stats.values() if "smd" in x), None)
                if smd is not None and not wording.missing(smd) and (worst is None or abs(smd) > abs(worst)):
                    worst = float(smd)
            out[variable] = (worst, suppressed)
        return out

    def outcome_design(self) -> str:
        """What each survey outcome compares (:func:`wording.outcome_design`): increased
        cultural competence is, by the contract's definition, a change within learners;
        the others are read after the intervention."""
        change = [o for o in self.outcomes() if o == "increased_cultural_competence"]
        after = [o for o in self.outcomes() if o not in change]
        min_change = self.n.num("params.cc_min_change", 1) if self.n.has("params.cc_min_change") else "a set number of"
        return wording.outcome_design(
            [self.outcome_label(o) for o in change],
            [self.outcome_label(o) for o in after],
            min_change,
            bool(self.results.get("params.adjust_baseline")),
        )

    def limitations(self, allocation: str, synthetic: str = "") -> str:
        """The Limitations paragraph (:func:`wording.limitations`) from the allocation the
        study's description reports, Table 1's SMDs, the number of sites and the learners
        of the qualitative data."""
        sites = self.results.get("sites.count", self.results.get("dataset.sites"))
        qual = None
        if self.n.has("study.learners_in_sources") and self.n.has("study.learners_analysed"):
            qual = (int(self.results["study.learners_in_sources"]), int(self.results["study.learners_analysed"]))
        return wording.limitations(
            allocation, self.imbalanced(), f"{wording.SMD_SIMILAR:.1f}", sites, qual, synthetic, self.unjudged()
        )

    def framework_links(self, drawn: bool = True) -> str:
        """The sentence of Figure 4's caption on how many pairs of codes passed the
        framework's rule (``framework.links`` of results.json): none is said plainly, and
        with ``drawn`` false (no figure is shown when no pair passed) as the reason no
        framework is drawn."""
        if not self.n.has("framework.links"):
            return ""
        links = int(self.results["framework.links"])
        pairs: Any = self.results.get("framework.pairs")
        of = f" of the {int(pairs)} pairs of codes" if not wording.missing(pairs) else ""
        if links == 0:
            who = f"None of the {int(pairs)} pairs of codes" if of else "No pair of codes"
            return f"{who} passed this rule, so " + ("the figure draws no line." if drawn else "no framework is drawn.")
        lines = "is drawn as a line" if links == 1 else "are drawn as lines"
        if of:
            return f"Of the {int(pairs)} pairs of codes, {links} passed this rule and {lines}."
        return f"{wording.capitalise(wording.count(links, 'pair'))} of codes passed this rule and {lines}."

    def differed(self, variable: str) -> bool:
        """Whether the arms differed (|SMD| >= SMD_DIFFERED) on a Table 1 variable."""
        smds = [s.get("smd") for lv in self._table1().get(variable, {}).values() for s in lv.values() if "smd" in s]
        return any(wording.balance(x) == "differed" for x in smds)

    # ---- scales and coders
    def clustered_unestimable(self) -> str:
        """Rule: the outcomes whose site-respecting model gave no odds ratio, named after
        those it gave (results.json holds the outcome's ``sites`` but no ``odds_ratio``),
        so that an outcome does not drop silently out of the list."""
        gone = [
            o
            for o in self.outcomes()
            if self.n.has(f"clustered.{o}.sites")
            and self.results[f"clustered.{o}.sites"] >= 2  # one site: no site model to speak of
            and not self.n.has(f"clustered.{o}.odds_ratio")
        ]
        if not gone:
            return ""
        # why, in the reader's words, from the note the model left (compendium.quantitative.effects)
        reasons = {
            "an arm or an outcome level is empty": "an arm or an outcome level was empty",
            # effects.FEW_INFORMATIVE_SITES (not imported: this stage does not depend on effects.py)
            "fewer than two sites hold both arms and both levels of the outcome": (
                "fewer than two sites held both arms and both levels of the outcome"
            ),
        }
        why: dict[str, list[str]] = {}
        for o in gone:
            note = str(self.results.get(f"clustered.{o}.note") or "").removeprefix("not estimable: ")
            reason = reasons.get(note, "it did not converge (separation of the outcome by arm, or too few sites)")
            why.setdefault(reason, []).append(self.outcome_label(o))
        if any(self.n.has(f"clustered.{o}.odds_ratio") for o in self.outcomes()):
            lead = "The"  # the sentence before named the sites
        else:
            sites = next(f"clustered.{o}.sites" for o in self.outcomes() if self.n.has(f"clustered.{o}.sites"))
            lead = f"Accounting for the {self.n.int(sites)} sites, the"
        parts = [f"{wording.join(labels)}: {reason}" for reason, labels in why.items()]
        # a trailing space: the template runs the next sentence on
        return f"{lead} site-respecting model gave no odds ratio for " + "; for ".join(parts) + ". "

    def reliability(self) -> str:
        scales: dict[str, list] = {}
        for key in sorted(self.results):
            parts = key.split(".")
            if parts[0] == "reliability" and len(parts) == 4 and parts[3] == "alpha":
                scales.setdefault(parts[1], []).append(parts[2])
        sentences = []
        for scale, waves in scales.items():
            waves = sorted(waves, key=lambda w: list(WAVE_WORDS).index(w) if w in WAVE_WORDS else 99)
            values = [
                (
                    WAVE_WORDS.get(w, w),
                    self.results[f"reliability.{scale}.{w}.alpha"],
                    self.n.apa(f"reliability.{scale}.{w}.alpha"),
                )
                for w in waves
            ]
            sentences.append(wording.consistency_sentence(f"{scale.replace('_', '-')} scale", values))
        return " ".join(sentences) or "No scale reliability was estimated."

    def has_agreement(self) -> bool:
        return self.n.has("irr.ALL.cohen_kappa")

    def agreement(self) -> str:
        if not self.has_agreement():
            if self.results.get("study.coders") == 1:
                return (
                    "Agreement between coders could not be measured: one coder coded the sources, so the "
                    "thematic analysis rests on that single coding."
                )
            return (
                "Agreement between coders could not be measured: no unit was coded by two coders, so the "
                "thematic analysis rests on single codings."
            )
        kappa = self.results["irr.ALL.cohen_kappa"]
        codes = [
            k.split(".")[1]
            for k in self.results
            if k.startswith("irr.") and k.endswith(".flagged") and k.split(".")[1] != "ALL"
        ]
        flagged = [c for c in codes if self.results.get(f"irr.{c}.flagged")]
        interval = (
            f", {self.n.level()} CI [{self.n.apa('irr.ALL.kappa_ci_low')}, {self.n.apa('irr.ALL.kappa_ci_high')}]"
            if self.n.has("irr.ALL.kappa_ci_low") and self.n.has("irr.ALL.kappa_ci_high")
            else ""
        )
        pair = agreement_pair(self.results)
        text = (
            f"Agreement between {pair or 'the coders'} was {self.n.apa('irr.ALL.cohen_kappa')} overall (Cohen's kappa"
            f"{interval}, {wording.kappa_band(kappa)} by Landis and Koch's bands; Krippendorff's alpha "
            f"{self.n.apa('irr.ALL.krippendorff_alpha')}"
            + (
                f"; positive agreement {self.n.apa('irr.ALL.positive_agreement')}"
                if self.n.has("irr.ALL.positive_agreement")
                else ""
            )
            + "). "
        )
        threshold = self.n.num("params.kappa_threshold", 1)
        # a flagged code without a kappa (neither coder applied it) is named apart, never counted as low
        unscored = [c for c in flagged if self.results.get(f"irr.{c}.cohen_kappa") is None]
        below = [c for c in flagged if c not in unscored]
        unused = all(
            not self.results.get(f"irr.{c}.coder_1_count") and not self.results.get(f"irr.{c}.coder_2_count")
            for c in unscored
        )
        text += wording.flagged_codes(  # a sentence opens with words, not a numeral
            self._count("irr_codes", len(codes)) if below else "",
            self._count("irr_flagged", len(below)) if below else "",
            [self.code_label(c) for c in below],
            [self.code_label(c) for c in unscored],
            threshold,
            unused,
        )
        if pair:
            text += " " + self.all_coders()
        return text

    def agreement_scope(self) -> str:
        """Whose agreement the Methods describe: both coders, or, with more, the first two."""
        pair = agreement_pair(self.results)
        if not pair:
            return "over the units of the sources both coders coded"
        return f"between {pair} over the units of the sources both coded"

    def compared_coders(self) -> tuple[str, str]:
        """The two coders the agreement compares, as Table 3 heads their columns."""
        from compendium.reporting import tables

        if len(self.coders) < 2:
            return "the first coder", "the second coder"
        first, second = (f"[{markdown_text(tables.coder_label(c))}]{{.study}}" for c in self.coders[:2])
        return first, second

    def agreement_qualifier(self) -> str:
        """' (between the first two of the 3 coders in alphabetical order)' with more than two coders, else ''."""
        pair = agreement_pair(self.results)
        return f" (between {pair})" if pair else ""

    def all_coders(self) -> str:
        """With more than two coders, where agreement among all of them is reported."""
        coders = self.results.get("study.coders")
        return (
            f"Cohen's kappa for every pair of coders, and Fleiss' kappa and Krippendorff's alpha over all {coders} "
            "coders, are given by code in the supplementary tables."
        )

    # ---- themes
    def code_label(self, code: str) -> str:
        if self.codebook is not None:
            match = self.codebook[self.codebook["code"] == code]
            if len(match):
                return markdown_text(match["code_label"].iloc[0])
        return markdown_text(code.replace("_", " "))

    def themes(self) -> list[dict]:
        """The codebook's themes in codebook order, each with its codes and counts."""
        if self.codebook is None:
            return []
        out = []
        for theme, block in self.codebook.groupby("theme", sort=False):
            out.append(
                {
                    "id": theme,
                    "label": markdown_text(block["theme_label"].iloc[0]),
                    "codes": list(block["code"]),
                    "code_labels": [markdown_text(v) for v in block["code_label"]],
                }
            )
        return out

    def theme_list(self) -> str:
        """The themes' labels in codebook order, each in italics."""
        return wording.join(f"*{t['label']}*" for t in self.themes())

    def arm_group(self, group: str) -> str:
        """'the <label> arm' for an arm label of the data ('learners of both arms' for mixed)."""
        for role in ("control", "intervention"):
            if str(self.results.get(f"flow.{role}.label", role)) == str(group):
                return self.arm(role)
        return f"the {str(group).replace('_', ' ')} arm"

    def many_sites(self) -> bool:
        """Whether stage 08 profiled the themes by more than one site."""
        return len({k.split(".")[-2] for k in self.results if k.startswith("themes.profile.") and ".site." in k}) > 1

    def _profile(self, theme: str, by: str) -> list[tuple[str, dict]]:
        """The rows of 08's theme profile for one theme and facet, as (group, values)."""
        prefix = f"themes.profile.{theme}.{by}."
        rows: dict[str, dict] = {}
        for key, value in self.results.items():
            if key.startswith(prefix):
                group, _, column = key[len(prefix) :].rpartition(".")
                rows.setdefault(group, {})[column] = value
        return list(rows.items())

    def theme_paragraph(self, theme: dict) -> str:
        """The theme's analytic paragraph (:func:`wording.theme_paragraph`) from the
        profile, code pairs and resolution of stage 08 and the agreement table of stage
        07, all read from results.json; without the profile (results of an older run),
        the counts of the frequency table."""
        from compendium.data.sources import SOURCE_TYPES

        tid = theme["id"]
        overall = dict(self._profile(tid, "all")).get("all")
        if overall is None:
            base = f"themes.theme.{tid}.all.all"
            overall = {
                "units": self.results.get(f"{base}.units") or 0,
                "sources": self.results.get(f"{base}.sources") or 0,
                "sources_total": sum(v or 0 for v in self.source_counts().values()),
                "learners": self.results.get(f"{base}.participants") or 0,
                "learners_total": 0,
            }
        types = dict(self._profile(tid, "source_type"))
        type_rows = []
        for t in [*SOURCE_TYPES, *sorted(set(types) - set(SOURCE_TYPES))]:
            if t in types:
                one, many = SOURCE_NOUNS.get(t, (t.replace("_", " "), None))
                type_rows.append(
                    (one, many or wording.plural(one), int(types[t]["sources"]), int(types[t]["sources_total"]))
                )

        def groups(by: str, name) -> list[tuple[str, int, int, float]]:
            return [
                (name(g), int(r["learners"]), int(r["learners_total"]), r["percent"])
                for g, r in self._profile(tid, by)
                if r.get("learners_total")
            ]

        arms = groups("arm", self.arm_group)
        sites = groups("site", lambda g: f"site {g}")
        if len(sites) < 2:
            sites = []
        units = [(self.results.get(f"themes.code.{c}.all.all.units") or 0, -i, c) for i, c in enumerate(theme["codes"])]
        top_units, _, top_code = max(units) if units else (0, 0, "")
        # every code that ties for the most units is named: "the" most frequent code is one code only
        top_codes = [c for u, _, c in units if u == top_units]
        pairs = []
        for i, a in enumerate(theme["codes"]):
            for b in theme["codes"][i + 1 :]:
                key = f"themes.pairs.{a}.{b}"
                if f"{key}.units_both" in self.results:
                    pairs.append(
                        (
                            self.code_label(a),
                            self.code_label(b),
                            int(self.results[f"{key}.units_both"]),
                            int(self.results[f"{key}.sources_both"]),
                        )
                    )
        disputes = []
        for code in theme["codes"]:
            key = f"themes.resolution.{code}"
            if not self.results.get(f"irr.{code}.flagged") or f"{key}.disagreements" not in self.results:
                continue
            mode = str(self.results.get(f"{key}.consensus") or "file")
            stand_in = str(self.results.get(f"{key}.stand_in") or "")
            fields = ("units", "disagreements", "applied", "left_off", "with_coder_1", "with_coder_2")
            r = {k: int(self.results.get(f"{key}.{k}") or 0) for k in fields}
            if self.results.get(f"irr.{code}.cohen_kappa") is None:  # flagged only for an undefined kappa
                unused = not self.results.get(f"irr.{code}.coder_1_count") and not self.results.get(
                    f"irr.{code}.coder_2_count"
                )
                disputes.append(wording.unscored_code_sentence(self.code_label(code).lower(), r["units"], unused))
                continue
            kappa = self.n.apa(f"irr.{code}.cohen_kappa") if self.n.has(f"irr.{code}.cohen_kappa") else ""
            if kappa and self.n.has(f"irr.{code}.kappa_ci_low") and self.n.has(f"irr.{code}.kappa_ci_high"):
                kappa += (
                    f", {self.n.level()} CI [{self.n.apa(f'irr.{code}.kappa_ci_low')}, "
                    f"{self.n.apa(f'irr.{code}.kappa_ci_high')}]"
                )
            disputes.append(
                wording.resolution_sentence(
                    self.code_label(code).lower(),
                    kappa,
                    r["units"],
                    r["disagreements"],
                    r["applied"],
                    r["left_off"],
                    r["with_coder_1"],
                    r["with_coder_2"],
                    mode,
                    stand_in if stand_in in ("first", "second") else "",
                    *self.compared_coders(),
                )
            )
        for i, value in enumerate([len(pairs), len(theme["codes"])]):
            self.derived[f"derived.theme.{tid}.{i}"] = value
        return wording.theme_paragraph(
            [lab for lab in theme["code_labels"]],
            int(overall.get("units") or 0),
            int(overall.get("sources") or 0),
            int(overall.get("sources_total") or 0),
            int(overall.get("learners") or 0),
            int(overall.get("learners_total") or 0),
            type_rows,
            arms,
            sites,
            ([self.code_label(c) for c in top_codes], int(top_units)) if top_code else None,
            pairs,
            disputes,
            self.has_agreement(),
        )

    # ---- integration
    def joint(self) -> list[str]:
        """One sentence per code-outcome link of the joint display; none when the study
        links no code to an outcome."""
        sentences = []
        for row in self.joint_rows:
            base = f"joint.{row['code']}.{row['outcome']}"
            judgement = self.results.get(f"{base}.judgement", row.get("judgement"))
            detail = ""
            if self.n.has(base + ".agreement_percent") and self.n.has(base + ".learners_both"):
                kappa = (
                    f", kappa {self.n.apa(base + '.kappa')}"
                    if self.n.has(base + ".kappa") and not wording.missing(self.results.get(base + ".kappa"))
                    else ""
                )
                detail = (
                    f" ({self.n.pct(base + '.agreement_percent')} agreement{kappa} among the "
                    f"{self.n.int(base + '.learners_both')} learners in both data sets)"
                )
            sentences.append(
                f"{wording.capitalise(self.code_label(row['code']).lower())} and "
                f"{self.outcome_label(row['outcome'])}: {judgement or wording.NOT_ESTIMABLE}{detail}."
            )
        return sentences

    def joint_discussion(self) -> list[str]:
        """The discussion of the joint display: an opening sentence
        (:func:`wording.joint_summary`), then one paragraph per dissonant or surprising
        pair (:func:`wording.joint_discussion`), in the display's order."""
        from compendium.quantitative.outcomes import OUTCOME_LABELS

        paragraphs = []
        between = 0
        for row in self.joint_rows:
            base = f"joint.{row['code']}.{row['outcome']}"
            get = self.results.get
            if not self.n.has(base + ".learners_both"):
                continue
            label = OUTCOME_LABELS.get(row["outcome"], row["outcome"].replace("_", " "))
            text = wording.joint_discussion(
                self.code_label(row["code"]).lower(),
                label[:1].lower() + label[1:],
                str(get(base + ".judgement") or row.get("judgement") or ""),
                self.n.apa(base + ".kappa") if self.n.has(base + ".kappa") else wording.NOT_ESTIMABLE,
                int(get(base + ".learners_both") or 0),
                tuple(  # type: ignore[arg-type]  # four counts, in order
                    int(get(f"{base}.{k}") or 0)
                    for k in ("said_and_reported", "said_not_reported", "reported_not_said", "neither")
                ),
                (get(base + ".talk_control_percent"), get(base + ".talk_intervention_percent")),
                (get(base + ".outcome_control_percent"), get(base + ".outcome_intervention_percent")),
                (self.arm("control"), self.arm("intervention")),
                str(get(base + ".direction") or "same"),
            )
            if text:
                paragraphs.append(text)
                judgement = str(get(base + ".judgement") or row.get("judgement") or "")
                if judgement in ("convergent", "complementary") and wording.joint_surprise(
                    (get(base + ".talk_control_percent"), get(base + ".talk_intervention_percent")),
                    (get(base + ".outcome_control_percent"), get(base + ".outcome_intervention_percent")),
                    str(get(base + ".direction") or "same"),
                ):
                    between += 1
        self.derived["derived.joint_pairs"] = len(self.joint_rows)
        self.derived["derived.joint_flagged"] = len(paragraphs)
        judged = sum(
            1
            for row in self.joint_rows
            if str(self.results.get(f"joint.{row['code']}.{row['outcome']}.judgement") or row.get("judgement") or "")
            in ("convergent", "complementary", "dissonant")
        )
        head = wording.joint_summary(len(paragraphs), len(self.joint_rows), judged)
        self.derived["derived.joint_between"] = between
        tail = wording.joint_between_arms(between)
        return [p for p in (head, *paragraphs, tail) if p]

    def functions(self) -> dict:
        return {"say": self, "w": wording}
