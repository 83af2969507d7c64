"""The archives' languages: Data Packages checked by stock ``frictionless``, the
RO-Crate read back by the ``rocrate`` package, CodeMeta and Zenodo metadata against
CITATION.cff and pyproject.toml, the CODECHECK manifest. Every test writes what it
needs into ``tmp_path`` (generated data, a small project), never reading ``data/raw/``
or ``reports/``."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from compendium.checks import archive
from compendium.data import contract, package
from compendium.synthesize import synthesize

FRICTIONLESS = Path(sys.executable).with_name("frictionless")


def stock_validate(descriptor: Path) -> subprocess.CompletedProcess:
    """The stock command line a replication team runs, before installing the compendium."""
    return subprocess.run(
        [str(FRICTIONLESS), "validate", "--json", str(descriptor)], capture_output=True, text=True, timeout=300
    )


def errors_of(result: subprocess.CompletedProcess) -> list[tuple[str, int | None, str | None, str]]:
    report = json.loads(result.stdout)
    return [
        (task["name"], err.get("rowNumber"), err.get("fieldName"), err["type"])
        for task in report["tasks"]
        for err in task["errors"]
    ]


@pytest.fixture(scope="module", params=["paper", "independent"])
def raw(request, tmp_path_factory) -> Path:
    """A generated raw-data folder of each design (the independent one has its own
    codebook, arm labels and sites, and no consensus file)."""
    folder = tmp_path_factory.mktemp(request.param) / "raw"
    synthesize(folder, seed=7, design=request.param)
    return folder


def rewrite(path: Path, edit) -> None:
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    edit(rows[0], rows[1:])
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


# --------------------------------------------------------------------------- raw-data package


def test_raw_package_validates_a_conforming_folder_with_stock_frictionless(raw, tmp_path):
    folder = tmp_path / "raw"
    shutil.copytree(raw, folder)
    out = archive.write_raw_package(folder)
    assert out == folder / "datapackage.json"
    result = stock_validate(out)
    assert result.returncode == 0, errors_of(result)
    package = json.loads(out.read_text())
    names = [r["name"] for r in package["resources"]]
    coders = sorted(p.stem for p in (folder / "coding").glob("*.csv"))
    assert names[:2] == ["participants", "survey"] and len(names) == 2 + len(coders)
    # the folder still passes the compendium's own validator: the descriptor is an ignored extra file
    contract.load_study(folder)


def test_raw_package_reports_table_level_errors_on_a_broken_copy(raw, tmp_path):
    folder = tmp_path / "raw"
    shutil.copytree(raw, folder)
    study = contract.load_study(folder)

    def participants(header, rows):
        rows[0][header.index("age")] = "12"
        rows[1][header.index("group")] = "placebo"
        rows[2][header.index("consent")] = "maybe"

    def survey(header, rows):
        rows[0][header.index("participant_id")] = "NOBODY"
        rows[1][header.index("cc_1")] = "7"

    archive.write_raw_package(folder)  # from the valid folder, then break it
    rewrite(folder / "participants.csv", participants)
    rewrite(folder / "survey.csv", survey)
    coder = sorted((folder / "coding").glob("*.csv"))[0]
    rewrite(coder, lambda h, rows: rows[0].__setitem__(h.index("code"), study.codebook["theme"].iat[0]))
    result = stock_validate(folder / "datapackage.json")
    assert result.returncode != 0
    found = set(errors_of(result))
    resource = "coding-" + coder.stem.lower()
    assert {
        ("participants", 2, "age", "constraint-error"),
        ("participants", 3, "group", "constraint-error"),
        ("participants", 4, "consent", "constraint-error"),
        ("survey", 2, None, "foreign-key"),
        ("survey", 3, "cc_1", "constraint-error"),
        (resource, 2, "code", "constraint-error"),
    } <= found


def test_raw_package_reads_its_rules_from_the_contract(raw, monkeypatch):
    """The descriptor follows the validator's constants: change one, the descriptor changes."""
    before = package.raw_package(raw)
    age = next(f for f in before["resources"][0]["schema"]["fields"] if f["name"] == "age")
    assert (age["constraints"]["minimum"], age["constraints"]["maximum"]) == contract.AGE_RANGE
    monkeypatch.setattr(contract, "AGE_RANGE", (18, 70))
    monkeypatch.setattr(contract, "LIKERT", (0, 10))
    after = package.raw_package(raw)
    age = next(f for f in after["resources"][0]["schema"]["fields"] if f["name"] == "age")
    assert (age["constraints"]["minimum"], age["constraints"]["maximum"]) == (18, 70)
    cc1 = next(f for f in after["resources"][1]["schema"]["fields"] if f["name"] == "cc_1")
    assert (cc1["constraints"]["minimum"], cc1["constraints"]["maximum"]) == (0, 10)
    arms = contract.load_study(raw).arms
    group = next(f for f in before["resources"][0]["schema"]["fields"] if f["name"] == "group")
    assert group["constraints"]["enum"] == list(arms.labels)


def test_yes_no_spellings_are_the_contracts_in_any_case():
    values = package._case_variants(contract.YES)
    assert {"yes", "YES", "yEs", "true", "TRUE", "1", "y", "Y"} <= set(values)
    assert not set(values) & set(package._case_variants(contract.NO))


# --------------------------------------------------------------------------- result tables


def test_results_package_validates_and_catches_a_changed_table(tmp_path):
    reports = tmp_path / "reports"
    (reports / "tables").mkdir(parents=True)
    (reports / "tables" / "a.csv").write_text("code,n,share\nx,3,0.5\ny,,0.25\n")
    (reports / "tables" / "b.csv").write_text("outcome,p_value\nalpha,< .001\n")
    (reports / "tables" / "b.md").write_text("| not | a csv |\n")
    package = archive.results_package(reports)
    assert [r["path"] for r in package["resources"]] == ["a.csv", "b.csv"]
    fields = {f["name"]: f["type"] for f in package["resources"][0]["schema"]["fields"]}
    assert fields == {"code": "string", "n": "integer", "share": "number"}
    (reports / "tables" / "datapackage.json").write_text(archive.dumps(package))
    result = stock_validate(reports / "tables" / "datapackage.json")
    assert result.returncode == 0, errors_of(result)
    (reports / "tables" / "a.csv").write_text("code,n,share\nx,three,0.5\ny,,0.25\n")
    result = stock_validate(reports / "tables" / "datapackage.json")
    assert result.returncode != 0
    assert {("a", 2, "n", "type-error"), ("a", None, None, "hash-count")} <= set(errors_of(result))
    # a silent change of a value (same type) is caught by the recorded SHA-256
    (reports / "tables" / "a.csv").write_text("code,n,share\nx,4,0.5\ny,,0.25\n")
    assert [e[3] for e in errors_of(stock_validate(reports / "tables" / "datapackage.json"))] == ["hash-count"]


# --------------------------------------------------------------------------- CodeMeta and Zenodo


def _project_metadata(root: Path) -> tuple[dict, dict]:
    import tomllib

    return (
        yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8")),
        tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8")),
    )


def test_committed_codemeta_and_zenodo_are_generated_from_citation_and_pyproject(root):
    citation, pyproject = _project_metadata(root)
    assert json.loads((root / "codemeta.json").read_text()) == archive.codemeta(citation, pyproject), (
        "codemeta.json is stale: run `compendium metadata`"
    )
    assert json.loads((root / ".zenodo.json").read_text()) == archive.zenodo(citation, pyproject), (
        ".zenodo.json is stale: run `compendium metadata`"
    )


def test_codemeta_and_zenodo_agree_with_citation_cff(root):
    """Checked field by field against CITATION.cff itself (not against the generator)."""
    citation, pyproject = _project_metadata(root)
    meta = json.loads((root / "codemeta.json").read_text())
    zen = json.loads((root / ".zenodo.json").read_text())
    assert meta["@context"] == "https://w3id.org/codemeta/3.0"
    assert meta["name"] == zen["title"] == citation["title"]
    assert meta["version"] == zen["version"] == str(citation["version"]) == pyproject["project"]["version"]
    assert meta["license"].endswith("/" + citation["license"]) and zen["license"] == citation["license"].lower()
    assert meta["keywords"] == zen["keywords"] == citation["keywords"]
    assert len(meta["author"]) == len(zen["creators"]) == len(citation["authors"])
    pref = citation["preferred-citation"]
    assert meta["referencePublication"]["name"] == pref["title"]
    assert pref["title"] in zen["references"][0]
    assert [a["familyName"] for a in meta["referencePublication"]["author"]] == [
        a["family-names"] for a in pref["authors"]
    ]


def test_the_original_article_becomes_a_related_identifier_when_its_doi_is_known(root):
    citation, pyproject = _project_metadata(root)
    citation["preferred-citation"]["doi"] = "10.1234/example.5678"
    zen = archive.zenodo(citation, pyproject)
    assert zen["related_identifiers"] == [
        {
            "identifier": "10.1234/example.5678",
            "relation": "isSupplementTo",
            "scheme": "doi",
            "resource_type": "publication-article",
        }
    ]
    assert (
        archive.codemeta(citation, pyproject)["referencePublication"]["@id"] == "https://doi.org/10.1234/example.5678"
    )


# --------------------------------------------------------------------------- CODECHECK


def test_manuscript_labels_follow_the_rendered_manuscript():
    md = (
        "![Figure 1. Flow.](figures/participant_flow.png){width=95%}\n: Table 1. Baseline.\n"
        ": Table 2. Outcomes.\n![Figure 2. Props.](figures/outcome_proportions.png)\n"
    )
    labels = archive.manuscript_labels(md, {"table1": 1, "table2": 2})
    assert labels == {
        "figures/participant_flow": "Figure 1",
        "figures/outcome_proportions": "Figure 2",
        "tables/table1_demographics": "Table 1",
        "tables/table2_outcomes": "Table 2",
    }


def test_codecheck_manifest_lists_every_table_and_figure(tmp_path):
    for rel in (
        "reports/tables/table1_demographics.csv",
        "reports/tables/table1_demographics.md",
        "reports/tables/extra.csv",
        "reports/figures/participant_flow.png",
        "reports/figures/participant_flow.svg",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    config = archive.codecheck_config(
        tmp_path,
        {"title": "T", "preferred-citation": {"title": "P"}},
        {"tables/table1_demographics": "Table 1", "figures/participant_flow": "Figure 1"},
    )
    assert config["version"] == "https://codecheck.org.uk/spec/config/1.0/"
    assert {"manifest", "codechecker", "report"} <= set(config)
    files = {m["file"]: m["comment"] for m in config["manifest"]}
    assert sorted(files) == sorted(
        p.relative_to(tmp_path).as_posix() for p in (tmp_path / "reports").rglob("*") if p.is_file()
    )
    assert files["reports/figures/participant_flow.svg"].startswith("Figure 1")
    assert files["reports/tables/extra.csv"].startswith(archive.SUPPLEMENTARY)


def test_codecheck_paper_is_the_study_at_hand_not_the_original_article(tmp_path):
    """On another study's data the paper to check is that study's manuscript (title and
    byline from dataset.yaml through study_meta), not the article the compendium cites."""
    from compendium.reporting.manuscript import study_meta

    citation = {
        "title": "Compendium",
        "preferred-citation": {
            "title": "Original article",
            "doi": "10.1/x",
            "authors": [{"family-names": "A", "given-names": "B"}],
        },
    }
    other = study_meta({"title": "Workshops at three schools", "authors": [{"name": "C. Author"}]}, citation, False)
    config = archive.codecheck_config(tmp_path, citation, {}, other)
    assert config["paper"] == {
        "title": "Workshops at three schools",
        "authors": [{"name": "C. Author"}],
        "reference": "FIXME",
    }
    twin = study_meta({"synthetic": True, "design": "paper"}, citation, True)
    config = archive.codecheck_config(tmp_path, citation, {}, twin)
    assert config["paper"]["reference"] == "https://doi.org/10.1/x"
    assert "Original article" in config["paper"]["title"]


# --------------------------------------------------------------------------- RO-Crate


@pytest.fixture()
def project(root, tmp_path) -> Path:
    """A small project: the real dvc.yaml, params.yaml, CITATION.cff and notebooks, a
    generated raw-data folder and a few report files."""
    dest = tmp_path / "project"
    dest.mkdir()
    for name in ("dvc.yaml", "params.yaml", "CITATION.cff", "pyproject.toml", "requirements.lock"):
        shutil.copy(root / name, dest / name)
    shutil.copytree(root / "notebooks", dest / "notebooks")
    shutil.copytree(
        root / "src" / "compendium", dest / "src" / "compendium", ignore=shutil.ignore_patterns("__pycache__")
    )
    synthesize(dest / "data" / "raw", seed=11, design="independent")
    for rel, text in (
        ("reports/tables/table1_demographics.csv", "a,b\n1,2\n"),
        ("reports/index.html", "<html>"),
        ("reports/figures/participant_flow.png", "png"),
        ("reports/provenance.json", "{}"),
        ("reports/notebooks/01-validate-data.ipynb", "{}"),
    ):
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text)
    return dest


def test_ro_crate_reads_back_and_describes_every_stage(project):
    from rocrate.rocrate import ROCrate

    crate_json = archive.ro_crate(project, "Synthetic data: a note.")
    (project / archive.CRATE).write_text(archive.dumps(crate_json))
    assert (
        archive.dumps(archive.ro_crate(project, "Synthetic data: a note.")) == (project / archive.CRATE).read_text()
    ), "not deterministic"
    crate = ROCrate(str(project))
    root_ds = crate.root_dataset
    assert "Synthetic data: a note." in root_ds["description"]
    assert root_ds["license"].id.startswith("https://spdx.org/licenses/")
    assert root_ds["author"]
    assert {p.id for p in root_ds["conformsTo"]} >= {
        "https://w3id.org/ro/wfrun/process/0.6",
        "https://w3id.org/ro/wfrun/provenance/0.6",
    }
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    expected = [s for s in stages if s != archive.CRATE_STAGE]
    runs = {e.id: e for e in crate.get_entities() if e.type == "CreateAction" and e.id.startswith("#run-")}
    assert sorted(runs) == sorted(f"#run-{s}" for s in expected)
    params = yaml.safe_load((project / "params.yaml").read_text())
    for name in expected:
        action, spec = runs[f"#run-{name}"], stages[name]
        notebook = archive._notebook_of(" ".join(str(spec["cmd"]).split()))
        if notebook:
            assert action["instrument"].id == notebook
        values = {o["name"]: o["value"] for o in action["object"] if o.type == "PropertyValue"}
        assert all(o["exampleOfWork"].type == "FormalParameter" for o in action["object"] if o.type == "PropertyValue")
        for entry in spec.get("params") or []:  # every parameter the stage declares is recorded
            assert any(k == entry or k.startswith(entry + ".") for k in values), (name, entry)
        for key, value in values.items():
            if key in archive.PRIVATE_PARAMS:
                assert value == "[withheld]"
            else:
                node = params
                for part in key.split("."):
                    node = node[part]
                assert value == (", ".join(node) if isinstance(node, list) else "" if node is None else str(node))
    text = (project / archive.CRATE).read_text()
    institutions = list(params["deidentify"]["institutions"])
    assert not [i for i in institutions if i in text], "a private parameter reached the crate"
    # every local data entity exists, and its SHA-256 is the file's
    for entity in crate.get_entities():
        if entity.id.startswith(("#", "http")) or entity.id in ("./", archive.CRATE):
            continue
        if entity.type in ("File", "Dataset") or "File" in (entity.type if isinstance(entity.type, list) else []):
            path = project / entity.id
            assert path.exists(), entity.id
            if path.is_file() and entity.get("sha256"):
                assert entity["sha256"] == archive.sha256(path), entity.id
    reports = [e for e in crate.get_entities() if e.id.startswith("reports/") and not e.id.endswith("/")]
    assert sorted(e.id for e in reports) == sorted(
        p.relative_to(project).as_posix() for p in (project / "reports").rglob("*") if p.is_file()
    )
    assert all(e["encodingFormat"] for e in reports)


def test_build_date_comes_from_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert archive.build_date() == "1970-01-01"


def test_index_links_the_archive_files(tmp_path):
    from compendium.reporting import site

    page = site.index_html(tmp_path, {}, "")
    for target in (
        "../ro-crate-metadata.json",
        "tables/datapackage.json",
        "datapackage-raw.json",
        "../codemeta.json",
        "../.zenodo.json",
        "../codecheck.yml",
        "codecheck-certificate.md",
    ):
        assert f'href="{target}"' in page
    assert os.path.basename(archive.CRATE) == "ro-crate-metadata.json"


def test_the_generator_ships_the_descriptor_the_command_writes(raw, tmp_path):
    """data/raw/datapackage.json (artifact contract) comes with generated data and is
    exactly what `compendium datapackage` writes from the contract's rules."""
    folder = tmp_path / "raw"
    shutil.copytree(raw, folder)
    shipped = (folder / "datapackage.json").read_bytes()
    assert archive.write_raw_package(folder).read_bytes() == shipped


def test_datapackage_command_writes_into_the_named_folder_only(raw, tmp_path, capsys):
    from compendium.cli import main

    folder = tmp_path / "team"
    shutil.copytree(raw, folder)
    (folder / "datapackage.json").unlink()  # a team's own folder has none yet
    before = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    assert main(["datapackage", str(folder)]) == 0
    after = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    assert sorted(set(after) - set(before)) == ["datapackage.json"]
    assert "frictionless validate" in capsys.readouterr().out
