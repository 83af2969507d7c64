"""Which source files each pipeline stage runs: its code dependencies for ``dvc.yaml``.

A stage should rerun when, and only when, code it executes changes. The files are
found from the imports themselves: the ``from compendium... import`` lines of a
stage's notebook (or of the command-line handler behind a non-notebook stage), closed
over every import of every module reached, those inside functions included. Package
data read at run time (the lexicons, the REFI-QDA schemas) comes with the module that
reads it. ``tests/test_architecture.py`` checks that ``dvc.yaml`` lists exactly these
files, and uses the same import graph to enforce the layers.
"""

from __future__ import annotations

import ast
import json
import shlex
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
SRC = PACKAGE.parent

# package data folders that a module reads at run time
DATA_DIRS = {
    "compendium.qualitative.deidentify": ("compendium.qualitative.lexicon",),
    "compendium.qualitative.qdpx": ("compendium.qualitative.schemas",),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_path(name: str) -> Path | None:
    base = SRC / Path(*name.split("."))
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None


def imports_in(tree: ast.AST, package: str) -> set[str]:
    """Absolute names of the compendium modules imported anywhere in ``tree``;
    ``package`` resolves relative imports."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "compendium")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] != "compendium":
                continue
            for alias in node.names:  # `from compendium.reporting import tables` names a module
                sub = f"{target}.{alias.name}"
                found.add(sub if module_path(sub) else target)
    return found


def import_graph() -> dict[str, set[str]]:
    """Every module of the package and the compendium modules it imports."""
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        graph[name] = imports_in(ast.parse(path.read_text(encoding="utf-8")), package) - {name}
    return graph


def closure(roots: set[str], graph: dict[str, set[str]]) -> set[str]:
    """The roots, every module they import, transitively, and the packages containing them."""
    seen: set[str] = set()
    todo = sorted(roots)
    while todo:
        name = todo.pop()
        if name in seen or module_path(name) is None:
            continue
        seen.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # importing a.b.c runs a and a.b
        todo.extend(graph.get(name, ()))
        todo.extend(DATA_DIRS.get(name, ()))
    return seen


def notebook_imports(path: Path) -> set[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            found |= imports_in(ast.parse(source), "compendium")
    return found


def cli_imports(subcommand: str) -> set[str]:
    """What ``compendium <subcommand>`` imports: the command line's module-level
    imports, its ``main`` and parser, and the handler bound to ``subcommand`` (the
    handlers of other subcommands are not run, so their imports do not count)."""
    tree = ast.parse((PACKAGE / "cli.py").read_text(encoding="utf-8"))
    run = {"main", "build_parser"} | _aliases(tree, subcommand)
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name in run:
                found |= imports_in(node, "compendium")
        else:
            found |= imports_in(node, "compendium")
    return found


def _aliases(tree: ast.Module, subcommand: str) -> set[str]:
    """Handler names bound to ``subcommand`` by ``sub.add_parser(name) ... set_defaults(func=h)``."""
    names: set[str] = set()
    current = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        attr = getattr(node.func, "attr", "")
        if attr == "add_parser" and node.args and isinstance(node.args[0], ast.Constant):
            current = node.args[0].value
        elif attr == "set_defaults" and current == subcommand:
            for keyword in node.keywords:
                if keyword.arg == "func" and isinstance(keyword.value, ast.Name):
                    names.add(keyword.value.id)
    return names


def stage_code(cmd: str, root: Path, graph: dict[str, set[str]] | None = None) -> list[str]:
    """The source files (project-relative, sorted) that the stage command ``cmd`` runs."""
    graph = graph or import_graph()
    args = shlex.split(cmd)
    if args[:1] != ["compendium"] or len(args) < 2:
        raise ValueError(f"not a compendium command: {cmd!r}")
    roots = cli_imports(args[1]) | {"compendium"}
    if args[1] == "run-notebook":
        roots |= notebook_imports(root / args[2])
    files = {PACKAGE / "cli.py"}
    for name in closure(roots, graph):
        path = module_path(name)
        if path is None:
            continue
        if name in {d for dirs in DATA_DIRS.values() for d in dirs}:
            files.add(path.parent)  # the data folder: its files and its __init__
        else:
            files.add(path)
    return sorted(p.relative_to(root).as_posix() for p in files)


def rewrite_dvc_yaml(text: str, root: Path) -> str:
    """``dvc.yaml`` with each stage's ``src/compendium`` dependencies replaced by the
    files it runs (:func:`stage_code`); everything else, comments included, is kept."""
    import re

    import yaml

    stages = yaml.safe_load(text)["stages"]
    graph = import_graph()
    lines = text.split("\n")
    out: list[str] = []
    stage = None
    in_deps = False
    written = False
    for line in lines:
        header = re.match(r"^  ([A-Za-z0-9_-]+):\s*$", line)
        if header:
            stage, in_deps, written = header.group(1), False, False
        elif stage and re.match(r"^    deps:\s*$", line):
            in_deps = True
        elif stage and re.match(r"^    \S", line):
            in_deps = False
        if in_deps and re.match(r"^      - src/compendium\b", line):
            if not written:
                cmd = " ".join(stages[stage]["cmd"].split())
                out.extend(f"      - {path}" for path in stage_code(cmd, root, graph))
                written = True
            continue
        out.append(line)
    return "\n".join(out)


def stale_lock_deps(root: Path) -> dict[str, list[str]]:
    """Per stage, the dependencies ``dvc.lock`` records that ``dvc.yaml`` no longer lists
    (``${...}`` read from ``params.yaml``)."""
    import re

    import yaml

    lock_path, params_path = root / "dvc.lock", root / "params.yaml"
    if not lock_path.is_file():
        return {}
    stages = (yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8")) or {}).get("stages") or {}
    locked = (yaml.safe_load(lock_path.read_text(encoding="utf-8")) or {}).get("stages") or {}
    params = (yaml.safe_load(params_path.read_text(encoding="utf-8")) or {}) if params_path.is_file() else {}

    def value(m: re.Match) -> str:
        node = params
        for key in m.group(1).split("."):
            node = node.get(key, {}) if isinstance(node, dict) else {}
        return str(node) if not isinstance(node, dict) else m.group(0)

    stale = {}
    for name, entry in locked.items():
        declared = {
            re.sub(r"\$\{\s*([\w.]+)\s*\}", value, str(next(iter(d)) if isinstance(d, dict) else d)).rstrip("/")
            for d in (stages.get(name) or {}).get("deps") or []
        }
        extra = sorted(d["path"] for d in entry.get("deps") or [] if d["path"].rstrip("/") not in declared)
        if name in stages and extra:
            stale[name] = extra
    return stale


def main(argv: list[str] | None = None) -> int:
    """``python -m compendium.pipeline.codedeps [--check]``: rewrite (or check) dvc.yaml."""
    import sys

    argv = sys.argv[1:] if argv is None else argv
    root = Path.cwd()
    path = root / "dvc.yaml"
    text = path.read_text(encoding="utf-8")
    new = rewrite_dvc_yaml(text, root)
    if "--check" in argv:
        if new != text:
            print("dvc.yaml: the stages' code dependencies are out of date; run `make stage-deps`", file=sys.stderr)
            return 1
        stale = stale_lock_deps(root)
        if stale:
            print(
                "dvc.lock records dependencies that dvc.yaml no longer lists (DVC keeps them until the "
                "stage runs, and a fresh clone's first run would drop them): "
                + "; ".join(f"{stage}: {', '.join(deps)}" for stage, deps in stale.items())
                + ". Run `compendium reproduce --force` and commit the results.",
                file=sys.stderr,
            )
            return 1
        return 0
    if new != text:
        path.write_text(new, encoding="utf-8")
        print("dvc.yaml: code dependencies rewritten")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
