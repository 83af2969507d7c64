"""The whole pipeline, run by DVC and papermill in a temporary copy of the project."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from replication import ARMS, expected_table2, make_replication_data
from scipy import stats as sps
from scratch import ROOT, digest, make_project, reproduce, run, run_dvc
from scratch import copy_project as make_copy

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def shipped(shipped_run) -> Path:
    """The shipped study after a full run (the session's shared run: copy before changing)."""
    return shipped_run


def test_a_rerun_reproduces_the_committed_reports_byte_for_byte(root, as_is_run):
    """Whatever study the repository holds: its committed reports are what the code and
    its data/raw give, no file missing and none left over (with the shipped study, the
    rerun is the session's pristine one)."""
    committed, rerun = digest(root / "reports"), digest(as_is_run / "reports")
    for d in (committed, rerun):  # records the commit and the machine: not promised (README)
        d.pop("provenance.json", None)
    assert sorted(committed) == sorted(rerun)
    differ = [name for name in committed if committed[name] != rerun[name]]
    assert not differ, f"a forced rerun changed: {differ}"


def test_plain_dvc_repro_gives_the_same_bytes_as_the_warm_server(shipped, tmp_path):
    """`compendium reproduce` forks stages and kernels from a warm server; plain
    `dvc repro` starts each from scratch. The artifacts must not tell them apart."""
    from compendium.pipeline.warm import ENV

    project = make_copy(shipped, tmp_path / "compendium")
    assert ENV not in os.environ
    result = run_dvc(project, "repro", "--force")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    warm, cold = digest(shipped / "reports"), digest(project / "reports")
    for d in (warm, cold):
        d.pop("provenance.json", None)
    assert [n for n in sorted(set(warm) | set(cold)) if warm.get(n) != cold.get(n)] == []


def test_nothing_to_do_when_nothing_changed(shipped):
    result = run_dvc(shipped, "status")
    assert result.returncode == 0
    assert "up to date" in result.stdout, result.stdout


@pytest.fixture(params=["shipped", "as-is"])
def any_run(request) -> Path:
    """The shipped study's run and the repository's own study's run (the same project
    when the repository holds the shipped study)."""
    return request.getfixturevalue("shipped_run" if request.param == "shipped" else "as_is_run")


def test_no_absolute_path_or_withdrawn_learner_in_any_artifact(root, any_run):
    from compendium.checks.audit import text_of

    gone = pd.read_csv(
        any_run / "data" / "raw" / "participants.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False
    )
    gone = set(gone.loc[gone["consent"].str.strip().str.lower() == "withdrawn", "participant_id"])
    for path in (any_run / "reports").rglob("*"):
        if path.is_file() and path.suffix != ".png":
            text = text_of(path)  # inside DOCX, QDPX and PDF files too
            assert str(any_run) not in text and str(root) not in text, path
            assert not [g for g in gone if g in text], (path, gone)


@pytest.mark.parametrize("how", ["make-reproduce", "dvc-repro"])
def test_bad_input_stops_the_run_and_leaves_everything_as_it_was(shipped, tmp_path, how):
    project = make_copy(shipped, tmp_path / "compendium")
    raw = project / "data" / "raw" / "participants.csv"
    lines = raw.read_text().split("\n")
    lines[4] = lines[4].replace("control", "contrl").replace("intervention", "interventn")
    raw.write_text("\n".join(lines))
    survey = project / "data" / "raw" / "survey.csv"
    survey.write_text(survey.read_text().replace("\npre,", "\nbaseline,", 1))
    before_raw, before_reports = digest(project / "data" / "raw"), digest(project / "reports")

    result = run(project, "reproduce") if how == "make-reproduce" else run_dvc(project, "repro")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "participants.csv, row 4 (line 5), column 'group'" in output, output[-3000:]
    assert "Traceback" not in output if how == "make-reproduce" else True
    assert digest(project / "data" / "raw") == before_raw
    assert digest(project / "reports") == before_reports


def test_a_failing_later_stage_puts_reports_back(shipped, tmp_path):
    project = make_copy(shipped, tmp_path / "compendium")
    # a bad parameter is refused before any stage (tests/test_params.py): break a late stage instead
    template = project / "manuscript" / "manuscript.md.j2"
    template.write_text(template.read_text() + '\n{{ v("no.such.key") }}\n')
    before = digest(project / "reports")
    result = run(project, "reproduce")
    assert result.returncode != 0
    assert "Nothing was published" in result.stderr
    assert digest(project / "reports") == before


@pytest.fixture(scope="module")
def replication(tmp_path_factory) -> Path:
    """A replication team's study (other arm labels, three sites, ...) named in params.yaml,
    the way a team that keeps no dataset.yaml sets its arms."""
    base = tmp_path_factory.mktemp("replication")
    raw = make_replication_data(base / "raw")
    params = {"arms.control": ARMS[0], "arms.intervention": ARMS[1]}
    if "truth_file" in (yaml.safe_load((ROOT / "params.yaml").read_text()).get("deidentify") or {}):
        params["deidentify.truth_file"] = ""  # a team's own data: no generator's truth
    return reproduce(make_project(base / "compendium", raw, params=params))


def test_replication_data_run_without_code_change_and_match_scipy(replication):
    got = pd.read_csv(replication / "reports" / "tables" / "table2_outcomes.csv").set_index("outcome")
    want = expected_table2(replication / "data" / "raw").set_index("outcome")
    counts = ["control_events", "control_n", "intervention_events", "intervention_n"]
    pd.testing.assert_frame_equal(got[counts], want[counts], check_dtype=False)
    assert got["control_n"].ne(got["intervention_n"]).all()  # unequal arms
    for _outcome, row in got.iterrows():
        table = [
            [row.intervention_events, row.intervention_n - row.intervention_events],
            [row.control_events, row.control_n - row.control_events],
        ]
        expected = sps.contingency.expected_freq(table)
        if expected.min() >= 5:
            # reference: scipy.stats.chi2_contingency(correction=False)
            ref = sps.chi2_contingency(table, correction=False)
            assert row.test == "chi2"
            assert row.statistic == pytest.approx(ref.statistic) and row.p_value == pytest.approx(ref.pvalue)
        else:
            # reference: scipy.stats.fisher_exact (two-sided)
            assert row.test == "fisher"
            assert row.p_value == pytest.approx(sps.fisher_exact(table).pvalue)
    assert got.loc["leadership_role", "test"] == "fisher"


def test_replication_reports_show_no_synthetic_label_and_no_withdrawn_learner(replication):
    gone = pd.read_csv(replication / "data" / "raw" / "participants.csv", dtype=str, encoding="utf-8-sig")
    gone = set(gone.loc[gone["consent"] == "withdrawn", "participant_id"])
    md = (replication / "reports" / "tables" / "table2_outcomes.md").read_text()
    assert "Synthetic data" not in md
    for path in (replication / "reports").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not [g for g in gone if g in text], path
    t1 = pd.read_csv(replication / "reports" / "tables" / "table1_demographics.csv")
    assert set(t1.loc[t1["variable"] == "site", "level"]) == {"site_1", "site_2", "site_3"}


def test_single_site_writes_no_pooling(shipped):
    tables = shipped / "reports" / "tables"
    assert not (tables / "table2_by_site.csv").exists() and not (tables / "meta_analysis.csv").exists()
    assert "one site" in (tables / "sites.md").read_text()
    assert not list((shipped / "reports" / "figures").glob("forest_sites_*"))


def test_three_sites_are_tabulated_and_pooled(replication):
    import json

    tables = replication / "reports" / "tables"
    by_site = pd.read_csv(tables / "table2_by_site.csv")
    t2 = pd.read_csv(tables / "table2_outcomes.csv").set_index("outcome")
    assert set(by_site["site"]) == {"site_1", "site_2", "site_3"}
    cols = ["control_events", "control_n", "intervention_events", "intervention_n"]
    sums = by_site.groupby("outcome")[cols].sum()
    pd.testing.assert_frame_equal(sums, t2.loc[sums.index, cols], check_dtype=False)
    meta = pd.read_csv(tables / "meta_analysis.csv")
    assert len(meta) == 12 and set(meta["measure"]) == {"risk_difference", "log_odds_ratio", "odds_ratio"}
    figures = sorted(p.name for p in (replication / "reports" / "figures").glob("forest_sites_*"))
    assert len(figures) == 8
    results = json.loads((replication / "reports" / "results.json").read_text())
    assert results["sites.count"] == 3
    assert "meta.leadership_role.risk_difference.tau2" in results


def test_qualitative_artifacts_hold_no_identifier_and_nothing_withdrawn(shipped):
    """The audit stage passed; check its record and the quotes and export directly too."""
    import json
    import zipfile

    audit = json.loads((shipped / "data" / "interim" / "leak_audit.json").read_text())
    assert audit["hits"] == 0 and audit["identifiers_searched"]["planted"] > 50
    planted = pd.read_csv(shipped / "data" / "synthetic" / "planted_identifiers.csv")
    gone = json.loads((shipped / "data" / "private" / "withdrawn.json").read_text())["withdrawn"]
    quotes = pd.read_csv(shipped / "reports" / "tables" / "exemplar_quotes.csv")
    assert not {"speaker", "source_id", "unit"} & set(quotes.columns)  # descriptors, never identifiers
    with zipfile.ZipFile(shipped / "reports" / "qda" / "project.qdpx") as zf:
        text = "".join(zf.read(n).decode("utf-8") for n in zf.namelist())
    assert not [p for p in planted["text"] if p in text]
    assert not [g for g in gone if g in text]
    from compendium.data.sources import split_front_matter

    raw = shipped / "data" / "raw" / "sources"
    metas = [split_front_matter(p.read_text()).meta for p in sorted(raw.glob("*.md"))]
    dropped = [m["id"] for m in metas if m["participants"] and set(m["participants"]) <= set(gone)]
    assert dropped, "the shipped data should have a source whose participants all withdrew"
    assert all(f'name="{sid}"' not in text for sid in dropped)


def test_a_planted_leak_fails_the_run_and_restores_reports(shipped, tmp_path):
    project = make_copy(shipped, tmp_path / "compendium")
    before = digest(project / "reports")
    planted = pd.read_csv(project / "data" / "synthetic" / "planted_identifiers.csv")
    nb = project / "notebooks" / "08-analyse-themes.ipynb"
    anchor = "quotes = themes.exemplar_quotes(coded, per_code=quotes_per_code)"
    text = nb.read_text().replace(anchor, f"{anchor}\\nprint({planted['text'].iloc[0]!r})")
    assert text != nb.read_text()
    nb.write_text(text)
    result = run(project, "reproduce")
    assert result.returncode != 0
    assert "leak audit found identifying text" in result.stdout + result.stderr
    assert planted["text"].iloc[0] not in result.stdout + result.stderr
    assert digest(project / "reports") == before


def test_make_verify_reports_a_changed_artifact(shipped, tmp_path):
    """``compendium verify`` reruns everything in a fresh clone of the last commit and grades
    each committed file the rerun does not give back: a number whose last stated digit
    flipped (another CPU) is the same at the stated precision; an edited table or a
    number changed at the published rounding differs, and the command fails."""
    project = make_copy(shipped, tmp_path / "compendium")
    table = project / "reports" / "tables" / "table2_outcomes.md"
    table.write_text(table.read_text() + "\nedited by hand\n")
    results = project / "reports" / "results.json"
    text = results.read_text()
    m = re.search(r": (0\.[1-9]\d{6}[1-8]),", text)  # a number at the working precision, last digit 1-8
    results.write_text(text[: m.start(1)] + m.group(1)[:-1] + str(int(m.group(1)[-1]) + 1) + text[m.end(1) :])
    csv = project / "reports" / "tables" / "adjusted_effects.csv"
    lines = csv.read_text().splitlines()
    cells = lines[1].split(",")
    k = next(i for i, c in enumerate(cells) if re.fullmatch(r"\d+\.\d{3,}", c))
    cells[k] = f"{float(cells[k]) + 0.01:.8g}"  # a change a reader would see at two decimals
    csv.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "snapshot"], cwd=project, check=True)
    result = run(project, "verify")
    out = result.stdout
    assert result.returncode == 1, out[-2000:] + result.stderr[-2000:]
    assert "2 differ" in out and "reports/tables/table2_outcomes.md: differs" in out
    assert "reports/tables/adjusted_effects.csv: differs" in out
    assert "reports/results.json: same at the stated precision" in out
    assert "verify: files that differ: reports/tables/adjusted_effects.csv, reports/tables/table2_outcomes.md" in out

    m = re.search(r"(\d+) published claims: (\d+) match, 0 mismatch", out)
    assert m and m.group(1) == m.group(2) and "verify: FAILED" in out


def test_a_rerun_with_nothing_changed_skips_dvc(shipped):
    first = run(shipped, "reproduce")  # records the fingerprint of a successful run
    assert first.returncode == 0
    again = run(shipped, "reproduce")
    assert again.returncode == 0 and "Nothing changed since the last successful run" in again.stdout
    (shipped / "params.yaml").touch()
    after_touch = run(shipped, "reproduce")
    assert after_touch.returncode == 0 and "Nothing changed" not in after_touch.stdout


def test_parameter_variants_run_as_dvc_experiments(shipped, tmp_path):
    """The scale-out path of the README: a parameter variant as a DVC experiment whose
    results.json keys are metrics that ``dvc exp show`` compares."""
    import json

    project = tmp_path / "compendium"  # with its intermediate data and DVC cache: only dependents rerun
    shutil.copytree(shipped, project, ignore=shutil.ignore_patterns(".git", "tmp", "__pycache__"))
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "baseline"], cwd=project, check=True)
    result = run_dvc(project, "exp", "run", "-n", "strict-kappa", "-S", "agreement.kappa_threshold=0.8")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    ran = set(re.findall(r"Running stage '([^']+)'", result.stdout + result.stderr))
    assert "07-measure-agreement" in ran and not ran & {"02-tabulate-outcomes", "03-estimate-effects"}
    shown = run_dvc(project, "exp", "show", "--json")
    assert shown.returncode == 0
    text = json.dumps(json.loads(shown.stdout))
    assert "strict-kappa" in text and "params.kappa_threshold" in text


def test_replication_irr_matches_sklearn_per_code(replication):
    from sklearn.metrics import cohen_kappa_score

    from compendium.core.config import Arms
    from compendium.data.contract import load_study

    s = load_study(replication / "data" / "raw", Arms(*ARMS), "coder_a")
    irr = pd.read_csv(replication / "reports" / "tables" / "irr.csv").set_index("code")
    c = s.codings
    both = set(c.loc[c["coder"] == "coder_a", "source_id"]) & set(c.loc[c["coder"] == "coder_b", "source_id"])
    units = s.units[s.units["source_id"].isin(both)]
    keys = list(zip(units["source_id"], units["unit"].astype(int)))
    for code in s.codebook["code"]:
        coded = {
            coder: {
                (a, int(b))
                for a, b in zip(*c.loc[(c["coder"] == coder) & (c["code"] == code), ["source_id", "unit"]].T.values)
            }
            for coder in ("coder_a", "coder_b")
        }
        # reference: sklearn.metrics.cohen_kappa_score over the same units
        ref = cohen_kappa_score([k in coded["coder_a"] for k in keys], [k in coded["coder_b"] for k in keys])
        assert irr.at[code, "cohen_kappa"] == pytest.approx(ref)
