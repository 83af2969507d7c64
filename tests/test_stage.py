"""A stage notebook run by hand: the pipeline's parameters, writes to a scratch folder."""

from __future__ import annotations

import shlex

import pytest
import yaml

from compendium.core import io, paths, stage
from compendium.pipeline.bench import stages
from compendium.pipeline.notebooks import parse_value


@pytest.fixture()
def project(tmp_path, monkeypatch, root):
    for name in ("dvc.yaml", "params.yaml"):
        (tmp_path / name).write_text((root / name).read_text())
    monkeypatch.setenv("COMPENDIUM_ROOT", str(tmp_path))
    monkeypatch.delenv(stage.STAGE_ENV, raising=False)
    monkeypatch.delenv(paths.SCRATCH_ENV, raising=False)
    return tmp_path


def test_a_hand_run_gets_the_parameters_the_pipeline_passes(project):
    """Checked against the pipeline's own path: dvc.yaml's command interpolated with
    params.yaml, then each -p value parsed as `compendium run-notebook` parses it."""
    for name, cmd in stages(project):
        args = shlex.split(cmd)
        if args[:2] != ["compendium", "run-notebook"]:
            continue
        expected = {args[i + 1]: parse_value(args[i + 2]) for i, a in enumerate(args) if a in ("-p", "--parameter")}
        assert stage.parameters(name, project) == expected, name


def test_parameters_follow_params_yaml(project):
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["outcomes"]["ci_level"] = 0.9
    (project / "params.yaml").write_text(yaml.safe_dump(params))
    assert stage.parameters("02-tabulate-outcomes", project)["ci_level"] == 0.9


def test_setup_overrides_the_defaults_and_redirects_writes(project, capsys):
    namespace = {"ci_level": 0.5}
    values = stage.setup(namespace, "02-tabulate-outcomes")
    assert namespace["ci_level"] == values["ci_level"] == 0.95
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
    namespace = {"ci_level": 0.5}
    assert stage.setup(namespace, "02-tabulate-outcomes") == {}
    assert namespace == {"ci_level": 0.5}
    assert paths.SCRATCH_ENV not in __import__("os").environ


def test_an_unknown_stage_or_key_is_named(project):
    with pytest.raises(KeyError, match="no stage 'nope'"):
        stage.parameters("nope", project)
    with pytest.raises(KeyError, match="no key 'outcomes.missing'"):
        stage._value("${outcomes.missing}", yaml.safe_load((project / "params.yaml").read_text()))
