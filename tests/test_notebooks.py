"""Source notebooks: stored without outputs, parameterised, thin, and wired into dvc.yaml."""

from __future__ import annotations

import ast
import json

import pytest
import yaml

from compendium.pipeline.notebooks import normalise, parse_value


def notebooks(root):
    return sorted((root / "notebooks").glob("*.ipynb"))


def test_there_are_stage_notebooks(root):
    assert len(notebooks(root)) >= 2


def test_sources_have_no_outputs_and_a_parameters_cell(root):
    for path in notebooks(root):
        nb = json.loads(path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), path.name
        tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1 and code[0] is tagged[0], f"{path.name}: the first code cell must be tagged parameters"


def test_notebooks_are_thin(root):
    """Logic lives in the package: no function or class is defined in a notebook."""
    for path in notebooks(root):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                tree = ast.parse("".join(cell["source"]))
                defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
                assert not defs, f"{path.name} defines {[d.name for d in defs]}; move it into src/compendium"


def test_every_notebook_is_a_dvc_stage_named_after_it(root):
    stages = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]
    for path in notebooks(root):
        stage = stages.get(path.stem)
        assert stage, f"dvc.yaml has no stage {path.stem}"
        assert f"notebooks/{path.name}" in stage["cmd"]
        assert f"notebooks/{path.name}" in stage["deps"]
        outs = [next(iter(o)) if isinstance(o, dict) else o for o in stage["outs"]]
        # the leak audit reads all of reports/, so its own executed copy is kept outside it
        home = "data/interim" if "reports" in stage["deps"] else "reports/notebooks"
        assert f"{home}/{path.name}" in outs


def test_every_parameter_passed_by_dvc_exists_in_the_notebook(root):
    stages = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]
    for path in notebooks(root):
        nb = json.loads(path.read_text())
        declared = set()
        for node in ast.walk(ast.parse("".join(nb["cells"][0]["source"]))):
            if isinstance(node, ast.Assign):
                declared |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        passed = stages[path.stem]["cmd"].split()
        names = {passed[i + 1] for i, word in enumerate(passed) if word == "-p"}
        assert names <= declared, f"{path.name}: dvc.yaml passes {names - declared}, not in its parameters cell"


def test_reports_are_committed_and_not_cached(root):
    stages = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]
    for name, stage in stages.items():
        for out in stage.get("outs", []):
            if isinstance(out, dict):
                path, opts = next(iter(out.items()))
            else:
                path, opts = out, {}
            if path.startswith("reports/") or "/" not in path:  # reports/ and the archive metadata at the root
                assert opts.get("cache") is False and opts.get("persist") is True, (name, path)
            elif path.startswith("data/private/"):  # personal data: never in the DVC cache
                assert opts.get("cache") is False, (name, path)
            else:
                assert path.startswith("data/interim/"), (name, path)


@pytest.mark.parametrize(
    "text,value",
    [("0.5", 0.5), ("5", 5), ("true", True), ("data/raw", "data/raw"), ("coder_a", "coder_a"), ("1e-3", "1e-3")],
)
def test_parameters_are_typed_like_papermill(text, value):
    assert parse_value(text) == value and type(parse_value(text)) is type(value)


def test_normalise_removes_run_dependent_metadata():
    nb = {
        "metadata": {
            "papermill": {"start_time": "x", "end_time": "y", "duration": 1.0, "parameters": {"a": 1}},
            "language_info": {"name": "python", "version": "3.11.7"},
        },
        "cells": [{"id": "abc", "metadata": {"execution": {"t": 1}, "papermill": {"duration": 2, "status": "ok"}}}],
    }
    out = normalise(nb)
    assert out["metadata"]["papermill"] == {"parameters": {"a": 1}}
    assert out["metadata"]["language_info"] == {"name": "python"}
    assert out["cells"][0] == {"id": "cell-01", "metadata": {"papermill": {}}}
