"""The reviewers' landing page, ``reports/index.html``; every Markdown report rendered
as an HTML page under ``reports/site/``; the executed notebooks rendered as HTML.

The landing page opens with what a reviewer should check first (the verification
report, Tables 1 and 2 beside the published ones, ``make verify`` and its measured run
time, and which agreements with the paper hold by construction of synthetic data),
then maps each manuscript table and figure to its files and the notebook that computed
it, and captions every table and figure.

Everything is static and local: no scripts, no web fonts, no request to any other
host. Links are relative, so the pages work opened from the file system and from any
static host. One stylesheet, ``manuscript/compendium.css``, is inlined into every page
(and is meant for ``reports/manuscript.html`` too). Same inputs, same bytes: no clock
time, sorted listings, pandoc at the locked version.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from compendium.core import paths
from compendium.reporting.tables import cardify
from compendium.reporting.wording import SOURCE_NOUNS, source_type_names, verification_headline

STYLESHEET = "manuscript/compendium.css"  # relative to the project root; a dependency of 14-build-site
SITE = "site"  # reports/site/: the Markdown reports as HTML pages
FALLBACK_STYLE = "body{max-width:60em;margin:2em auto;padding:0 1em;font-family:system-ui,sans-serif;line-height:1.5}"


def stylesheet(root: Path | None = None) -> str:
    """The shared stylesheet's text (a minimal one if the file is missing, e.g. in a test folder)."""
    path = (root or paths.project_root()) / STYLESHEET
    return path.read_text(encoding="utf-8") if path.is_file() else FALLBACK_STYLE


def page(title: str, body: str, css: str, back: str | None = None, source: str | None = None) -> str:
    """A complete HTML page: viewport meta, the inlined stylesheet, an optional link back;
    ``source``, the digest of what the page was made from (:func:`inputs_digest`), goes
    into a comment on the second line."""
    nav = f'<p class="back"><a href="{html.escape(back)}">← back to the compendium</a></p>\n' if back else ""
    stamp = f"<!-- {SOURCE_STAMP}{source} -->\n" if source else ""
    return (
        f'<!DOCTYPE html>\n{stamp}<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{css}</style>\n</head>\n<body>\n{nav}<main>\n{body}\n</main>\n"
        "</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- pages made once

# The pages of the executed notebooks and of the Markdown reports change only when their
# source does, yet converting them (nbconvert, pandoc) was most of this stage's time,
# paid again after every edit of the manuscript. Each such page carries the digest of
# everything it is made from, and a page whose digest is unchanged is left as it is: it
# would be written with the same bytes.
SOURCE_STAMP = "made from sha256:"
_RENDERERS = ("nbconvert", "nbformat", "mistune", "pygments", "jinja2", "pypandoc-binary")


@lru_cache(maxsize=1)
def _renderer_digest() -> str:
    """This module's own code and the versions of the converters it calls."""
    import hashlib
    from importlib import metadata

    digest = hashlib.sha256(Path(__file__).read_bytes())
    for name in _RENDERERS:
        try:
            digest.update(f"{name}=={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} absent;".encode())
    return digest.hexdigest()


def inputs_digest(*parts: str | bytes) -> str:
    """SHA-256 of a page's inputs, with :func:`_renderer_digest` (so that a change of
    this module or of a converter remakes every page)."""
    import hashlib

    digest = hashlib.sha256(_renderer_digest().encode())
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def is_current(out: Path, digest: str) -> bool:
    """Whether ``out`` already is the page made from inputs with this digest."""
    try:
        with open(out, "rb") as fh:
            head = fh.read(200)
    except OSError:
        return False
    return f"<!-- {SOURCE_STAMP}{digest} -->".encode() in head.split(b"\n", 2)[1:2]


# --------------------------------------------------------------------------- tables as cards


def html_table(header: list[str], rows: list[list[str]], caption: str = "", cls: str = "") -> str:
    """A table from already-escaped cell HTML, in the cards layout."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>\n" for r in rows)
    cap = f"<caption>{caption}</caption>" if caption else ""
    attr = f' class="{cls}"' if cls else ""
    return cardify(f"<table{attr}>{cap}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody></table>")


# --------------------------------------------------------------------------- Markdown reports as HTML


def markdown_title(text: str, fallback: str) -> str:
    """The first level-1 heading of a Markdown text, without emphasis marks."""
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip().replace("**", "").replace("`", "")
    return fallback


def markdown_fragment(text: str) -> str:
    """Markdown (GitHub-flavoured, as the pipeline writes it) as an HTML fragment, by pandoc."""
    import pypandoc

    return pypandoc.convert_text(text, "html5", format="gfm", extra_args=["--wrap=none"])


def twin_path(md: str) -> str:
    """Where the HTML page of a Markdown report under reports/ goes (relative to reports/)."""
    if md == "manuscript.md":
        return "manuscript.html"
    return f"{SITE}/{md[: -len('.md')]}.html"


def _relative(target: str, start: str) -> str:
    """``target`` (relative to reports/) as a link from the page ``start`` (relative to reports/)."""
    import posixpath

    return posixpath.relpath(target, posixpath.dirname(start) or ".")


def render_markdown_reports(root: Path, css: str) -> dict[str, str]:
    """Render every Markdown report under ``root`` (but the manuscript, which has its own
    HTML) to ``root/site/...html``; links between reports point to the HTML pages. Pages
    of reports that no longer exist are removed. Returns {markdown path: title}."""
    from compendium.core.io import write_text

    site = root / SITE
    sources = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.md")
        if p.relative_to(root).parts[0] != SITE and p.name != "manuscript.md"
    )
    written, titles = set(), {}
    for md in sources:
        text = (root / md).read_text(encoding="utf-8")
        title = markdown_title(text, caption_from_stem(Path(md).stem))
        out = twin_path(md)
        written.add((root / out).resolve())
        titles[md] = title
        digest = inputs_digest(md, text, css)
        if is_current(root / out, digest):
            continue
        body = markdown_fragment(text)

        def relink(m: re.Match, out: str = out, md: str = md) -> str:
            target = m.group(2)
            if target.endswith(".md") and not re.match(r"^[a-z]+:", target):
                resolved = _normalise(str(Path(md).parent / target))
                return f'{m.group(1)}="{_relative(twin_path(resolved), out)}"'
            return m.group(0)

        body = re.sub(r'(href)="([^"#]+)"', relink, body)
        source_link = f'<p class="muted">Source: <a href="{_relative(md, out)}">{html.escape(Path(md).name)}</a></p>'
        article = f'<article class="report">\n{cardify(body)}\n</article>\n{source_link}'
        write_text(root / out, page(title, article, css, back=_relative("index.html", out), source=digest))
    if site.is_dir():
        for stale in sorted(site.rglob("*.html")):
            if stale.resolve() not in written:
                stale.unlink()
    return titles


def _normalise(path: str) -> str:
    import posixpath

    return posixpath.normpath(path.replace("\\", "/"))


# --------------------------------------------------------------------------- captions


# Captions of figures that the manuscript does not show, until reporting.figures has its
# own (see figure_caption). Keyed by the figure's file stem, a fixed interface of the
# pipeline (README "What you get"); nothing here names the study's codes or arms.
FIGURE_CAPTIONS = {
    "participant_flow": "Participant flow: learners allocated, withdrawn, followed up and analysed, by arm.",
    "outcome_proportions": "Learners with each outcome, by arm, with Wilson 95% confidence intervals.",
    "effects_forest": "Odds ratios of the intervention against control for each outcome: unadjusted, adjusted and "
    "stratified (Mantel-Haenszel), with 95% confidence intervals.",
    "likert_cultural_competence": "Answers to the cultural-competence items before and after the intervention, "
    "by arm (diverging bars: disagreement to the left, agreement to the right).",
    "likert_support": "Answers to the perceived-support items before and after the intervention, by arm "
    "(diverging bars).",
    "agreement_by_code": "Agreement between the two coders for each code: Cohen's kappa and Krippendorff's alpha, "
    "beside the agreement threshold of the analysis.",
    "themes_by_group": "Coded units of each theme by source type and by arm.",
    "code_cooccurrence": "How often two codes were applied to the same unit of text.",
    "joint_display": "Joint display: for each code linked to a survey outcome, the share of learners who raised "
    "it beside the share with the outcome, by arm.",
    "conceptual_framework": "Conceptual framework: codes grouped by theme, joined where they occur together more "
    "often than chance.",
}
TABLE_CAPTIONS = {  # for a table written as CSV only, or whose own title is a single word
    "correlations": "Correlations: change in cultural competence against perceived support, and previous activism "
    "and age against each outcome, with Fisher-z confidence intervals and Holm-adjusted p.",
    "deidentification": "De-identification: identifiers replaced, by kind (counts only), with recall and precision "
    "on a held-out benchmark.",
    "sites": "Sites: the outcomes by site and their pooled estimates, or why there is nothing to pool.",
    "table2_by_site": "Outcomes by arm within each site.",
    "meta_analysis": "Pooled risk difference and odds ratio across sites (DerSimonian-Laird), with tau² and I².",
}
CHECK_NAMES = {
    "change_language": "Differences between arms described as changes over time",
    "debit": "DEBIT (SD of a binary variable from its mean)",
    "duplicate_references": "Duplicate references",
    "grim": "GRIM (means attainable with the sample size)",
    "grimmer": "GRIMMER (standard deviations attainable with the sample size)",
    "sums_to_100": "Categories that should add up to 100%",
    "table2_p_values": "p-values of Table 2 recomputed from the printed percentages",
}


def caption_from_stem(stem: str) -> str:
    """A readable phrase from a file stem (the last resort: never shown alone when a title exists)."""
    words = stem.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] + "."


def figure_caption(stem: str, manuscript: dict[str, str] | None = None, context: dict | None = None) -> str:
    """The caption of a figure, by its file stem.

    HOOK (one place for all figure captions): when :mod:`compendium.reporting.figures`
    defines ``caption(stem) -> str | None``, its caption wins; otherwise the caption the
    manuscript prints for the figure, then :data:`FIGURE_CAPTIONS`, then the per-outcome
    site forest plots, then a phrase made from the stem."""
    from compendium.reporting import figures

    own = getattr(figures, "caption", None)
    if callable(own):
        text = own(stem, context) if context is not None else own(stem)
        if text:
            return str(text)
    if manuscript and stem in manuscript:
        return manuscript[stem]
    if stem in FIGURE_CAPTIONS:
        return FIGURE_CAPTIONS[stem]
    if stem.startswith("forest_sites_"):
        from compendium.quantitative.outcomes import OUTCOME_LABELS

        outcome = stem[len("forest_sites_") :]
        label = OUTCOME_LABELS.get(outcome, outcome.replace("_", " "))
        return f"{label}: risk difference by site, with the pooled estimate (DerSimonian-Laird) and 95% CIs."
    return caption_from_stem(stem)


def table_caption(stem: str, titles: dict[str, str]) -> str:
    """A table's caption: the title its Markdown file gives itself, unless that is one word
    and :data:`TABLE_CAPTIONS` says more; else :data:`TABLE_CAPTIONS`, else a phrase from the stem."""
    md = f"tables/{stem}.md"
    if md in titles and (len(titles[md].split()) > 1 or stem not in TABLE_CAPTIONS):
        return titles[md].rstrip(".") + "."
    return TABLE_CAPTIONS.get(stem, caption_from_stem(stem))


# --------------------------------------------------------------------------- which stage wrote which file


@dataclass
class Stage:
    name: str
    cmd: str
    notebook: str = ""  # notebooks/NN-....ipynb when the stage runs one
    executed: str = ""  # where the executed copy goes, relative to the project root
    outs: list[str] = field(default_factory=list)

    @property
    def number(self) -> str:
        m = re.match(r"^(\d+)-", self.name)
        return m.group(1) if m else ""


def stages(project: Path) -> list[Stage]:
    """The pipeline's stages from ``dvc.yaml``, in its order (empty if there is none)."""
    import yaml

    path = project / "dvc.yaml"
    if not path.is_file():
        return []
    found = []
    for name, spec in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("stages", {}).items():
        cmd = " ".join(str(spec.get("cmd", "")).split())
        outs = [next(iter(o)) if isinstance(o, dict) else str(o) for o in spec.get("outs", [])]
        stage = Stage(name, cmd, outs=outs)
        m = re.search(r"run-notebook (\S+\.ipynb)", cmd)
        if m:
            stage.notebook = m.group(1)
            o = re.search(r"(?:-o|--output) (\S+)", cmd)
            stage.executed = o.group(1) if o else f"reports/notebooks/{Path(m.group(1)).name}"
        found.append(stage)
    return found


def producer(relpath: str, pipeline: list[Stage], project: Path) -> Stage | None:
    """The stage that writes ``reports/<relpath>``: the one that declares it as an output,
    else (optional outputs DVC cannot declare, e.g. per-site tables) the first notebook
    stage whose executed notebook names the file's stem as a word, else the longest
    ``_``-prefix of it (at least two parts: ``forest_sites_``)."""
    target = f"reports/{relpath}"
    for stage in pipeline:
        if target in stage.outs or any(target.startswith(o.rstrip("/") + "/") for o in stage.outs):
            return stage
    stem = Path(relpath).stem
    parts = stem.split("_")
    probes = [rf"\b{re.escape(stem)}\b"]  # the stem as a word, then ever shorter prefixes ("forest_sites_")
    probes += [rf"\b{re.escape('_'.join(parts[:k]))}_" for k in range(len(parts) - 1, 1, -1)]
    texts = {}
    for stage in pipeline:
        executed = project / stage.executed if stage.executed else None
        if executed and executed.is_file():
            texts[stage.name] = executed.read_text(encoding="utf-8")
    for probe in probes:
        for stage in pipeline:
            if stage.name in texts and re.search(probe, texts[stage.name]):
                return stage
    return None


def notebook_link(stage: Stage | None, root: Path) -> str:
    if stage is None:
        return '<span class="muted">not recorded</span>'
    label = html.escape(f"{stage.number} {stage.name[len(stage.number) + 1 :]}" if stage.number else stage.name)
    page_ = Path(stage.executed).with_suffix(".html").name if stage.executed else ""
    if page_ and (root / "notebooks" / page_).is_file():
        return f'<a class="nb" href="notebooks/{html.escape(page_)}">{label}</a>'
    return f'<span class="nb">{label}</span>'


# --------------------------------------------------------------------------- the manuscript's tables and figures


def manuscript_items(markdown: str) -> list[dict]:
    """Tables and figures of the rendered manuscript (``reports/manuscript.md``), in order:
    kind, number, caption, and for a figure the file it embeds; for a table the rows of
    the table it prints (to find its file)."""
    lines = markdown.splitlines()
    items = []
    for i, line in enumerate(lines):
        fig = re.match(r"^!\[(Figure (\d+)\.\s*(.*?))\]\(([^)\s]+)", line)
        cap = re.match(r"^:\s*(Table (\d+)\.\s*(.*))$", line) or re.match(r"^Table:\s*(Table (\d+)\.\s*(.*))$", line)
        if fig:
            items.append({"kind": "Figure", "number": int(fig.group(2)), "caption": fig.group(3), "file": fig.group(4)})
        elif cap:
            j = i - 1
            block: list = []
            while j >= 0 and (not lines[j].strip() or lines[j].lstrip()[:1] in "|+"):
                if lines[j].strip():
                    block.insert(0, lines[j])
                j -= 1
            items.append({"kind": "Table", "number": int(cap.group(2)), "caption": cap.group(3), "rows": block})
    return items


def _tokens(lines: list[str]) -> set[str]:
    """The words and numbers of a Markdown table's cells (rule lines skipped), lower case,
    identifiers split at underscores: what survives relabelling and merged columns."""
    found = set()
    for line in lines:
        if re.match(r"^\s*[|+][\s:|+=-]*$", line):  # a rule line
            continue
        found.update(re.findall(r"[a-z0-9][a-z0-9.%]*", line.lower().replace("_", " ")))
    return found


def match_table(rows: list[str], root: Path) -> str | None:
    """The stem of the table under ``tables/`` whose words and numbers the manuscript's
    table shares most (Jaccard index, at least 0.2), or None."""
    mine = _tokens(rows)
    if not mine:
        return None
    best, score = None, 0.2
    for md in sorted((root / "tables").glob("*.md")):
        theirs = _tokens([ln for ln in md.read_text(encoding="utf-8").splitlines() if ln.startswith("|")])
        if theirs:
            j = len(mine & theirs) / len(mine | theirs)
            if j > score:
                best, score = md.stem, j
    return best


def _files(root: Path, folder: str, stem: str, titles: dict[str, str]) -> str:
    """Links to every format of one table or figure: the HTML page first, then the sources."""
    links = []
    md = f"{folder}/{stem}.md"
    if md in titles:
        links.append(f'<a href="{twin_path(md)}">HTML</a>')
    for suffix, label in ((".csv", "CSV"), (".md", "Markdown"), (".png", "PNG"), (".svg", "SVG"), (".pdf", "PDF")):
        if (root / folder / f"{stem}{suffix}").is_file():
            links.append(f'<a href="{folder}/{html.escape(stem)}{suffix}">{label}</a>')
    return '<span class="files">' + " · ".join(links) + "</span>" if links else ""


# --------------------------------------------------------------------------- what to check first


def _recomputed(claim: dict) -> str:
    """The recomputed value as the report states it at the paper's precision."""
    rule = str(claim.get("rule", ""))
    if ": " in rule:
        return rule.split(": ", 1)[1]
    value = claim.get("recomputed")
    if rule.startswith("recomputed p") and isinstance(value, (int, float)):
        return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"  # the value, not the rule it was checked by
    if rule.startswith("recomputed "):
        return rule[len("recomputed ") :]
    value = claim.get("recomputed")
    return "–" if value is None else f"{value:g}"


STATUS_WORDS = {
    True: {"match": "agrees", "mismatch": "differs", "not reproducible from the data": "not reproducible"},
    False: {"match": "within the printed rounding", "mismatch": "differs", "not reproducible from the data": "–"},
}


def tables_beside_paper(claims: list[dict], twin: bool) -> tuple[str, int]:
    """Tables 1 and 2 of the paper beside the recomputed values (from verification.json)."""
    rows = []
    for c in claims:
        where = str(c.get("where", ""))
        if not re.match(r"^Table [12]\b", where):
            continue
        arm = str(c.get("id", "")).rsplit(".", 1)[-1]
        arm = arm if arm in ("control", "intervention") else ""
        status = STATUS_WORDS[twin].get(str(c.get("status")), str(c.get("status")))
        rows.append(
            [
                html.escape(where),
                html.escape(arm),
                html.escape(str(c.get("text", ""))),
                html.escape(_recomputed(c)),
                html.escape(status),
            ]
        )
    theirs = "The paper prints" if twin else "The original study printed"
    ours = "This pipeline computes" if twin else "These data give"
    return html_table(["Where", "Arm", theirs, ours, "Agreement"], rows), len(rows)


def verify_time(project: Path) -> str:
    """The expected run time of ``make verify`` from the last benchmark, or a plain statement
    that it was not measured."""
    path = project / "bench" / "latest.json"
    try:
        bench = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        bench = {}
    seconds = bench.get("verify_s", bench.get("cold_s"))
    if not isinstance(seconds, int | float):
        return (
            "Its run time has not been measured on this machine (no <code>bench/latest.json</code>; "
            "<code>make bench</code> measures it)."
        )
    cpus = (bench.get("machine") or {}).get("cpus")
    on = f" on a machine with {cpus} CPUs" if cpus else ""
    what = "make verify" if "verify_s" in bench else "the forced rerun of every stage that it runs"
    return (
        f"Expected run time: about {max(1, round(seconds))} s for {html.escape(what)}{on} "
        "(measured by <code>make bench</code>, <code>bench/latest.json</code>), plus the clone, and a few minutes "
        "the first time to build <code>.venv</code> from the lock file."
    )


def construction_html(report: dict, n_beside: int) -> str:
    """Which agreements with the paper hold by construction of the synthetic twin, and
    which are computed independently of the data."""
    claims = [c for c in report.get("claims", []) if c.get("status") == "match"]  # agreements only
    pvals = [c for c in claims if "p_value" in str(c.get("id", ""))]
    direct = len(claims) - len(pvals)
    checks = report.get("checks", {})
    found = "".join(
        f"<li>{html.escape(CHECK_NAMES.get(k, caption_from_stem(k).rstrip('.')))}: "
        f"{int(v.get('problems', 0))} problem{'s' if int(v.get('problems', 0)) != 1 else ''} found</li>"
        for k, v in sorted(checks.items())
    )
    return f"""<dl class="construction">
<dt>By construction: {direct + len(pvals)} agreements that test the pipeline, not the study</dt>
<dd>The data are synthetic. Their generator was built to reproduce Tables 1 and 2 of the paper: it wrote learners
whose counts, percentages, means and standard deviations are the published ones. The {direct} numbers of Tables 1 and
2 and of the Results text that repeat them agree because they were put there; their agreement shows that the pipeline
reads the data, applies consent, counts and rounds as the paper did. The {len(pvals)} p-values follow from those
counts. None of this is evidence about the learners of the original study.</dd>
<dt>Computed independently of these data: checks on the published numbers alone</dt>
<dd>These read only what the paper prints, so their findings hold for the paper whatever data are run:
<ul>{found}</ul></dd>
<dt>Not in the paper: everything else</dt>
<dd>Effects, scale reliability, agreement between coders, themes, quotes and the joint display are computed from
the synthetic answers and transcripts. They show that the analysis runs and what it reports; they describe the
generator, not the study.</dd>
</dl>"""


def start_here(root: Path, project: Path, report: dict, twin: bool, titles: dict[str, str]) -> str:
    summary = report.get("summary", {})
    beside, n_beside = tables_beside_paper(report.get("claims", []), twin)
    if "verification.md" in titles:
        ver = (
            f'<a href="{twin_path("verification.md")}">the verification report</a> '
            '(<a href="verification.md">Markdown</a>, <a href="verification.json">JSON</a>)'
        )
    elif (root / "verification.md").is_file():  # not rendered (a page built outside the pipeline)
        ver = '<a href="verification.md">the verification report</a>'
    else:
        ver = "the verification report (<code>verification.md</code>, not yet written)"
    t1 = _files(root, "tables", "table1_demographics", titles)
    t2 = _files(root, "tables", "table2_outcomes", titles)
    ours = f"<p>This pipeline's Table 1: {t1}. Table 2: {t2}.</p>" if t1 or t2 else ""
    beside_block = (
        f"<details><summary>The {n_beside} numbers of Tables 1 and 2, "
        f"{'the paper' if twin else 'the original study'} beside {'this pipeline' if twin else 'these data'}"
        f"</summary>{beside}</details>"
        if n_beside
        else '<p class="muted">The verification report holds no number of Tables 1 and 2.</p>'
    )
    verify = (
        "<li><strong>Rerun everything yourself.</strong> <code>make verify</code> clones the last commit, reruns "
        "every stage from <code>data/raw/</code> and checks that every file under <code>reports/</code> comes back "
        f"byte for byte{' and that every published number is reproduced' if twin else ''}. "
        f"{verify_time(project)}</li>"
    )
    if twin:
        return f"""<section class="start" id="start-here">
<h2>Start here: what to check first</h2>
<ol>
<li><strong>The verification report.</strong> <span class="verdict">{html.escape(verification_headline(summary, twin))}
</span> Read {ver}: each number the paper prints beside the recomputed value, then checks of the paper's numbers on
their own. On these synthetic data the agreement holds by construction: it tests the pipeline, not the study
(point 4).</li>
<li><strong>Tables 1 and 2 beside the paper's.</strong>{ours}{beside_block}</li>
{verify}
<li id="by-construction"><strong>What the agreement with the paper means.</strong>
{construction_html(report, n_beside)}</li>
</ol>
</section>"""
    replication = (
        f'<a href="{twin_path("replication.md")}">the replication report</a> '
        '(<a href="replication.md">Markdown</a>'
        + (', <a href="replication.json">JSON</a>' if (root / "replication.json").is_file() else "")
        + "): each claim of the original study that these data can speak to, with its estimate and a verdict"
        + _replication_headline(root)
        if "replication.md" in titles
        else "the replication report (<code>reports/replication.md</code>) is not part of this run"
    )
    return f"""<section class="start" id="start-here">
<h2>Start here: a comparison with the original study</h2>
<ol>
<li><strong>These data are not the paper's.</strong>
{html.escape(verification_headline(summary, twin))} Nothing in them was made to agree with the paper, so an
agreement or a difference is a finding about this study beside the original one. Read {ver}, and
{replication}.</li>
<li><strong>Tables 1 and 2 beside the original study's.</strong>{ours}{beside_block}</li>
{verify}
</ol>
</section>"""


def _replication_headline(root: Path) -> str:
    """The replication report's one-sentence headline (``replication.json``), when it applies."""
    path = root / "replication.json"
    if not path.is_file():
        return ""
    report = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(report, dict) or not report.get("applies") or not report.get("headline"):
        return ""
    text = html.escape(str(report["headline"]))
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)  # the headline's Markdown emphasis
    return f' <span class="verdict">({text})</span>'


# --------------------------------------------------------------------------- the page


def about_html(meta: dict) -> str:
    """The About-the-data box: what the study's description (dataset.yaml) says, each
    missing item marked "[to be completed]"."""
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{inline_code(str(v))}</td></tr>" for k, v in meta["about"])
    return f'<h2 id="about">About the data</h2><table class="about">{rows}</table>'


def inline_code(text: str) -> str:
    """Escaped text with Markdown's `code` spans as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def manuscript_section(
    root: Path, project: Path, pipeline: list[Stage], titles: dict[str, str], fig_caps: dict[str, str]
) -> str:
    formats = [
        f'<a href="manuscript.{ext}">{label}</a>'
        for ext, label in (("html", "HTML"), ("pdf", "PDF"), ("docx", "DOCX"), ("md", "Markdown source"))
        if (root / f"manuscript.{ext}").is_file() or ext == "html"
    ]
    md = root / "manuscript.md"
    items = manuscript_items(md.read_text(encoding="utf-8")) if md.is_file() else []
    rows = []
    for item in items:
        if item["kind"] == "Figure":
            stem = Path(item["file"]).stem
            files = _files(root, "figures", stem, titles)
            stage = producer(f"figures/{Path(item['file']).name}", pipeline, project)
        else:
            stem = match_table(item["rows"], root) or ""
            files = _files(root, "tables", stem, titles) if stem else '<span class="muted">not identified</span>'
            stage = producer(f"tables/{stem}.csv", pipeline, project) if stem else None
        rows.append(
            [
                f"{item['kind']} {item['number']}",
                html.escape(item["caption"]),
                files,
                notebook_link(stage, root),
            ]
        )
    mapping = (
        "<h3>Where each table and figure of the manuscript comes from</h3>"
        + html_table(["Item", "Caption", "Files", "Computed by"], rows, cls="listing mapping")
        if rows
        else ""
    )
    return f'<h2 id="manuscript">Manuscript</h2><p>{" · ".join(formats)}</p>{mapping}'


def manuscript_tables(root: Path, items: list[dict]) -> dict[str, tuple[int, str]]:
    """The manuscript's tables by the stem of their file (:func:`match_table`): their
    number and caption in the manuscript, in its order."""
    found: dict[str, tuple[int, str]] = {}
    for item in items:
        if item["kind"] == "Table":
            stem = match_table(item["rows"], root)
            if stem and stem not in found:
                found[stem] = (item["number"], item["caption"])
    return found


SUPPLEMENT_PREFIX = re.compile(r"^(Table|Figure)\s+\d+\.\s*")


def supplementary_caption(caption: str) -> str:
    """A supplementary item's caption without a number of its own ('Table 2. ...'), which
    would clash with the manuscript's numbering."""
    return SUPPLEMENT_PREFIX.sub("", caption).strip()


def tables_section(
    root: Path,
    project: Path,
    pipeline: list[Stage],
    titles: dict[str, str],
    in_manuscript: dict[str, tuple[int, str]] | None = None,
) -> str:
    """Every table the pipeline writes with its caption, files and notebook: the
    manuscript's tables first, numbered and captioned as the manuscript has them and in
    its order, then the supplementary tables (S1, S2, ...) in the order the pipeline
    computes them."""
    in_manuscript = in_manuscript or {}
    stems = sorted({p.stem for p in (root / "tables").glob("*") if p.suffix in (".csv", ".md")})

    def order(stem: str) -> tuple:
        stage = producer(f"tables/{stem}.csv", pipeline, project) or producer(f"tables/{stem}.md", pipeline, project)
        index = next((i for i, s in enumerate(pipeline) if stage and s.name == stage.name), len(pipeline))
        outs = pipeline[index].outs if index < len(pipeline) else []
        position = next((i for i, o in enumerate(outs) if Path(o).stem == stem), len(outs))
        return in_manuscript.get(stem, (len(in_manuscript) + 1,))[0], index, position, stem

    main: list[list[str]] = []
    supplement: list[list[str]] = []
    for stem in sorted(stems, key=order):
        stage = producer(f"tables/{stem}.csv", pipeline, project) or producer(f"tables/{stem}.md", pipeline, project)
        if stem in in_manuscript:
            number, text = in_manuscript[stem]
            label = f"Table {number}."
        else:
            label = f"Table S{len(supplement) + 1}."
            text = supplementary_caption(table_caption(stem, titles))
        caption = f"<strong>{label}</strong> {html.escape(text)}"
        md = f"tables/{stem}.md"
        named = f'<a href="{twin_path(md)}">{caption}</a>' if md in titles else caption
        row = [named, _files(root, "tables", stem, titles), notebook_link(stage, root)]
        (main if stem in in_manuscript else supplement).append(row)
    if not main and not supplement:
        return ""
    head = ["Table", "Files", "Computed by"]
    parts = [
        '<h2 id="tables">All tables</h2><p>The CSV files keep every digit; the Markdown and HTML are '
        "rounded for reading.</p>"
    ]
    if main:
        parts.append('<h3 id="tables-manuscript">Tables of the manuscript</h3>' + html_table(head, main, cls="listing"))
    if supplement:
        parts.append(
            '<h3 id="tables-supplementary">Supplementary tables</h3><p>Tables the pipeline writes besides the '
            "manuscript's, in the order it computes them.</p>" + html_table(head, supplement, cls="listing")
        )
    return "".join(parts)


def figures_section(
    root: Path, project: Path, pipeline: list[Stage], titles: dict[str, str], fig_caps: dict[str, str]
) -> str:
    """Every figure at the column's width with its caption, files and notebook: the
    manuscript's figures first, in its order, then the supplementary ones (S1, S2, ...)
    in the order the pipeline computes them."""
    numbers = {stem: n for n, stem in enumerate(fig_caps, start=1)}  # fig_caps is in manuscript order

    def order(stem: str) -> tuple:
        stage = producer(f"figures/{stem}.png", pipeline, project)
        index = next((i for i, s in enumerate(pipeline) if stage and s.name == stage.name), len(pipeline))
        return numbers.get(stem, len(numbers) + 1), index, stem

    results_path = root / "results.json"
    context = json.loads(results_path.read_text(encoding="utf-8")) if results_path.is_file() else None
    blocks = []
    supplementary = 0
    for stem in sorted((p.stem for p in (root / "figures").glob("*.png")), key=order):
        if stem in numbers:
            caption = html.escape(figure_caption(stem, fig_caps, context))
            label = f"<strong>Figure {numbers[stem]} of the manuscript.</strong> "
        else:
            supplementary += 1
            caption = html.escape(supplementary_caption(figure_caption(stem, fig_caps, context)))
            label = f"<strong>Figure S{supplementary}.</strong> "
        stage = producer(f"figures/{stem}.png", pipeline, project)
        blocks.append(
            f'<figure id="figure-{html.escape(stem)}"><a href="figures/{html.escape(stem)}.png">'
            f'<img src="figures/{html.escape(stem)}.png" alt="{caption}" loading="lazy"></a>'
            f"<figcaption>{label}{caption}<br>{_files(root, 'figures', stem, titles)} · computed by "
            f"{notebook_link(stage, root)}</figcaption></figure>"
        )
    if not blocks:
        return ""
    return (
        '<h2 id="figures">All figures</h2><p>PNG at 300 dpi for reading, SVG for print.</p>'
        '<div class="gallery">' + "\n".join(blocks) + "</div>"
    )


def reports_section(root: Path, titles: dict[str, str]) -> str:
    """The Markdown reports that are not tables: verification, checklists, certificates, ..."""
    items = []
    for md, title in sorted(titles.items()):
        if md.startswith("tables/"):
            continue
        items.append(f'<a href="{twin_path(md)}">{html.escape(title)}</a> (<a href="{html.escape(md)}">Markdown</a>)')
    extra = [
        '<a href="provenance.json">Provenance</a> (JSON): commit, input hashes, parameters, environment',
        '<a href="results.json">Every number the tables and the manuscript cite</a> (JSON, stable dotted keys)',
    ]
    extra = [e for e in extra if (root / re.findall(r'href="([^"]+)"', e)[0]).is_file()]
    return '<h2 id="reports">Reports and checklists</h2>' + _list(items + extra)


def _notebook_title(path: Path) -> str:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            first = "".join(cell.get("source", [])).strip().splitlines()
            if first and first[0].startswith("#"):
                return re.sub(r"^#+\s*(\d+\s+)?", "", first[0]).strip()
    return ""


def pipeline_section(root: Path, project: Path, pipeline: list[Stage]) -> str:
    """Every stage in run order, numbered ones by their number, with its executed notebook."""
    rows = []
    for stage in pipeline:
        if stage.notebook:
            executed = project / stage.executed
            title = _notebook_title(executed) or _notebook_title(project / stage.notebook)
            page_ = root / "notebooks" / Path(stage.executed).with_suffix(".html").name
            if stage.executed.startswith("reports/") and page_.is_file():
                record = (
                    f'<a href="notebooks/{html.escape(page_.name)}">executed notebook</a> '
                    f'(<a href="notebooks/{html.escape(Path(stage.executed).name)}">ipynb</a>)'
                )
            elif stage.executed.startswith("reports/"):
                record = '<span class="muted">executed after this page was built</span>'
            else:
                record = (
                    f'<span class="muted">kept outside <code>reports/</code> (<code>{html.escape(stage.executed)}'
                    "</code>): it runs after this page and reads every file listed here, itself included</span>"
                )
            what = html.escape(title or caption_from_stem(stage.name))
        else:
            words = stage.cmd.split()
            command = " ".join(words[:2]) + (" …" if len(words) > 2 else "")
            what, record = f"<code>{html.escape(command)}</code>", '<span class="muted">a command, no notebook</span>'
        rows.append([html.escape(stage.number or "·"), f"<strong>{html.escape(stage.name)}</strong><br>{what}", record])
    if not rows:
        return ""
    return (
        '<h2 id="pipeline">The pipeline, stage by stage</h2><p>In the order DVC runs them '
        "(<code>dvc.yaml</code>); numbered stages run a notebook or a command of the package.</p>"
        + html_table(["No.", "Stage", "Record"], rows)
    )


def index_html(
    root: Path,
    summary: dict,
    synthetic_note: str,
    meta: dict | None = None,
    twin: bool = True,
    *,
    report: dict | None = None,
    titles: dict[str, str] | None = None,
    project: Path | None = None,
    css: str | None = None,
) -> str:
    """The landing page. ``report`` is verification.json (its ``summary`` defaults to
    ``summary``); ``titles`` maps each rendered Markdown report to its title."""
    report = dict(report or {})
    report.setdefault("summary", summary)
    titles = titles or {}
    project = project or root.parent
    css = css if css is not None else stylesheet(project)
    pipeline = stages(project)
    md = root / "manuscript.md"
    items = manuscript_items(md.read_text(encoding="utf-8")) if md.is_file() else []
    fig_caps = {Path(i["file"]).stem: i["caption"] for i in items if i["kind"] == "Figure"}
    note = f'<p class="note">{inline_code(synthetic_note)}</p>' if synthetic_note else ""
    about = about_html(meta) if meta else ""
    title = "Medical learners' anti-racist activism" if twin or not meta else str(meta["title"])
    qda = sorted((root / "qda").glob("*"))
    qda_list = _list([f'<a href="qda/{html.escape(p.name)}">{html.escape(p.name)}</a>' for p in qda]) if qda else ""
    contents = (
        '<nav class="toc"><p class="muted">On this page: <a href="#start-here">start here</a> · '
        '<a href="#manuscript">manuscript</a> · <a href="#tables">tables</a> · <a href="#figures">figures</a> · '
        '<a href="#reports">reports</a> · <a href="#pipeline">pipeline</a> · <a href="#archives">archives</a></p></nav>'
    )
    intro = INTRO_TWIN if twin else intro_other(_results(root))
    body = f"""<h1>{html.escape(title)}: a reproducible research compendium</h1>
<p class="prose">{intro} Every file linked below was produced by the compendium's
pipeline from <code>data/raw/</code> and <code>params.yaml</code>.</p>
{note}
{contents}
{start_here(root, project, report, twin, titles)}
{manuscript_section(root, project, pipeline, titles, fig_caps)}
{tables_section(root, project, pipeline, titles, manuscript_tables(root, items))}
{figures_section(root, project, pipeline, titles, fig_caps)}
{reports_section(root, titles)}
{pipeline_section(root, project, pipeline)}
{about}
<h2 id="rerun">Rerun it</h2>
<p>With Python 3.11: <code>make reproduce</code> runs the whole pipeline, <code>make test</code> runs the test
suite, and <code>make verify</code> reruns everything in a fresh clone and checks that the files above come back
byte for byte{" and that every published claim is reproduced" if twin else ""}.</p>
{"<h2>For qualitative-analysis software</h2>" + qda_list if qda_list else ""}
{ARCHIVE_SECTION}"""
    return page(f"Research compendium: {title}", body, css)


INTRO_TWIN = (
    "A mixed-methods study of what moves medical learners to anti-racist activism, what they do and what stands in "
    "their way, with a two-arm survey of competence, participation, leadership and perceived support."
)


def _results(root: Path) -> dict:
    path = root / "results.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def intro_other(results: dict) -> str:
    """The landing page's first sentence for a study other than the shipped twin: the
    source types it holds (``study.sources.*`` of results.json; absent types left out)."""
    types = [k.removeprefix("study.sources.") for k in results if k.startswith("study.sources.")]
    types = sorted(
        (t for t in types if t != "total"), key=lambda t: (list(SOURCE_NOUNS).index(t) if t in SOURCE_NOUNS else 99, t)
    )
    kinds = source_type_names({t: results.get(f"study.sources.{t}") for t in types}, SOURCE_NOUNS)
    return (
        f"A mixed-methods study: {kinds or 'sources'} coded with the study's codebook, and a two-arm survey of the "
        "four outcomes of the data contract, analysed as the original study was."
    )


WRITTEN_AFTER = ("../ro-crate-metadata.json",)  # by the stage after this one (it hashes index.html)

ARCHIVE_SECTION = """<h2 id="archives">For archives and codecheckers</h2>
<ul><li><a href="../ro-crate-metadata.json">ro-crate-metadata.json</a>: RO-Crate of the last run (Provenance Run
Crate): every stage with its notebook, inputs, parameters and outputs, with SHA-256</li>
<li><a href="tables/datapackage.json">tables/datapackage.json</a>: Frictionless Data Package of the result tables</li>
<li><a href="datapackage-raw.json">datapackage-raw.json</a>: Data Package of the raw-data contract
(<code>compendium datapackage</code> puts it into a data folder for <code>frictionless validate</code>)</li>
<li><a href="../codemeta.json">codemeta.json</a> (CodeMeta) and <a href="../.zenodo.json">.zenodo.json</a>
(Zenodo)</li>
<li><a href="../codecheck.yml">codecheck.yml</a> (CODECHECK) and
<a href="site/codecheck-certificate.html">a certificate draft</a>
(<a href="codecheck-certificate.md">Markdown</a>)</li></ul>"""


def local_links(page_: str) -> list[str]:
    """Relative href and src targets of a page (for the link check)."""
    targets = re.findall(r'(?:href|src)="([^"#]+)"', page_)
    return [html.unescape(t) for t in targets if not re.match(r"^[a-z]+:", t)]


@lru_cache(maxsize=1)
def _exporter() -> Any:
    """nbconvert's HTML exporter, made once: its templates are compiled on first use,
    which cost more than converting a notebook."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic")
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    return exporter


def notebook_html(ipynb: Path, out: Path, css: str | None = None) -> None:
    """An executed notebook as a self-contained HTML page with no scripts (left as it is
    when it was made from the same notebook, stylesheet and converters)."""
    import nbformat

    from compendium.core.io import write_text

    css = css if css is not None else stylesheet()
    digest = inputs_digest(ipynb.name, ipynb.read_bytes(), css)
    if is_current(out, digest):
        return
    body, _ = _exporter().from_notebook_node(nbformat.read(ipynb, as_version=4))
    body = re.sub(r"<script\b.*?</script>", "", body, flags=re.S)
    write_text(out, page(ipynb.stem, body, css, back="../index.html", source=digest))


def build(root: Path | None = None) -> Path:
    from compendium.core.io import read_json, write_text

    root = root or paths.reports_dir()
    project = paths.project_root()
    css = stylesheet(project)
    for ipynb in sorted((root / "notebooks").glob("*.ipynb")):
        notebook_html(ipynb, ipynb.with_suffix(".html"), css)
    titles = render_markdown_reports(root, css)
    verification = read_json(root / "verification.json") if (root / "verification.json").is_file() else {}
    from compendium.data.validated import is_paper_twin, read_study, synthetic_note
    from compendium.reporting.manuscript import read_citation, study_meta

    dataset = read_study().dataset
    twin = is_paper_twin(dataset)
    note = synthetic_note(dataset)
    page_ = index_html(
        root,
        verification.get("summary", {}),
        note,
        study_meta(dataset, read_citation(), twin),
        twin,
        report=verification,
        titles=titles,
        project=project,
        css=css,
    )
    missing = [t for t in local_links(page_) if not (root / t).exists() and t not in WRITTEN_AFTER]
    if missing:
        raise FileNotFoundError(f"index.html would link to files that do not exist: {missing}")
    out = root / "index.html"
    write_text(out, page_)
    return out
