"""The reviewers' landing page, ``reports/index.html``, and the executed notebooks
rendered as HTML.

Everything is static and local: no scripts, no web fonts, no request to any other
host. Links are relative, so the pages work opened from the file system and from any
static host.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from compendium.core import paths

STYLE = (
    "body{max-width:60em;margin:2em auto;padding:0 1em;font-family:system-ui,-apple-system,'Segoe UI',"
    "sans-serif;line-height:1.5;color:#222}h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}"
    "code{background:#f4f4f4;padding:0 .2em}ul{padding-left:1.2em}li{margin:.2em 0}"
    ".note{background:#fff6e0;border-left:4px solid #E69F00;padding:.5em 1em}"
    "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left}"
    "img{max-width:100%}"
)


def notebook_html(ipynb: Path, out: Path) -> None:
    """An executed notebook as a self-contained HTML page with no scripts."""
    import nbformat
    from nbconvert import HTMLExporter

    from compendium.core.io import write_text

    exporter = HTMLExporter(template_name="basic")
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nbformat.read(ipynb, as_version=4))
    body = re.sub(r"<script\b.*?</script>", "", body, flags=re.S)
    page = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(ipynb.stem)}'
        f"</title><style>{STYLE}.jp-InputArea pre,.highlight pre{{background:#f6f6f6;padding:.5em;overflow:auto}}"
        f'</style></head><body><p><a href="../index.html">← back to the compendium</a></p>\n{body}\n</body></html>\n'
    )
    write_text(out, page)


def _links(files: list[Path], root: Path) -> str:
    return "".join(
        f'<li><a href="{html.escape(p.relative_to(root).as_posix())}">'
        f"{html.escape(p.relative_to(root).as_posix())}</a></li>"
        for p in files
    )


def verification_headline(summary: dict, twin: bool) -> str:
    """The index page's sentence on the verification report.

    On the shipped synthetic study, whose data were written to reproduce the paper,
    the count of reproduced numbers is the headline. On any other data the published
    numbers belong to another study: the same count is a comparison ("within their
    rounding in these data"), not a failure count."""
    match, claims = int(summary.get("match", 0)), int(summary.get("claims", 0))
    if twin:
        return f"{match} of {claims} numbers printed in the paper are reproduced."
    return (
        f"Comparison with the original study: {match} of {claims} published numbers are within their rounding "
        "in these data. The original study's numbers describe other learners, so differences are expected; "
        "the report sets each one beside the value these data give."
    )


def about_html(meta: dict) -> str:
    """The About-the-data box: what the study's description (dataset.yaml) says, each
    missing item marked "[to be completed]"."""
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in meta["about"])
    return f'<h2>About the data</h2><table class="about">{rows}</table>'


def index_html(root: Path, summary: dict, synthetic_note: str, meta: dict | None = None, twin: bool = True) -> str:
    tables = sorted(p for p in (root / "tables").glob("*") if p.suffix in (".csv", ".md"))
    figures = sorted((root / "figures").glob("*.png"))
    notebooks = sorted((root / "notebooks").glob("*.html"))
    checklists = sorted((root / "checklists").glob("*.md"))
    qda = sorted((root / "qda").glob("*"))
    by_stem: dict[str, list[Path]] = {}
    for t in tables:
        by_stem.setdefault(t.stem, []).append(t)
    table_items = "".join(
        f"<li>{html.escape(stem)}: "
        + ", ".join(f'<a href="tables/{html.escape(p.name)}">{p.suffix[1:]}</a>' for p in files)
        + "</li>"
        for stem, files in by_stem.items()
    )
    figure_items = "".join(
        f'<li><a href="figures/{html.escape(p.name)}">{html.escape(p.stem)}</a>'
        + (f' (<a href="figures/{html.escape(p.stem)}.svg">svg</a>)' if (p.with_suffix(".svg")).exists() else "")
        + "</li>"
        for p in figures
    )
    note = f'<p class="note">{html.escape(synthetic_note)}</p>' if synthetic_note else ""
    about = about_html(meta) if meta else ""
    title = "Medical learners' anti-racist activism" if twin or not meta else str(meta["title"])
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Research compendium: {html.escape(title)}</title><style>{STYLE}</style></head>
<body>
<h1>{html.escape(title)}: a reproducible research compendium</h1>
<p>A mixed-methods study of what moves medical learners to anti-racist activism, what they do and what stands in
their way, with a two-arm survey of competence, participation, leadership and perceived support. Every file linked
below was produced by the compendium's pipeline from <code>data/raw/</code> and <code>params.yaml</code>.</p>
{note}
{about}
<h2>Rerun it</h2>
<p>With Python 3.11: <code>make reproduce</code> runs the whole pipeline, <code>make test</code> runs the test
suite, and <code>make verify</code> reruns everything in a fresh clone and checks that the files below come back
byte for byte{" and that every published claim is reproduced" if twin else ""}.</p>
<h2>Manuscript</h2>
<ul><li><a href="manuscript.html">HTML</a></li><li><a href="manuscript.pdf">PDF</a></li>
<li><a href="manuscript.docx">DOCX</a></li><li><a href="manuscript.md">Markdown</a></li></ul>
<h2>Verification and provenance</h2>
<p>{html.escape(verification_headline(summary, twin))} See <a href="verification.md">the verification report</a>.</p>
<ul><li><a href="verification.md">verification.md</a> and <a href="verification.json">verification.json</a></li>
<li><a href="provenance.json">provenance.json</a>: commit, input hashes, parameters, environment</li>
<li><a href="results.json">results.json</a>: every number the tables and the manuscript cite</li></ul>
<h2>Tables</h2><ul>{table_items}</ul>
<h2>Figures</h2><ul>{figure_items}</ul>
<h2>Executed notebooks</h2><ul>{_links(notebooks, root)}</ul>
<h2>Reporting checklists</h2><ul>{_links(checklists, root)}</ul>
<h2>For qualitative-analysis software</h2><ul>{_links(qda, root)}</ul>
{ARCHIVE_SECTION}
</body>
</html>
"""


WRITTEN_AFTER = ("../ro-crate-metadata.json",)  # by the stage after this one (it hashes index.html)

ARCHIVE_SECTION = """<h2>For archives and codecheckers</h2>
<ul><li><a href="../ro-crate-metadata.json">ro-crate-metadata.json</a>: RO-Crate of the last run (Provenance Run
Crate): every stage with its notebook, inputs, parameters and outputs, with SHA-256</li>
<li><a href="tables/datapackage.json">tables/datapackage.json</a>: Frictionless Data Package of the result tables</li>
<li><a href="datapackage-raw.json">datapackage-raw.json</a>: Data Package of the raw-data contract
(<code>compendium datapackage</code> puts it into a data folder for <code>frictionless validate</code>)</li>
<li><a href="../codemeta.json">codemeta.json</a> (CodeMeta) and <a href="../.zenodo.json">.zenodo.json</a>
(Zenodo)</li>
<li><a href="../codecheck.yml">codecheck.yml</a> (CODECHECK) and
<a href="codecheck-certificate.md">a certificate draft</a></li></ul>"""


def local_links(page: str) -> list[str]:
    """Relative href and src targets of a page (for the link check)."""
    targets = re.findall(r'(?:href|src)="([^"#]+)"', page)
    return [t for t in targets if not re.match(r"^[a-z]+:", t)]


def build(root: Path | None = None) -> Path:
    from compendium.core.io import read_json, write_text

    root = root or paths.reports_dir()
    for ipynb in sorted((root / "notebooks").glob("*.ipynb")):
        notebook_html(ipynb, ipynb.with_suffix(".html"))
    verification = read_json(root / "verification.json") if (root / "verification.json").is_file() else {}
    from compendium.data.validated import read_study, synthetic_note
    from compendium.reporting.manuscript import is_paper_twin, read_citation, study_meta

    dataset = read_study().dataset
    twin = is_paper_twin(dataset)
    note = synthetic_note(dataset)
    page = index_html(root, verification.get("summary", {}), note, study_meta(dataset, read_citation(), twin), twin)
    missing = [t for t in local_links(page) if not (root / t).exists() and t not in WRITTEN_AFTER]
    if missing:
        raise FileNotFoundError(f"index.html would link to files that do not exist: {missing}")
    out = root / "index.html"
    write_text(out, page)
    return out
