"""What archives, registries and codecheckers read: the compendium in their languages.

* :func:`write_raw_package`: the Frictionless Data Package of a raw-data folder, built
  by :func:`compendium.data.package.raw_package`.
* :func:`results_package`: a Data Package describing every result table under
  ``reports/tables/``.
* :func:`codemeta` and :func:`zenodo`: CodeMeta 3.0 and Zenodo deposit metadata from
  ``CITATION.cff`` and ``pyproject.toml``.
* :func:`codecheck_config` and :func:`codecheck_certificate`: a CODECHECK
  configuration (1.0) whose manifest lists every table and figure with the manuscript
  label it backs, and a pre-filled certificate draft for a human codechecker.
* :func:`ro_crate`: an RO-Crate 1.3 (Process, Workflow and Provenance Run Crate 0.6
  profiles) of the last pipeline run, from ``dvc.yaml``, ``params.yaml`` and the files
  each stage read and wrote, with their SHA-256.

Every output is a pure function of files in the project: no clock time (dates come
from ``SOURCE_DATE_EPOCH``), no absolute path, sorted keys and lists, so a forced
rerun gives the same bytes. References: RO-Crate 1.3 (https://w3id.org/ro/crate/1.3);
Workflow Run RO-Crate profiles (https://w3id.org/ro/wfrun/); CodeMeta 3.0
(https://w3id.org/codemeta/3.0); Data Package v2 (https://datapackage.org/);
CODECHECK configuration 1.0 (https://codecheck.org.uk/spec/config/1.0/).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from pathlib import Path

from compendium.core import paths
from compendium.core.environment import EPOCH
from compendium.data.package import dumps, raw_package

CRATE = "ro-crate-metadata.json"
CODEMETA = "codemeta.json"
ZENODO = ".zenodo.json"
CODECHECK = "codecheck.yml"
RESULTS_PACKAGE = "reports/tables/datapackage.json"  # describes reports/tables/*.csv (paths relative to it)
RAW_PACKAGE = "reports/datapackage-raw.json"  # describes a raw-data folder; paths relative to that folder
CERTIFICATE = "reports/codecheck-certificate.md"
ARCHIVE_STAGE = "15-describe-archive"  # writes everything above but the crate
CRATE_STAGE = "16-ro-crate"

PROFILES = {
    "https://w3id.org/ro/wfrun/process/0.6": ("Process Run Crate", "0.6"),
    "https://w3id.org/ro/wfrun/workflow/0.6": ("Workflow Run Crate", "0.6"),
    "https://w3id.org/ro/wfrun/provenance/0.6": ("Provenance Run Crate", "0.6"),
    "https://w3id.org/workflowhub/workflow-ro-crate/1.0": ("Workflow RO-Crate", "1.0"),
}
FORMATS = {
    ".csv": "text/csv",
    ".md": "text/markdown",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".html": "text/html",
    ".ipynb": "application/x-ipynb+json",
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".cff": "application/yaml",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".qdpx": "application/zip",
    ".qdc": "application/xml",
    ".xsd": "application/xml",
    ".parquet": "application/vnd.apache.parquet",
    ".txt": "text/plain",
    ".py": "text/x-python",
    ".toml": "application/toml",
    ".lock": "text/plain",
    ".bib": "application/x-bibtex",
    ".j2": "text/plain",
    ".csl": "application/vnd.citationstyles.style+xml",
}
SPDX = "https://spdx.org/licenses/"
FORMAL_PARAMETER = "https://bioschemas.org/profiles/FormalParameter/1.0-RELEASE"
PRIVATE_PARAMS = ("deidentify.names", "deidentify.institutions")  # identifiers: withheld everywhere
NOT_HASHED = ("reports/provenance.json",)  # records the machine; not byte-identical across machines by design
SUPPLEMENTARY = "supplementary (not numbered in the manuscript)"


# --------------------------------------------------------------------------- helpers


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_date() -> str:
    """The date stamped on generated metadata: ``SOURCE_DATE_EPOCH`` (never the clock)."""
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or EPOCH)
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).date().isoformat()


def encoding_format(path: str | Path) -> str:
    name = str(path)
    if name.endswith(".md.j2"):
        return "text/markdown"
    return FORMATS.get(Path(name).suffix.lower(), "application/octet-stream")


def _read_yaml(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _read_toml(path: Path) -> dict:
    import tomllib

    return tomllib.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- result tables


INTEGER = re.compile(r"^[-+]?\d+$")
NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
BOOLEAN = frozenset({"true", "false", "True", "False", "TRUE", "FALSE"})


def column_type(values: list[str]) -> str:
    """The narrowest Table Schema type every non-empty cell fits: integer, number,
    boolean, else string (the rule frictionless infers by, applied to every row)."""
    cells = [v for v in values if v != ""]
    if cells and all(INTEGER.match(v) for v in cells):
        return "integer"
    if cells and all(NUMBER.match(v) for v in cells):
        return "number"
    if cells and all(v in BOOLEAN for v in cells):
        return "boolean"
    return "string"


def results_package(reports: Path) -> dict:
    """A Data Package (v2) describing every CSV table under ``reports/tables/``: its
    columns with the type every row fits (:func:`column_type`), and the file's
    SHA-256. Paths are relative to ``reports/tables/``, where the descriptor lives."""
    import csv

    resources = []
    for path in sorted((reports / "tables").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        header, body = (rows[0], rows[1:]) if rows else ([], [])
        fields = [
            {"name": name, "type": column_type([r[i] if i < len(r) else "" for r in body])}
            for i, name in enumerate(header)
        ]
        resources.append(
            {
                "name": re.sub(r"[^a-z0-9._-]", "-", path.stem.lower()),
                "type": "table",
                "path": path.name,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "hash": f"sha256:{sha256(path)}",
                "bytes": path.stat().st_size,
                "schema": {"fields": fields, "missingValues": [""]},
            }
        )
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "compendium-result-tables",
        "title": "Result tables of the compendium",
        "description": "Every table the pipeline writes to reports/tables/ (the Markdown copies render the same "
        "rows for reading); each column typed by the narrowest type all its rows fit.",
        "resources": resources,
    }


# --------------------------------------------------------------------------- citation metadata


def _cff_person(entry: dict) -> dict:
    if entry.get("family-names") or entry.get("given-names"):
        person: dict[str, object] = {"@type": "Person"}
        if entry.get("given-names"):
            person["givenName"] = str(entry["given-names"])
        if entry.get("family-names"):
            person["familyName"] = str(entry["family-names"])
    else:
        person = {"@type": "Organization", "name": str(entry.get("name", ""))}
    if entry.get("orcid"):
        person["@id"] = str(entry["orcid"])
    if entry.get("affiliation"):
        person["affiliation"] = {"@type": "Organization", "name": str(entry["affiliation"])}
    if entry.get("email"):
        person["email"] = str(entry["email"])
    return person


def _zenodo_person(entry: dict) -> dict:
    if entry.get("family-names") or entry.get("given-names"):
        name = ", ".join(str(entry[k]) for k in ("family-names", "given-names") if entry.get(k))
    else:
        name = str(entry.get("name", ""))
    out = {"name": name}
    if entry.get("affiliation"):
        out["affiliation"] = str(entry["affiliation"])
    if entry.get("orcid"):
        out["orcid"] = str(entry["orcid"]).rsplit("/", 1)[-1]
    return out


def _article_id(pref: dict) -> tuple[str, str] | None:
    """The original article's identifier and its scheme (DOI first, else URL)."""
    if pref.get("doi"):
        return str(pref["doi"]), "doi"
    if pref.get("url"):
        return str(pref["url"]), "url"
    return None


def _article_text(pref: dict) -> str:
    names = "; ".join(
        ", ".join(str(a[k]) for k in ("family-names", "given-names") if a.get(k)) or str(a.get("name", ""))
        for a in pref.get("authors") or []
    )
    parts = [names, str(pref.get("title", "")), str(pref.get("journal", "")), str(pref.get("year", ""))]
    ident = _article_id(pref)
    if ident:
        parts.append(("https://doi.org/" if ident[1] == "doi" else "") + ident[0])
    return ". ".join(p for p in parts if p) + "."


def codemeta(citation: dict, pyproject: dict) -> dict:
    """CodeMeta 3.0 from CITATION.cff (title, authors, licence, version, keywords, the
    original article as ``referencePublication``) and pyproject.toml (description,
    Python version, requirements)."""
    project = pyproject.get("project", {})
    pref = citation.get("preferred-citation") or {}
    out = {
        "@context": "https://w3id.org/codemeta/3.0",
        "@type": "SoftwareSourceCode",
        "name": str(citation.get("title", project.get("name", ""))),
        "identifier": project.get("name", ""),
        "description": project.get("description", ""),
        "version": str(citation.get("version", project.get("version", ""))),
        "license": SPDX + str(citation.get("license", "")),
        "author": [_cff_person(a) for a in citation.get("authors") or []],
        "keywords": [str(k) for k in citation.get("keywords") or []],
        "programmingLanguage": "Python",
        "runtimePlatform": f"Python {project.get('requires-python', '')}".strip(),
        "softwareRequirements": list(project.get("dependencies", [])),
    }
    if citation.get("date-released"):
        out["datePublished"] = str(citation["date-released"])
    if citation.get("repository-code"):
        out["codeRepository"] = str(citation["repository-code"])
    if citation.get("doi"):
        out["identifier"] = f"https://doi.org/{citation['doi']}"
    if pref.get("title"):
        article = {
            "@type": "ScholarlyArticle",
            "name": str(pref["title"]),
            "author": [_cff_person(a) for a in pref.get("authors") or []],
        }
        if pref.get("year"):
            article["datePublished"] = str(pref["year"])
        ident = _article_id(pref)
        if ident:
            article["@id"] = ("https://doi.org/" if ident[1] == "doi" else "") + ident[0]
            article["identifier"] = article["@id"]
        out["referencePublication"] = article
    return out


def zenodo(citation: dict, pyproject: dict) -> dict:
    """Zenodo deposit metadata (``.zenodo.json``, which Zenodo reads in preference to
    CITATION.cff) from the same two files; the original article is a related
    identifier (``isSupplementTo``) when CITATION.cff gives its DOI or URL, and is
    always listed under ``references``."""
    project = pyproject.get("project", {})
    pref = citation.get("preferred-citation") or {}
    out = {
        "title": str(citation.get("title", project.get("name", ""))),
        "upload_type": "software",
        "description": project.get("description", ""),
        "version": str(citation.get("version", project.get("version", ""))),
        "license": str(citation.get("license", "")).lower(),
        "creators": [_zenodo_person(a) for a in citation.get("authors") or []],
        "keywords": [str(k) for k in citation.get("keywords") or []],
    }
    if pref.get("title"):
        out["references"] = [_article_text(pref)]
        ident = _article_id(pref)
        if ident:
            out["related_identifiers"] = [
                {
                    "identifier": ident[0],
                    "relation": "isSupplementTo",
                    "scheme": ident[1],
                    "resource_type": "publication-article",
                }
            ]
    return out


# --------------------------------------------------------------------------- CODECHECK


def manuscript_labels(manuscript_md: str, table_numbers: dict[str, int] | None = None) -> dict[str, str]:
    """Which manuscript label each table or figure file backs: figures from the
    rendered manuscript's image captions (``![Figure N. ...](figures/x.png)``), tables
    from the table numbers the manuscript assigned (:func:`compendium.reporting.manuscript.context`)."""
    labels: dict[str, str] = {}
    for label, target in re.findall(r"!\[(Figure \d+)\.[^\]]*\]\((figures/[^)\s]+)\)", manuscript_md):
        labels[f"figures/{Path(target).stem}"] = label
    stems = {"table1": "table1_demographics", "table2": "table2_outcomes", "table3": "irr", "table4": "joint_display"}
    for key, number in (table_numbers or {}).items():
        if key in stems and re.search(rf"\bTable {number}\b", manuscript_md):
            labels[f"tables/{stems[key]}"] = f"Table {number}"
    return labels


def codecheck_config(root: Path, citation: dict, labels: dict[str, str], meta: dict | None = None) -> dict:
    """CODECHECK configuration 1.0: the paper, and a manifest of every table and figure
    file with the manuscript label it backs; the codechecker's fields are left for the
    codechecker. The paper is the manuscript the pipeline writes: its title and byline
    from ``meta`` (:func:`compendium.reporting.manuscript.study_meta`, which describes the study
    at hand), else the study CITATION.cff cites."""
    pref = citation.get("preferred-citation") or {}
    reports = root / "reports"
    files = sorted(p for d in ("tables", "figures") for p in (reports / d).glob("*") if p.is_file())
    manifest = []
    for p in files:
        label = labels.get(f"{p.parent.name}/{p.stem}", SUPPLEMENTARY)
        kind = "table" if p.parent.name == "tables" else "figure"
        manifest.append(
            {"file": p.relative_to(root).as_posix(), "comment": f"{label}: {kind} {p.stem} ({p.suffix[1:]})"}
        )
    ident = _article_id(pref) if not meta or meta.get("twin") else None
    if meta:
        paper = {"title": str(meta["title"]), "authors": [{"name": str(a)} for a in meta.get("authors") or []]}
    else:
        paper = {
            "title": str(pref.get("title") or citation.get("title", "")),
            "authors": [
                {
                    "name": " ".join(str(a[k]) for k in ("given-names", "family-names") if a.get(k))
                    or str(a.get("name", ""))
                }
                for a in pref.get("authors") or citation.get("authors") or []
            ],
        }
    paper["reference"] = (("https://doi.org/" if ident[1] == "doi" else "") + ident[0]) if ident else "FIXME"
    return {
        "version": "https://codecheck.org.uk/spec/config/1.0/",
        "source": "Generated by `compendium archive` from the pipeline's outputs; fill in the codechecker's fields.",
        "paper": paper,
        "manifest": manifest,
        "codechecker": [{"name": "FIXME", "ORCID": "FIXME"}],
        "summary": "FIXME: the codechecker's summary (a draft is in reports/codecheck-certificate.md).",
        "repository": str(citation.get("repository-code") or "FIXME"),
        "check_time": "FIXME",
        "certificate": "FIXME",
        "report": "FIXME",
    }


def codecheck_certificate(root: Path, config: dict, verification: dict, synthetic_note: str, twin: bool = True) -> str:
    """A certificate draft for a human codechecker: what to run, where run times are
    measured (``bench/latest.json``), the environment (pinned in ``requirements.lock``),
    the claim verification, the manifest; every judgement left to the codechecker."""
    lock = root / "requirements.lock"
    pins = (
        [line for line in lock.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
        if lock.is_file()
        else []
    )
    pyproject = _read_toml(root / "pyproject.toml") if (root / "pyproject.toml").is_file() else {}
    python = pyproject.get("project", {}).get("requires-python", "")
    summary = verification.get("summary", {})
    # Measured run times live in bench/latest.json (`make bench`), which is rewritten on every
    # measurement: quoting them here would make this file depend on when it was last measured.
    timing = (
        "measured by `make bench` (cold, no-op, incremental and 100x runs) and recorded in "
        "bench/latest.json; FIXME: the codechecker's own run time"
    )
    rows = "\n".join(f"| `{m['file']}` | {m['comment'].split(':')[0]} |" for m in config["manifest"])
    note = f"\n> {synthetic_note}\n" if synthetic_note else ""
    from compendium.reporting.wording import verification_headline

    matched = verification_headline(summary, twin) if summary else "The verification report is not available."
    return f"""# CODECHECK certificate (draft)

Paper: {config["paper"]["title"]}
{note}
This draft was written by the compendium's pipeline (`compendium archive`); a human
codechecker completes it. Items marked FIXME are theirs to fill in.

## What to run

| step | command |
|---|---|
| set up the environment (Python {python}, packages pinned in `requirements.lock`) | `make setup` |
| run the whole pipeline | `make reproduce` |
| run the test suite | `make test` |
| rerun everything in a fresh clone and compare byte for byte | `make verify` |

Run time: {timing}.

## Environment

Python {python}; {len(pins)} packages pinned at exact versions in `requirements.lock`
(SHA-256 `{sha256(lock) if lock.is_file() else "missing"}`); also as `environment.yml` for conda.
`SOURCE_DATE_EPOCH` fixes every date the outputs carry.

## Result of the claim verification

{matched} (reports/verification.md)

The result of `make verify` on the codechecker's machine: FIXME.

## Manifest

| file | backs |
|---|---|
{rows}

## Codechecker's assessment

FIXME: what was checked, what came back identical, what differed and why.
"""


# --------------------------------------------------------------------------- RO-Crate


def _resolve(text: str, params: dict, withhold: tuple[str, ...] = PRIVATE_PARAMS) -> str:
    """``${a.b}`` interpolated from params.yaml as DVC does; private keys withheld."""

    def value(match: re.Match) -> str:
        key = match.group(1)
        if key in withhold:
            return "[withheld]"
        node: object = params
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return "" if node is None else str(node)

    return re.sub(r"\$\{([^}]+)\}", value, text)


def _flatten(prefix: str, node) -> list[tuple[str, object]]:
    if isinstance(node, dict):
        return [kv for k, v in node.items() for kv in _flatten(f"{prefix}.{k}" if prefix else str(k), v)]
    return [(prefix, node)]


def _param_text(value) -> str:
    """A parameter's value as text: a list as its items separated by commas."""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def _stage_params(spec: dict, params: dict) -> list[tuple[str, str]]:
    out = []
    for entry in spec.get("params") or []:
        keys = entry if isinstance(entry, str) else None
        if keys is None:
            continue
        node: object = params
        for part in keys.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        for key, val in _flatten(keys, node):
            out.append((key, "[withheld]" if key in PRIVATE_PARAMS else _param_text(val)))
    return out


def _paths(items) -> list[str]:
    out = []
    for item in items or []:
        out.append(next(iter(item)) if isinstance(item, dict) else str(item))
    return out


def _notebook_of(cmd: str) -> str | None:
    m = re.search(r"run-notebook\s+(\S+\.ipynb)", cmd)
    return m.group(1) if m else None


class _Graph:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.entities: dict[str, dict] = {}

    def add(self, entity: dict) -> dict:
        self.entities.setdefault(entity["@id"], entity)
        return {"@id": entity["@id"]}

    def file(self, rel: str) -> dict:
        """A data entity for a project path: a File (with SHA-256) or a Dataset of its
        files; intermediate and private paths are referenced, never described."""
        rel = rel.rstrip("/")
        path = self.root / rel
        if rel.startswith(("data/interim", "data/private")) or not path.exists():
            kind = (
                "private: never shared"
                if rel.startswith("data/private")
                else "intermediate: kept in the DVC cache, not in the crate"
            )
            return self.add(
                {
                    "@id": f"#{rel}",
                    "@type": "Dataset" if not Path(rel).suffix else "File",
                    "name": rel,
                    "description": kind,
                }
            )
        if path.is_dir():
            parts = [
                self.file(p.relative_to(self.root).as_posix())
                for p in sorted(path.rglob("*"))
                if p.is_file() and not _ignored(p)
            ]
            return self.add({"@id": rel + "/", "@type": "Dataset", "name": rel, "hasPart": parts})
        entity = {
            "@id": rel,
            "@type": "File",
            "name": path.name,
            "encodingFormat": encoding_format(rel),
            "contentSize": str(path.stat().st_size),
        }
        if rel not in NOT_HASHED:
            entity["sha256"] = sha256(path)
        else:
            entity["description"] = "records the commit and the machine; not byte-identical across machines"
        return self.add(entity)


def _ignored(path: Path) -> bool:
    return (
        any(part in ("__pycache__", ".ipynb_checkpoints") for part in path.parts)
        or path.suffix == ".pyc"
        or path.name.startswith(".")
    )


def ro_crate(root: Path, synthetic_note: str = "", upto: str = CRATE_STAGE) -> dict:
    """The RO-Crate of the last run: one ``CreateAction`` per stage of ``dvc.yaml``
    that runs before ``upto`` (its instrument the stage's notebook, else its command;
    its object the stage's inputs and parameters as ``PropertyValue``; its result the
    stage's outputs, each file with its SHA-256), tied together as a Provenance Run
    Crate (the pipeline ``dvc.yaml`` as ``ComputationalWorkflow`` with one ``HowToStep``
    and ``ControlAction`` per stage, DVC's ``OrganizeAction``), every file under
    ``reports/`` as a data entity with its format, the authors and licence from
    CITATION.cff and the synthetic-data notice. Private parameters are withheld."""
    from importlib import metadata

    import yaml

    citation = _read_yaml(root / "CITATION.cff")
    params = _read_yaml(root / "params.yaml")
    pipeline = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))
    stages = list(pipeline["stages"].items())
    names = [n for n, _ in stages]
    stages = stages[: names.index(upto)] if upto in names else stages
    g = _Graph(root)

    authors = []
    for k, a in enumerate(citation.get("authors") or [], start=1):
        person = _cff_person(a)
        person.setdefault("@id", f"#author-{k}")
        if person["@type"] == "Person":
            person["name"] = " ".join(x for x in (person.get("givenName"), person.get("familyName")) if x)
        person.pop("affiliation", None)
        authors.append(g.add(person))
    licence = g.add(
        {
            "@id": SPDX + str(citation.get("license", "")),
            "@type": "CreativeWork",
            "name": f"{citation.get('license', '')} License",
            "identifier": str(citation.get("license", "")),
        }
    )
    profiles = [
        g.add({"@id": uri, "@type": "CreativeWork", "name": name, "version": version})
        for uri, (name, version) in PROFILES.items()
    ]
    python = g.add(
        {"@id": "#python", "@type": "ComputerLanguage", "name": "Python", "url": {"@id": "https://www.python.org/"}}
    )
    dvc_lang = g.add(
        {
            "@id": "#dvc-language",
            "@type": "ComputerLanguage",
            "name": "DVC pipeline (dvc.yaml)",
            "url": {"@id": "https://dvc.org/doc/user-guide/project-structure/dvcyaml-files"},
        }
    )
    try:
        dvc_version = metadata.version("dvc")
    except metadata.PackageNotFoundError:
        dvc_version = ""
    engine = g.add(
        {
            "@id": "#dvc",
            "@type": "SoftwareApplication",
            "name": "DVC",
            "version": dvc_version,
            "url": {"@id": "https://dvc.org/"},
        }
    )

    tools, steps, controls, actions = [], [], [], []
    for position, (name, spec) in enumerate(stages, start=1):
        cmd = " ".join(str(spec["cmd"]).split())
        notebook = _notebook_of(cmd)
        if notebook:
            tool = g.file(notebook)
            g.entities[tool["@id"]]["@type"] = ["File", "SoftwareSourceCode"]
            g.entities[tool["@id"]]["programmingLanguage"] = python
        else:
            command = cmd.split()[1] if cmd.startswith("compendium ") and len(cmd.split()) > 1 else cmd.split()[0]
            tool = g.add(
                {
                    "@id": f"#tool-{command}",
                    "@type": "SoftwareApplication",
                    "name": f"compendium {command}" if cmd.startswith("compendium ") else command,
                }
            )
        tools.append(tool)
        step = g.add(
            {"@id": f"#step-{name}", "@type": "HowToStep", "name": name, "position": str(position), "workExample": tool}
        )
        steps.append(step)
        objects = [g.file(_resolve(p, params)) for p in _paths(spec.get("deps"))]
        inputs = []
        for key, val in _stage_params(spec, params):
            formal = g.add(
                {
                    "@id": f"#formal-{name}-{key}",
                    "@type": "FormalParameter",
                    "name": key,
                    "additionalType": "Text",
                    "description": f"params.yaml: {key}",
                    "conformsTo": {"@id": FORMAL_PARAMETER},
                }
            )
            inputs.append(formal)
            objects.append(
                g.add(
                    {
                        "@id": f"#param-{name}-{key}",
                        "@type": "PropertyValue",
                        "name": key,
                        "value": val,
                        "exampleOfWork": formal,
                    }
                )
            )
        if inputs:
            g.entities[tool["@id"]]["input"] = inputs
        results = [g.file(_resolve(p, params)) for p in _paths(spec.get("outs"))]
        action = g.add(
            {
                "@id": f"#run-{name}",
                "@type": "CreateAction",
                "name": f"Run of stage {name}",
                "description": _resolve(cmd, params),
                "instrument": tool,
                "object": objects,
                "result": results,
                "actionStatus": {"@id": "http://schema.org/CompletedActionStatus"},
            }
        )
        actions.append(action)
        controls.append(
            g.add(
                {
                    "@id": f"#control-{name}",
                    "@type": "ControlAction",
                    "name": f"Orchestrate {name}",
                    "instrument": step,
                    "object": action,
                }
            )
        )

    reports = [
        g.file(p.relative_to(root).as_posix())
        for p in sorted((root / "reports").rglob("*"))
        if p.is_file() and not _ignored(p)
    ]
    raw = g.file(_resolve("${data.raw_dir}", params) or "data/raw")
    workflow = g.file("dvc.yaml")
    g.entities["dvc.yaml"].update(
        {
            "@type": ["File", "SoftwareSourceCode", "ComputationalWorkflow"],
            "name": "The compendium's DVC pipeline",
            "programmingLanguage": dvc_lang,
            "hasPart": tools,
            "step": steps,
        }
    )
    params_file = g.file("params.yaml")
    run = g.add(
        {
            "@id": "#pipeline-run",
            "@type": "CreateAction",
            "name": "Run of the pipeline (make reproduce)",
            "instrument": workflow,
            "object": [raw, params_file],
            "result": reports,
            "actionStatus": {"@id": "http://schema.org/CompletedActionStatus"},
        }
    )
    organize = g.add(
        {
            "@id": "#organize",
            "@type": "OrganizeAction",
            "name": "DVC runs the pipeline",
            "instrument": engine,
            "object": controls,
            "result": run,
        }
    )
    for p in (
        "CITATION.cff",
        "codemeta.json",
        ".zenodo.json",
        "codecheck.yml",
        "pyproject.toml",
        "requirements.lock",
        "environment.yml",
        "README.md",
        "LICENSE",
    ):
        if (root / p).is_file():
            g.file(p)  # the repository's metadata files, as data entities of the crate
    description = (
        "A research compendium: the DVC pipeline that turns the raw data into the tables, figures, "
        "manuscript and reports under reports/, with the provenance of its last run."
    )
    if synthetic_note:
        description += " " + synthetic_note
    parts = sorted(
        k
        for k, e in g.entities.items()
        if not k.startswith("#")
        and {"File", "Dataset"} & set(e["@type"] if isinstance(e["@type"], list) else [e["@type"]])
    )
    root_entity = {
        "@id": "./",
        "@type": "Dataset",
        "name": str(citation.get("title", "Research compendium")),
        "description": description,
        "datePublished": build_date(),
        "license": licence,
        "author": authors,
        "keywords": [str(k) for k in citation.get("keywords") or []],
        "version": str(citation.get("version", "")),
        "conformsTo": profiles,
        "mainEntity": workflow,
        "hasPart": [{"@id": p} for p in parts],
        "mentions": [run, organize, *actions],
    }
    meta = {
        "@id": CRATE,
        "@type": "CreativeWork",
        "conformsTo": {"@id": "https://w3id.org/ro/crate/1.3"},
        "about": {"@id": "./"},
    }
    graph = [meta, root_entity] + [g.entities[k] for k in sorted(g.entities)]
    return {"@context": "https://w3id.org/ro/crate/1.3/context", "@graph": graph}


# --------------------------------------------------------------------------- entry points


def write_metadata(root: Path | None = None) -> list[Path]:
    """``codemeta.json`` and ``.zenodo.json`` from CITATION.cff and pyproject.toml."""
    from compendium.core.io import write_text

    root = root or paths.project_root()
    citation = _read_yaml(root / "CITATION.cff")
    pyproject = _read_toml(root / "pyproject.toml")
    out = []
    for name, data in ((CODEMETA, codemeta(citation, pyproject)), (ZENODO, zenodo(citation, pyproject))):
        write_text(root / name, dumps(data))
        out.append(root / name)
    return out


def _study_context(root: Path):
    """The study's description (dataset.yaml) and the manuscript's table numbers."""
    from compendium.core import io
    from compendium.data import validated
    from compendium.reporting import manuscript

    study = validated.read_study()
    results = io.read_json(root / "reports" / "results.json")
    numbers = manuscript.context(study, root / "reports" / "tables", results).get("table_number", {})
    return study, numbers


def write_archive(root: Path | None = None, raw_dir: str | Path = "data/raw") -> list[Path]:
    """Everything but the crate (the stage before the site is built): the two Data
    Packages, codemeta.json, .zenodo.json, codecheck.yml and its certificate draft."""
    import yaml

    from compendium.core import config
    from compendium.core.io import write_text
    from compendium.data.validated import synthetic_note

    root = root or paths.project_root()
    params = config.load_params()
    written = write_metadata(root)
    raw = paths.resolve(raw_dir)
    package = raw_package(
        raw, config.arms_from(params), (params.get("qualitative") or {}).get("consensus_coder") or None
    )
    write_text(root / RAW_PACKAGE, dumps(package))
    write_text(root / RESULTS_PACKAGE, dumps(results_package(root / "reports")))  # reads reports/tables/
    study, numbers = _study_context(root)
    manuscript_md = (
        (root / "reports" / "manuscript.md").read_text(encoding="utf-8")
        if (root / "reports" / "manuscript.md").is_file()
        else ""
    )
    from compendium.data.validated import is_paper_twin
    from compendium.reporting.manuscript import study_meta

    citation = _read_yaml(root / "CITATION.cff")
    twin = is_paper_twin(study.dataset)
    meta = study_meta(study.dataset, citation, twin)
    config_ = codecheck_config(root, citation, manuscript_labels(manuscript_md, numbers), meta)
    text = "# CODECHECK configuration (https://codecheck.org.uk/spec/config/1.0/), written by `compendium archive`.\n"
    text += yaml.safe_dump(config_, sort_keys=False, allow_unicode=True, width=100)
    write_text(root / CODECHECK, text)
    verification = (
        json.loads((root / "reports" / "verification.json").read_text(encoding="utf-8"))
        if (root / "reports" / "verification.json").is_file()
        else {}
    )
    write_text(
        root / CERTIFICATE, codecheck_certificate(root, config_, verification, synthetic_note(study.dataset), twin)
    )
    return written + [root / RAW_PACKAGE, root / RESULTS_PACKAGE, root / CODECHECK, root / CERTIFICATE]


def write_crate(root: Path | None = None) -> Path:
    """``ro-crate-metadata.json`` at the project root (the stage after the site)."""
    from compendium.core.io import write_text
    from compendium.data.validated import read_study, synthetic_note

    root = root or paths.project_root()
    note = synthetic_note(read_study().dataset)
    out = root / CRATE
    write_text(out, dumps(ro_crate(root, note)))
    return out


def write_raw_package(raw_dir: str | Path, dest: str | Path | None = None) -> Path:
    """Write the raw-data Data Package into a team's folder on request (never run by
    the pipeline: no stage writes ``data/raw/``)."""
    from compendium.core import config
    from compendium.core.io import write_text

    params = config.load_params()
    raw = paths.resolve(raw_dir)
    package = raw_package(
        raw, config.arms_from(params), (params.get("qualitative") or {}).get("consensus_coder") or None
    )
    out = Path(dest) if dest else raw / "datapackage.json"
    write_text(out, dumps(package))
    return out
