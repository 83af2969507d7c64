"""A stage notebook run by hand: the pipeline's parameters, writes to a scratch folder."""

from __future__ import annotations

import os

import pytest

from compendium.core import io, paths, stage


@pytest.fixture()
def project(tmp_path, monkeypatch, root):
    for name in ("dvc.yaml", "params.yaml"):
        (tmp_path / name).write_text((root / name).read_text())
    monkeypatch.setenv("COMPENDIUM_ROOT", str(tmp_path))
    monkeypatch.delenv(stage.STAGE_ENV, raising=False)
    monkeypatch.delenv(paths.SCRATCH_ENV, raising=False)
    yield tmp_path
    os.environ.pop(paths.SCRATCH_ENV, None)  # stage.setup sets it as a hand run would


def test_setup_redirects_writes_of_a_hand_run(project, capsys):
    assert stage.setup("02-tabulate-outcomes") is True
    assert "Run by hand" in capsys.readouterr().out
    target = paths.tables_dir() / "table2_outcomes.md"
    io.write_text(target, "by hand\n")
    assert not target.exists()
    scratch = project / stage.SCRATCH / "reports" / "tables" / "table2_outcomes.md"
    assert scratch.read_text() == "by hand\n"


def test_reads_prefer_the_hand_runs_output_and_fall_back_to_the_pipelines(project, monkeypatch):
    pipeline_file = paths.reports_dir() / "results.json"
    pipeline_file.parent.mkdir(parents=True)
    pipeline_file.write_text('{"from": "pipeline"}')
    monkeypatch.setenv(paths.SCRATCH_ENV, str(project / stage.SCRATCH))
    assert io.read_json(pipeline_file) == {"from": "pipeline"}
    io.write_json(pipeline_file, {"from": "hand"})
    assert io.read_json(pipeline_file) == {"from": "hand"}
    assert pipeline_file.read_text() == '{"from": "pipeline"}'


def test_under_the_pipeline_setup_does_nothing(project, monkeypatch):
    monkeypatch.setenv(stage.STAGE_ENV, "02-tabulate-outcomes")
    assert stage.setup("02-tabulate-outcomes") is False
    assert paths.SCRATCH_ENV not in os.environ


def test_a_notebook_shows_the_tables_it_writes_formatted(tmp_path, monkeypatch):
    """Run in a real kernel, write_table displays the table's Markdown (not a raw frame)."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.delenv(paths.SCRATCH_ENV, raising=False)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import os, pandas as pd\n"
            f"os.environ['COMPENDIUM_ROOT'] = {str(tmp_path)!r}\n"
            "from compendium.core import io\n"
            "io.write_table(pd.DataFrame({'a': [1.23456789]}), 'demo', '| A |\\n|---|\\n| 1.23 |\\n', folder=None)"
        )
    ]
    (tmp_path / "reports" / "tables").mkdir(parents=True)
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    assert any(o.get("data", {}).get("text/markdown") == "| A |\n|---|\n| 1.23 |\n" for o in outputs), outputs
    assert (tmp_path / "reports" / "tables" / "demo.md").is_file()


def test_outside_a_kernel_nothing_is_displayed(capsys):
    from compendium.core import display

    assert not display.in_kernel()
    display.show_markdown("| x |")
    assert capsys.readouterr().out == ""


@pytest.mark.pipeline
def test_run_all_by_hand_leaves_the_committed_results_alone(shipped_run, monkeypatch):
    """A stage notebook executed as JupyterLab's "Run All" would (no papermill, no
    COMPENDIUM_STAGE): reports/ keeps its bytes; the outputs land in data/interim/by-hand/."""
    import shutil

    import nbformat
    from nbclient import NotebookClient

    monkeypatch.delenv(stage.STAGE_ENV, raising=False)
    monkeypatch.delenv(paths.SCRATCH_ENV, raising=False)
    monkeypatch.setenv("COMPENDIUM_ROOT", str(shipped_run))
    reports = shipped_run / "reports"
    before = {p: p.read_bytes() for p in sorted(reports.rglob("*")) if p.is_file()}
    nb = nbformat.read(shipped_run / "notebooks" / "02-tabulate-outcomes.ipynb", as_version=4)
    try:
        NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(shipped_run)}}
        ).execute()
        after = {p: p.read_bytes() for p in sorted(reports.rglob("*")) if p.is_file()}
        assert after == before
        scratch = shipped_run / stage.SCRATCH
        hand = (scratch / "reports" / "tables" / "table2_outcomes.csv").read_bytes()
        assert hand == (reports / "tables" / "table2_outcomes.csv").read_bytes()  # same parameters, same result
        text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        assert "Run by hand" in text
    finally:
        shutil.rmtree(shipped_run / stage.SCRATCH, ignore_errors=True)
