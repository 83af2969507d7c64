"""The manuscript: a Jinja2 template of prose whose every number comes from
``reports/results.json``, rendered with pandoc (HTML, DOCX) and Typst (PDF).

Numbers enter the text only through the template functions below (``pct``, ``num``,
``p``, ``chi2``, ...), which read results.json and fail on a missing key. After
rendering, :func:`stray_numbers` lists any number in the text that results.json
cannot account for (years, table and figure numbers and citation numbers aside);
the build fails if there is one.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

from . import paths

YEAR = re.compile(r"^(19|20)\d\d$")
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?|(?<![\w\d])\.\d+")


class ManuscriptError(ValueError):
    """The manuscript cannot be built as written; the message says why."""


# --------------------------------------------------------------------------- numbers


def apa_p(p: float) -> str:
    """APA style: 'p < .001' or 'p = .034' (no leading zero)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        raise ManuscriptError("a p-value cited in the manuscript is missing from results.json")
    from .tables import P_FLOOR

    if p < P_FLOOR:
        return "p < " + f"{P_FLOOR}".lstrip("0")
    text = f"{p:.3f}"
    return "p = " + (text[1:] if text.startswith("0") else text)


class Numbers:
    """Template functions over results.json."""

    def __init__(self, results: dict) -> None:
        self.results = results

    def v(self, key: str):
        if key not in self.results:
            raise ManuscriptError(f"the manuscript cites {key!r}, which reports/results.json does not hold")
        return self.results[key]

    def num(self, key: str, decimals: int = 2) -> str:
        return f"{float(self.v(key)):.{decimals}f}"

    def int(self, key: str) -> str:
        return str(int(round(float(self.v(key)))))

    def pct(self, key: str, decimals: int = 0) -> str:
        return f"{float(self.v(key)):.{decimals}f}%"

    def points(self, key: str, decimals: int = 1) -> str:
        """A proportion difference as percentage points."""
        return f"{100 * float(self.v(key)):.{decimals}f}"

    def p(self, key: str) -> str:
        return apa_p(self.v(key))

    def level(self) -> str:
        return f"{100 * float(self.v('params.ci_level')):.0f}%"

    def chi2(self, outcome: str) -> str:
        """The test of Table 2 for one outcome, in APA style."""
        base = f"table2.{outcome}"
        if self.v(f"{base}.test") == "fisher":
            return f"Fisher's exact test, {apa_p(self.v(f'{base}.p_value'))}"
        return (f"χ²({self.int(base + '.dof')}, N = {self.int(base + '.n_total')}) = "
                f"{self.num(base + '.statistic')}, {apa_p(self.v(base + '.p_value'))}")

    def odds(self, prefix: str, est: str, low: str, high: str) -> str:
        return (f"OR = {self.num(f'{prefix}.{est}')}, {self.level()} CI [{self.num(f'{prefix}.{low}')}, "
                f"{self.num(f'{prefix}.{high}')}]")

    def functions(self) -> dict:
        return {name: getattr(self, name) for name in ("v", "num", "int", "pct", "points", "p", "level", "chi2",
                                                        "odds")}


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
    body = re.sub(r"\b(Table|Tables|Figure|Figures|Fig\.|Domain|Item|Items)\s+\d+(?:\s*(?:and|,|–|-)\s*\d+)*",
                  " ", body)
    body = re.sub(r"(?m)^\|\s*\d+\s*\|", "|", body)  # a checklist's item numbers
    body = re.sub(r"\[\d+(?:\s*[,–-]\s*\d+)*\]", " ", body)  # numeric citations
    body = re.sub(r"\[@[^\]]+\]", " ", body)  # citation keys before citeproc
    body = re.sub(r"\]\([^)]*\)", "]", body)  # link and image targets
    body = re.sub(r"\{[^}]*\}", " ", body)  # attributes such as {width=90%}
    body = re.sub(r"\[(?:Person|Institution)\s+\d+\]", " ", body)  # pseudonyms in quotations
    body = re.sub(r"source\s+\S+,\s+unit\s+\d+", " ", body)  # where a quotation comes from
    allowed = allowed_numbers(results)
    return sorted({m.group(0) for m in NUMBER.finditer(body)
                   if not YEAR.match(m.group(0)) and m.group(0) not in allowed})


# --------------------------------------------------------------------------- rendering


def render_template(template: Path, results: dict, context: dict) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(template.parent)),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    env.globals.update(Numbers(results).functions())
    env.globals.update(context)
    try:
        return env.get_template(template.name).render()
    except jinja2.UndefinedError as exc:
        raise ManuscriptError(f"{template.name}: {exc}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise ManuscriptError(f"{template.name}, line {exc.lineno}: {exc.message}") from None


TYPST_HEADER = """#show figure.caption: it => it.body
#show table: set text(size: 7.5pt)
#show quote: set text(size: 9pt)
#set page(margin: (x: 2cm, y: 2.2cm))
"""


def embed_table(markdown: str, number: int, caption: str) -> str:
    """A formatted table from reports/tables/ with its heading turned into a caption."""
    lines = markdown.strip().split("\n")
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    table = [line for line in lines if line.startswith("|")]
    notes = [line for line in lines if line and not line.startswith("|")]
    return "\n".join(table) + f"\n\n: Table {number}. {caption}\n\n" + ("*" + " ".join(notes) + "*\n" if notes else "")


def _pandoc_args(meta: dict, root: Path) -> list[str]:
    args = ["--citeproc", f"--resource-path={root}"]
    for key, value in meta.items():
        args += ["--metadata", f"{key}={value}"]
    return args


def to_html(markdown: str, out: Path, root: Path, meta: dict) -> None:
    import pypandoc

    css = ("body{max-width:46em;margin:2em auto;padding:0 1em;font-family:Georgia,serif;line-height:1.5}"
           "table{border-collapse:collapse;font-size:.85em}th,td{border-bottom:1px solid #ccc;padding:.2em .5em}"
           "img{max-width:100%}figcaption,caption{font-size:.9em;color:#333}")
    header = root / ".manuscript-style.html"
    header.write_text(f"<style>{css}</style>\n", encoding="utf-8")
    try:
        pypandoc.convert_text(markdown, "html5", format="markdown", outputfile=str(out),
                              extra_args=_pandoc_args(meta, root) + ["--standalone", "--embed-resources",
                                                                     f"--include-in-header={header}"])
    finally:
        header.unlink(missing_ok=True)


def to_docx(markdown: str, out: Path, root: Path, meta: dict) -> None:
    import pypandoc

    pypandoc.convert_text(markdown, "docx", format="markdown", outputfile=str(out),
                          extra_args=_pandoc_args(meta, root))


def to_pdf(markdown: str, out: Path, root: Path, meta: dict) -> None:
    import datetime as dt

    import pypandoc
    import typst

    header = root / ".manuscript-header.typ"
    header.write_text(TYPST_HEADER, encoding="utf-8")
    try:
        source = pypandoc.convert_text(markdown, "typst", format="markdown",
                                       extra_args=_pandoc_args(meta, root) + ["--standalone",
                                                                              f"--include-in-header={header}"])
    finally:
        header.unlink(missing_ok=True)
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "1761436800"))
    typ = root / ".manuscript.typ"
    typ.write_text(source, encoding="utf-8")
    try:
        pdf = typst.compile(str(typ), root=str(root), ignore_system_fonts=True,
                            timestamp=dt.datetime.fromtimestamp(epoch, dt.timezone.utc))
    finally:
        typ.unlink(missing_ok=True)
    from .io import write_bytes

    write_bytes(out, pdf)


def build(template: Path, results: dict, context: dict, meta: dict, folder: Path | None = None) -> dict[str, Path]:
    """Render the template, check its numbers, and write .md, .html, .docx and .pdf.

    pandoc runs from the template's folder, so that the bibliography and the CSL
    style are found by the relative names in the front matter: an absolute path given
    as metadata would be copied into the DOCX properties."""
    import contextlib
    from .io import write_text

    folder = folder or paths.reports_dir()
    text = render_template(template, results, context)
    stray = stray_numbers(text, results)
    if stray:
        raise ManuscriptError("the manuscript contains numbers that reports/results.json does not hold: "
                              + ", ".join(stray))
    out = {"md": folder / "manuscript.md", "html": folder / "manuscript.html", "docx": folder / "manuscript.docx",
           "pdf": folder / "manuscript.pdf"}
    write_text(out["md"], text)
    folder = folder.resolve()
    with contextlib.chdir(template.parent):
        to_html(text, out["html"], folder, meta)
        to_docx(text, out["docx"], folder, meta)
        to_pdf(text, out["pdf"], folder, meta)
    return out


def context(study, tables_dir: Path) -> dict:
    """What the template needs besides results.json: the formatted tables, the
    exemplar quotes (one per code) and whether the data are synthetic."""
    import pandas as pd

    def table(stem: str, number: int, caption: str) -> str:
        return embed_table((tables_dir / f"{stem}.md").read_text(encoding="utf-8"), number, caption)

    quotes = pd.read_csv(tables_dir / "exemplar_quotes.csv", dtype={"source_id": str})
    theme_of = dict(zip(study.codebook["code"], study.codebook["theme"]))
    order = {code: i for i, code in enumerate(study.codebook["code"])}
    first = quotes[quotes["rank"] == 1].copy()
    first["order"] = first["code"].map(order)
    rows = [{"theme": theme_of.get(r.code, ""), "quote": r.quote, "source_type": r.source_type.replace("_", " "),
             "source_id": r.source_id, "unit": int(r.unit)} for r in first.sort_values("order").itertuples()]
    return {
        "synthetic": bool(study.dataset.get("synthetic")),
        "seed": study.dataset.get("seed"),
        "quotes": rows,
        "table1": table("table1_demographics", 1, "Baseline characteristics by arm."),
        "table2": table("table2_outcomes", 2, "Outcomes after the intervention by arm."),
        "table3": table("irr", 3, "Agreement between the coders, by code."),
        "table4": joint_table(tables_dir, 4, "Joint display of the themes and the survey outcomes."),
    }


def build_checklists(folder: Path, results: dict, out_dir: Path) -> list[Path]:
    """Render the reporting checklists (COREQ, CONSORT) from their templates."""
    from .io import write_text

    written = []
    for template in sorted(folder.glob("*.md.j2")):
        text = render_template(template, results, {})
        stray = stray_numbers(text, results)
        if stray:
            raise ManuscriptError(f"{template.name} contains numbers that results.json does not hold: {stray}")
        path = out_dir / template.name.removesuffix(".j2")
        write_text(path, text)
        written.append(path)
    return written


def joint_table(tables_dir: Path, number: int, caption: str) -> str:
    """The joint display without its quotations (the text quotes them)."""
    import pandas as pd

    from .outcomes import OUTCOME_LABELS

    joint = pd.read_csv(tables_dir / "joint_display.csv")
    lines = ["| Theme (code) | Outcome | Raised it, control / intervention | Outcome, control / intervention | "
             "Agreement | Judgement |", "| :--- | :--- | ---: | ---: | ---: | :--- |"]
    for r in joint.itertuples(index=False):
        lines.append(f"| {r.code.replace('_', ' ')} | {OUTCOME_LABELS.get(r.outcome, r.outcome)} | "
                     f"{r.talk_control_percent:.0f}% / {r.talk_intervention_percent:.0f}% | "
                     f"{r.outcome_control_percent:.0f}% / {r.outcome_intervention_percent:.0f}% | "
                     f"{r.agreement_percent:.0f}% | {r.judgement} |")
    return "\n".join(lines) + f"\n\n: Table {number}. {caption}\n"
