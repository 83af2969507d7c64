"""The package's layers: a lower layer never imports a higher one, no module imports
another in a cycle, and the command line is imported by nothing.

Every ``import`` is read from the source with :mod:`ast` (those inside functions too),
so a lazy import cannot hide an upward dependency. ``docs/architecture.md`` draws the
same layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from compendium.pipeline import codedeps

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "compendium"

# each layer and the layers it may import (its own modules are always allowed)
LAYERS: dict[str, set[str]] = {
    "core": set(),
    "data": {"core"},
    "synthesize": {"core", "data"},
    "quantitative": {"core", "data"},
    "qualitative": {"core", "data"},
    "mixed": {"core", "data", "quantitative", "qualitative"},
    "reporting": {"core", "data", "quantitative", "qualitative", "mixed"},
    "checks": {"core", "data", "quantitative", "qualitative", "mixed", "reporting"},
    "pipeline": {"core", "data", "quantitative", "qualitative", "mixed", "reporting", "checks"},
    "cli": {"core", "data", "synthesize", "quantitative", "qualitative", "mixed", "reporting", "checks", "pipeline"},
}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # None: the package root (compendium/__init__)


MODULES = {codedeps.module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = codedeps.import_graph()


def test_every_module_sits_in_a_known_layer():
    unknown = sorted(m for m in MODULES if layer_of(m) is not None and layer_of(m) not in LAYERS)
    assert not unknown, f"modules outside the layers of docs/architecture.md: {unknown}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_layer_imports_only_layers_below_it(module):
    mine = layer_of(module)
    if mine is None:
        return
    upward = sorted(target for target in GRAPH[module] if layer_of(target) not in (mine, None, *LAYERS[mine]))
    assert not upward, f"{module} ({mine}) imports a higher or sideways layer: {upward}"


def test_nothing_imports_the_command_line():
    importers = sorted(m for m, targets in GRAPH.items() if "compendium.cli" in targets)
    assert not importers, f"compendium.cli is imported by {importers}"


def test_no_import_cycles():
    """Tarjan-free check: depth-first search over the whole graph, function-level imports included."""
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(GRAPH.get(node, ())):
            if target not in MODULES:
                continue
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for name in sorted(MODULES):
        if name not in state:
            visit(name)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_import_reader_sees_function_level_and_relative_imports():
    """The rule is not vacuous: lazy, relative and from-package imports all resolve."""
    source = (
        "def f():\n"
        "    from compendium.reporting import tables\n"
        "    from ..quantitative.stats import holm\n"
        "    import compendium.checks.audit\n"
    )
    found = codedeps.imports_in(ast.parse(source), "compendium.data")
    assert found == {"compendium.reporting.tables", "compendium.quantitative.stats", "compendium.checks.audit"}
    upward = sorted(t for t in found if layer_of(t) not in ("data", None, *LAYERS["data"]))
    assert upward == ["compendium.checks.audit", "compendium.quantitative.stats", "compendium.reporting.tables"]


def test_each_stage_depends_on_the_code_it_runs():
    """dvc.yaml lists, per stage, exactly the source files the stage imports
    (``make stage-deps`` rewrites them): not the whole package, and nothing missing."""
    text = (ROOT / "dvc.yaml").read_text(encoding="utf-8")
    assert codedeps.rewrite_dvc_yaml(text, ROOT) == text, "run `make stage-deps`"
    stages = yaml.safe_load(text)["stages"]
    for name, stage in stages.items():
        assert "src/compendium" not in stage.get("deps", []), f"{name} still depends on the whole package"
    site = [d for d in stages["14-build-site"]["deps"] if d.startswith("src/")]
    assert "src/compendium/reporting/site.py" in site
    assert not any(
        "reporting/site.py" in d
        for n, s in stages.items()
        if n not in ("14-build-site", "15-describe-archive", "16-ro-crate")
        for d in s.get("deps", [])
    )


def test_a_dependency_dropped_from_dvc_yaml_but_kept_in_dvc_lock_is_stale(tmp_path):
    """DVC keeps a stage's dropped dependency in dvc.lock until the stage runs again;
    a fresh clone's first run would then rewrite dvc.lock. `make lint` names it."""
    from compendium.pipeline import codedeps

    (tmp_path / "params.yaml").write_text("data: {raw_dir: data/raw}\n")
    (tmp_path / "dvc.yaml").write_text(
        "stages:\n  a:\n    cmd: echo\n    deps: [src/x.py, '${data.raw_dir}']\n    outs: [o]\n"
    )
    lock = (
        "schema: '2.0'\nstages:\n  a:\n    cmd: echo\n    deps:\n"
        "    - path: data/raw\n      md5: 1\n    - path: src/x.py\n      md5: 2\n"
    )
    (tmp_path / "dvc.lock").write_text(lock)
    assert codedeps.stale_lock_deps(tmp_path) == {}
    (tmp_path / "dvc.lock").write_text(lock + "    - path: src/gone.py\n      md5: 3\n")
    assert codedeps.stale_lock_deps(tmp_path) == {"a": ["src/gone.py"]}
    assert codedeps.stale_lock_deps(ROOT) == {}  # the committed lock
