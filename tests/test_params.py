"""params.yaml: one schema (compendium.core.config.SCHEMA) declares every key, its default
and the values it may take; the file is checked before any stage runs; lists are YAML
lists; the stages receive exactly the keys dvc.yaml lists for them. Also: one function
sets up the deterministic environment, and every result is computed in one stage."""

from __future__ import annotations

import ast
import json
import math
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from scratch import make_project, run, set_params

from compendium.core import config, environment
from compendium.core.config import SCHEMA, ParamsError, check_params, defaults

# --------------------------------------------------------------------------- the schema


def _with(key: str, value) -> dict:
    params = defaults()
    section, name = key.split(".")
    params[section][name] = value
    return params


BAD = [  # (key, value, the words of the error that say what is allowed)
    ("outcomes.ci_level", "abc", "a number greater than 0 and less than 1"),  # type
    ("outcomes.ci_level", 1.5, "a number greater than 0 and less than 1"),  # range
    ("outcomes.ci_level", 0, "a number greater than 0 and less than 1"),  # open bound
    ("outcomes.ci_level", True, "a number greater than 0 and less than 1"),  # a boolean is no number
    ("outcomes.ci_level", float("nan"), "a number greater than 0 and less than 1"),
    ("outcomes.min_expected", -1, "a number at least 0"),
    ("privacy.min_cell", 2.5, "a whole number at least 1"),
    ("privacy.min_cell", 0, "a whole number at least 1"),
    ("agreement.bootstrap_replicates", "1000", "a whole number at least 1"),
    ("agreement.kappa_threshold", 1.2, "a number at least -1 and at most 1"),
    ("effects.power_min_difference", 100, "a number greater than 0 and less than 100"),
    ("outcomes.primary", "leadership", "one of increased_cultural_competence, active_participation"),  # choices
    ("effects.adjust_baseline", "yes", "true or false"),
    ("effects.stratum", "", "text (non-empty)"),
    ("arms.control", 1, "text"),
    ("effects.covariates", "previous_activism, gender, age", "a YAML list of text"),  # the old encoding
    ("effects.covariates", ["gender", 3], "a YAML list of text"),
    ("effects.covariates", ["gender", "gender"], "a YAML list of text"),
    ("deidentify.names", "Jane Roe; John Doe", "a YAML list of text"),
    ("deidentify.institutions", None, "a YAML list of text"),
]


@pytest.mark.parametrize("key,value,allowed", BAD, ids=[f"{k}={v!r}" for k, v, _ in BAD])
def test_a_bad_value_is_refused_naming_key_value_and_what_is_allowed(key, value, allowed):
    with pytest.raises(ParamsError) as err:
        check_params(_with(key, value))
    message = str(err.value)
    assert message.startswith("params.yaml: ")
    assert f"{key} = {value!r}" in message
    assert allowed in message


def test_unknown_and_missing_keys_are_refused_with_a_suggestion():
    params = defaults()
    params["outcomes"]["ci_levle"] = params["outcomes"].pop("ci_level")
    params["colours"] = {"arm": "red"}
    with pytest.raises(ParamsError) as err:
        check_params(params)
    message = str(err.value)
    assert "outcomes.ci_levle: not a parameter (did you mean outcomes.ci_level?)" in message
    assert "colours: not a section" in message
    assert "outcomes.ci_level: missing (its default is 0.95)" in message
    assert "3 problems" in message


def test_rules_between_parameters():
    with pytest.raises(ParamsError, match=r"arms.control = 'waitlist' and arms.intervention = ''.*both labels set"):
        check_params(_with("arms.control", "waitlist"))
    params = _with("arms.control", "same")
    params["arms"]["intervention"] = "same"
    with pytest.raises(ParamsError, match="two different labels"):
        check_params(params)
    with pytest.raises(ParamsError, match="dissonant_kappa = 0.5 is not below integration.convergent_kappa = 0.4"):
        check_params(_with("integration.dissonant_kappa", 0.5))


def test_good_values_pass_unchanged():
    params = _with("outcomes.ci_level", 0.9)
    params["effects"]["covariates"] = []
    params["deidentify"]["names"] = ["Jane Roe, MD", "O'Brien"]  # commas and quotes are fine in a list
    assert check_params(params) == params


def test_not_a_mapping():
    with pytest.raises(ParamsError, match="expected a mapping of sections"):
        check_params(["outcomes"])


# --------------------------------------------------------------------------- one place for defaults


def test_params_yaml_holds_exactly_the_schema_defaults_in_its_order(root):
    """The shipped params.yaml is the schema's defaults, key for key and in the same order
    (the schema is the one place a default is written; the file only shows it)."""
    shipped = yaml.safe_load((root / "params.yaml").read_text())
    assert [f"{s}.{k}" for s, body in shipped.items() for k in body] == list(SCHEMA)
    assert shipped == defaults()
    assert check_params(shipped) == defaults()


def test_every_default_is_allowed_by_its_own_rule():
    for key, spec in SCHEMA.items():
        assert spec.problem(spec.default) is None, key


def test_the_outcome_choices_are_the_contracts():
    from compendium.data.contract import OUTCOME_NAMES

    assert SCHEMA["outcomes.primary"].choices == tuple(OUTCOME_NAMES)


def test_lists_are_yaml_lists(root):
    shipped = yaml.safe_load((root / "params.yaml").read_text())
    lists = [key for key, spec in SCHEMA.items() if spec.kind == "list"]
    assert {"effects.covariates", "deidentify.names", "deidentify.institutions"} <= set(lists)
    for key in lists:
        section, name = key.split(".")
        assert isinstance(shipped[section][name], list), key
    # and nothing splits a parameter's text any more
    for path in [*(root / "notebooks").glob("*.ipynb"), *(root / "src" / "compendium").rglob("*.py")]:
        assert "split_csv" not in path.read_text() and "split_list" not in path.read_text(), path.name


def _parameter_cell(path: Path) -> list[tuple[str, str]]:
    """(name, key) of each ``name = config.param("key")`` of a notebook's parameters cell;
    any other statement but the import of config fails."""
    cell = json.loads(path.read_text())["cells"][0]
    assert "parameters" in cell["metadata"].get("tags", [])
    pairs = []
    for node in ast.parse("".join(cell["source"])).body:
        if isinstance(node, ast.ImportFrom) and node.module == "compendium.core":
            continue
        call = node.value if isinstance(node, ast.Assign) else None
        assert (
            isinstance(call, ast.Call)
            and ast.unparse(call.func) == "config.param"
            and isinstance(call.args[0], ast.Constant)
        ), f"{path.name}: {ast.unparse(node)} (a parameter must read params.yaml through config.param)"
        pairs.append((node.targets[0].id, call.args[0].value))
    return pairs


def _passed(cmd: str) -> list[str]:
    args = shlex.split(cmd)
    if "--params" not in args:
        return []
    rest = args[args.index("--params") + 1 :]
    return [a for a in rest[: next((i for i, a in enumerate(rest) if a.startswith("-")), len(rest))]]


def test_each_notebook_reads_what_its_stage_declares(root):
    """A notebook's parameters cell holds no value of its own: each parameter reads its
    params.yaml key (so a notebook run by hand uses the pipeline's values), is named by
    the key's last part, and the keys are those the stage passes with --params and lists
    under params (which tell DVC when to rerun it)."""
    stages = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        stage = stages[path.stem]
        pairs = _parameter_cell(path)
        assert all(key.rsplit(".", 1)[1] == name for name, key in pairs), path.name
        declared = config.stage_keys(stage.get("params") or [])
        assert config.stage_keys(_passed(stage["cmd"])) == declared, path.stem
        assert sorted(key for _, key in pairs) == sorted(declared), path.name
        assert "-p " not in stage["cmd"], f"{path.stem}: values go through --params, not -p"


def test_notebook_parameters_are_typed_values_named_by_their_last_part():
    params = _with("effects.covariates", ["gender"])
    assert config.notebook_parameters(["effects", "outcomes.ci_level"], params) == {
        "covariates": ["gender"],
        "adjust_baseline": True,
        "stratum": "previous_activism",
        "power_alpha": 0.05,
        "power_min_difference": 15,
        "ci_level": 0.95,
    }
    with pytest.raises(ParamsError, match="outcomes.level is neither a section nor a parameter"):
        config.stage_keys(["outcomes.level"])


def test_level_label():
    assert [config.level_label(x) for x in (0.95, 0.9, 0.975, 0.99, 0.5)] == ["95%", "90%", "97.5%", "99%", "50%"]


# --------------------------------------------------------------------------- refused before any stage runs


@pytest.fixture(scope="module")
def unrun(pristine, tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("params") / "compendium", pristine.raw, pristine.truth)


@pytest.mark.parametrize(
    "values,expected",
    [
        (
            {"outcomes.ci_level": "abc"},
            "outcomes.ci_level = 'abc': text, not a number; allowed: a number greater than 0",
        ),
        ({"outcomes.ci_level": 1.5}, "outcomes.ci_level = 1.5: out of range"),
        ({"effects.covariates": "gender, age"}, "effects.covariates = 'gender, age': text, not a YAML list"),
    ],
)
def test_compendium_reproduce_refuses_a_bad_value_before_any_stage(unrun, tmp_path, values, expected):
    project = tmp_path / "compendium"
    shutil.copytree(unrun, project, ignore=shutil.ignore_patterns(".git"))
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    params = project / "params.yaml"
    params.write_text(set_params(params.read_text(), values))
    result = run(project, "reproduce")
    assert result.returncode == 1
    assert f"error: params.yaml: {expected}" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "Running stage" not in result.stdout + result.stderr
    assert not (project / "reports").exists() and not (project / "dvc.lock").exists()


def test_a_stage_run_by_plain_dvc_refuses_it_too(unrun, tmp_path):
    """Plain ``dvc repro`` starts no wrapper: the stage's own command checks the whole file
    before its notebook starts (here stage 01, which does not use the bad key)."""
    project = tmp_path / "compendium"
    shutil.copytree(unrun, project, ignore=shutil.ignore_patterns(".git"))
    params = project / "params.yaml"
    params.write_text(set_params(params.read_text(), {"agreement.bootstrap_replicates": 0}))
    stage = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]["01-validate-data"]["cmd"]
    result = run(project, *shlex.split(stage)[1:])
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: params.yaml: agreement.bootstrap_replicates = 0: out of range; allowed: a whole number at least 1"
    )
    assert not (project / "data" / "interim").exists()


# --------------------------------------------------------------------------- a confidence level of 90%


@pytest.mark.pipeline
def test_ci_level_0_9_runs_end_to_end_and_every_label_follows_it(shipped_run, tmp_path):
    """With ``outcomes.ci_level: 0.9`` the whole pipeline runs (the manuscript included),
    the intervals are 90% ones (checked against statsmodels' Newcombe interval), and no
    table, figure, manuscript or page speaks of 95% intervals."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    project = tmp_path / "compendium"  # with its DVC cache: stages that ignore ci_level do not rerun
    shutil.copytree(shipped_run, project, ignore=shutil.ignore_patterns(".git", "tmp", "__pycache__"))
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    params = project / "params.yaml"
    params.write_text(set_params(params.read_text(), {"outcomes.ci_level": 0.9}))
    result = run(project, "reproduce")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    reports = project / "reports"
    assert json.loads((reports / "results.json").read_text())["params.ci_level"] == 0.9
    t2 = pd.read_csv(reports / "tables" / "table2_outcomes.csv")
    for r in t2.itertuples():
        low, high = confint_proportions_2indep(
            r.intervention_events, r.intervention_n, r.control_events, r.control_n, method="newcomb", alpha=0.1
        )
        assert math.isclose(r.rd_ci_low, low, rel_tol=1e-7) and math.isclose(r.rd_ci_high, high, rel_tol=1e-7)
    texts = {
        p.relative_to(reports).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(reports.rglob("*"))
        if p.suffix in (".md", ".html", ".svg") and "notebooks" not in p.parts
    }
    said_95 = {name for name, text in texts.items() if re.search(r"95\s*%\s*(CI|confidence|Wilson)", text)}
    assert not said_95, f"95% intervals named in {sorted(said_95)}"
    assert "90% CI" in texts["tables/table2_outcomes.md"] and "90% CI" in texts["manuscript.md"]
    assert "90% confidence" in texts["manuscript.md"]
    assert "90% Wilson CI" in texts["figures/outcome_proportions.svg"]
    assert "90% CI" in texts["figures/effects_forest.svg"]


# --------------------------------------------------------------------------- one deterministic environment


def test_deterministic_env_imposes_the_fixed_values_and_defaults_the_rest():
    env = environment.deterministic_env({"PYTHONHASHSEED": "random", "SOURCE_DATE_EPOCH": "0", "HOME": "/h"})
    assert env["PYTHONHASHSEED"] == "0" and env["SOURCE_DATE_EPOCH"] == "0" and env["HOME"] == "/h"
    assert env["MPLBACKEND"] == "Agg" and env["DVC_NO_ANALYTICS"] == "1" and env["OPENBLAS_NUM_THREADS"] == "1"
    assert environment.deterministic_env({})["SOURCE_DATE_EPOCH"] == environment.EPOCH


def test_the_makefile_exports_the_same_environment(root):
    text = (root / "Makefile").read_text()
    exported = {m[0]: (m[1], m[2].strip()) for m in re.findall(r"(?m)^export (\w+) (:=|\?=) (.*)$", text)}
    expected = {k: (":=", v) for k, v in environment.FIXED.items()}
    expected |= {k: ("?=", v) for k, v in environment.DEFAULTS.items()}
    assert exported == expected


def test_no_other_module_sets_the_environment(root):
    """The settings live in core/environment.py: no other module writes one of its
    variables or repeats the default date."""
    names = "|".join([*environment.FIXED, *environment.DEFAULTS])
    writes = re.compile(rf"""(environ(\.setdefault\(|\[)|env(\.setdefault\(|\[))["']({names})["']""")
    for path in (root / "src" / "compendium").rglob("*.py"):
        if path.name == "environment.py":
            continue
        text = path.read_text()
        assert not writes.search(text), f"{path.relative_to(root)} sets {writes.search(text).group(0)}"
        assert environment.EPOCH not in text or "synthesize" in path.parts, path.relative_to(root)


def test_apply_puts_it_into_the_process_environment():
    """``compendium`` (cli.main) calls it first, so every process it starts inherits it."""
    probe = (
        "import os\nfrom compendium.core import environment\nenvironment.apply()\n"
        "print(os.environ['TZ'], os.environ['MPLBACKEND'], os.environ['OMP_NUM_THREADS'], "
        "os.environ['SOURCE_DATE_EPOCH'])"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env={}, check=True).stdout
    assert out.split() == ["UTC", "Agg", "1", environment.EPOCH]


# --------------------------------------------------------------------------- each result computed once

ANALYSIS_MODULES = {
    "outcomes",
    "effects",
    "sites",
    "reliability",
    "demographics",
    "agreement",
    "themes",
    "deidentify",
    "integration",
    "qdpx",
    "audit",
    "verification",
}
SHARED_JOINS = {"themes.unit_people", "themes.coded_units"}  # joins of the validated tables, not results


def test_every_result_is_computed_in_one_notebook(root):
    """Table 2 comes from stage 02 only (03 and 12 read data/interim/table2_outcomes.parquet);
    the exemplar quotes and the co-occurrence counts from stage 08 only (12 reads them)."""
    where: dict[str, set[str]] = {}
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            for node in ast.walk(ast.parse("".join(cell["source"]))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    owner = node.func.value
                    if isinstance(owner, ast.Name) and owner.id in ANALYSIS_MODULES:
                        where.setdefault(f"{owner.id}.{node.func.attr}", set()).add(path.stem)
    twice = {name: sorted(stems) for name, stems in where.items() if len(stems) > 1 and name not in SHARED_JOINS}
    assert not twice, f"computed in more than one stage: {twice}"
    assert where["outcomes.table2"] == {"02-tabulate-outcomes"}
    stages = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]
    for stem in ("03-estimate-effects", "12-integrate-methods"):
        assert "data/interim/table2_outcomes.parquet" in stages[stem]["deps"], stem
    assert "data/interim/table2_outcomes.parquet" in stages["02-tabulate-outcomes"]["outs"]
