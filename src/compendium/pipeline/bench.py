"""``make bench``: what the pipeline costs beyond the analysis itself.

- ``cold_s``: a forced full run (``compendium reproduce --force``) in a fresh copy,
  the warm server's start and imports included (see :mod:`compendium.pipeline.warm`);
- ``floor_s``: the same stage code run in one Python process, no notebooks, no DVC
  (each notebook's code cells executed with its parameters; command stages called
  in-process), measured in the same benchmark;
- ``noop_s``: ``compendium reproduce`` when nothing changed;
- ``incremental_only_dependents``: after a change to one parameter, did only the
  stages that depend on it rerun?
- ``scale_100x_over_1x`` and ``scale_100x_peak_mib``: the floor on the generator's
  ``--scale 100`` data against the shipped data, and its peak memory;
- ``cold_without_warm_s``: for reference, a forced run whose every stage and kernel
  starts from scratch (what plain ``dvc repro --force`` costs).

Results go to ``bench/latest.json`` and are printed as a table; ``compendium bench``
exits 1 when a target is missed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from compendium.core import paths
from compendium.pipeline.reproduce import dvc_env

COLD_OVER_FLOOR, NOOP_S, PEAK_MIB = 2.0, 1.5, 2048.0
_COPY_SKIP = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".lock-venv",
    "interim",
    "cache",
    "tmp",
    "__pycache__",
    ".pytest_cache",
    "*.egg-info",
    "private",
    "bench",
)


def _interpolate(text: str, params: dict) -> str:
    def value(m: re.Match) -> str:
        node = params
        for part in m.group(1).split("."):
            node = node[part]
        return str(node)

    return re.sub(r"\$\{([^}]+)\}", value, text)


def stages(root: Path) -> list[tuple[str, str]]:
    """(name, command) of every stage, in the file's (topological) order."""
    params = yaml.safe_load((root / "params.yaml").read_text())
    spec = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]
    return [(name, _interpolate(" ".join(stage["cmd"].split()), params)) for name, stage in spec.items()]


def run_floor(root: Path) -> float:
    """Execute every stage's code in this process; returns the seconds it took."""
    import nbformat

    from compendium.pipeline.entry import console_script
    from compendium.pipeline.notebooks import parse_value

    main = console_script()

    os.chdir(root)
    os.environ["COMPENDIUM_ROOT"] = str(root)
    started = time.perf_counter()
    for name, cmd in stages(root):
        args = shlex.split(cmd)
        if args[:2] == ["compendium", "run-notebook"]:
            params = {args[i + 1]: parse_value(args[i + 2]) for i, a in enumerate(args) if a in ("-p", "--parameter")}
            nb = nbformat.read(root / args[2], as_version=4)
            namespace: dict = {"__name__": f"floor_{name}"}
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                source = cell.source
                if "parameters" in cell.metadata.get("tags", []):
                    source += "\n" + "\n".join(f"{k} = {v!r}" for k, v in params.items())
                exec(compile(source, f"{name}", "exec"), namespace)  # noqa: S102 - the project's own notebooks
        else:
            if main(args[1:]) != 0:
                raise RuntimeError(f"stage {name} failed in the floor run")
    return time.perf_counter() - started


def _copy(root: Path, dest: Path) -> Path:
    shutil.copytree(root, dest, ignore=_COPY_SKIP)
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    return dest


def _timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - started, result


def _floor_process(project: Path, env: dict) -> tuple[float, float]:
    """Run the floor in a fresh interpreter under /usr/bin/time; seconds and peak MiB."""
    code = (
        "from compendium.pipeline.bench import run_floor; from pathlib import Path; "
        f"print(run_floor(Path({str(project)!r})))"
    )
    cmd = [sys.executable, "-c", code]
    timer = shutil.which("time") or "/usr/bin/time"
    if Path(timer).exists():
        cmd = [timer, "-v", *cmd]
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"the floor run failed:\n{result.stderr[-3000:]}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    return elapsed, (int(peak.group(1)) / 1024 if peak else float("nan"))


def _rerun_stages(output: str) -> list[str]:
    return re.findall(r"Running stage '([^']+)'", output)


def _dependents(project: Path, env: dict, param: str) -> set[str]:
    """Stages that use ``param`` (or all of params.yaml) and everything downstream of them."""
    spec = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    top = param.split(".")[0]
    direct = {
        name
        for name, s in spec.items()
        if any(p in (param, top) or (isinstance(p, str) and param.startswith(p + ".")) for p in s.get("params", []))
        or "params.yaml" in s.get("deps", [])
    }
    dot = subprocess.run(
        [sys.executable, "-m", "dvc", "dag", "--dot"], cwd=project, env=env, capture_output=True, text=True, check=True
    ).stdout
    edges = re.findall(r'"([^"]+)"\s*->\s*"([^"]+)"', dot)
    found, frontier = set(direct), list(direct)
    while frontier:
        node = frontier.pop()
        for a, b in edges:
            if a == node and b not in found:
                found.add(b)
                frontier.append(b)
    return found


def targets(scale: int) -> dict[str, float]:
    """The issue's targets; the time at ``scale`` may grow at most linearly."""
    return {
        "cold_over_floor": COLD_OVER_FLOOR,
        "noop_s": NOOP_S,
        f"scale_{scale}x_over_1x": float(scale),
        f"scale_{scale}x_peak_mib": PEAK_MIB,
    }


def run(out: Path | None = None, scale: int = 100, without_warm: bool = True) -> dict:
    """Measure everything in scratch copies of the project; write ``out`` (default
    ``bench/latest.json``) and return the report. ``without_warm`` also times a forced
    run whose stages and kernels all start from scratch (``--no-warm``), for reference."""
    root = paths.project_root()
    env = {k: v for k, v in dvc_env().items() if k != "COMPENDIUM_ROOT"}
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": sys.platform}}
    with tempfile.TemporaryDirectory(prefix="compendium-bench-") as tmp:
        project = _copy(root, Path(tmp) / "one")
        cli = [sys.executable, "-m", "compendium.cli"]
        print("bench: cold forced run ...", file=sys.stderr, flush=True)
        report["cold_s"], result = _timed([*cli, "reproduce", "--force"], project, env)
        if result.returncode != 0:
            raise RuntimeError(f"the cold run failed:\n{result.stderr[-3000:]}")
        print("bench: floor (one process, no notebooks) ...", file=sys.stderr, flush=True)
        report["floor_s"], report["floor_peak_mib"] = _floor_process(_copy(project, Path(tmp) / "floor"), env)
        report["cold_over_floor"] = report["cold_s"] / report["floor_s"]
        if without_warm:
            print("bench: cold forced run, every stage and kernel from scratch ...", file=sys.stderr, flush=True)
            report["cold_without_warm_s"], result = _timed([*cli, "reproduce", "--force", "--no-warm"], project, env)
            if result.returncode != 0:
                raise RuntimeError(f"the run without the warm server failed:\n{result.stderr[-3000:]}")
        _timed([*cli, "reproduce"], project, env)  # settles the fingerprint after the forced run
        report["noop_s"], _ = _timed([*cli, "reproduce"], project, env)

        param = "agreement.kappa_threshold"
        params_file = project / "params.yaml"
        params_file.write_text(params_file.read_text().replace("kappa_threshold: 0.6", "kappa_threshold: 0.65"))
        print("bench: incremental rerun after changing", param, "...", file=sys.stderr, flush=True)
        _, result = _timed([*cli, "reproduce"], project, env)
        rerun = _rerun_stages(result.stdout + result.stderr)
        expected = _dependents(project, env, param)
        report["incremental_param"] = param
        report["incremental_stages"] = rerun
        report["incremental_only_dependents"] = bool(rerun) and set(rerun) <= expected

        print(f"bench: floor on --scale {scale} data ...", file=sys.stderr, flush=True)
        big = _copy(project, Path(tmp) / "big")
        shutil.rmtree(big / "data" / "raw")
        subprocess.run(
            [*cli, "synthesize", "--scale", str(scale), "--out", "data/raw", "--truth", "data/synthetic"],
            cwd=big,
            env=env,
            check=True,
            capture_output=True,
        )
        big_s, big_peak = _floor_process(big, env)
        report[f"scale_{scale}x_s"] = big_s
        report[f"scale_{scale}x_over_1x"] = big_s / report["floor_s"]
        report[f"scale_{scale}x_peak_mib"] = big_peak
    report["targets"] = targets(scale)
    report["targets_met"] = {key: report[key] <= limit for key, limit in report["targets"].items()}
    report["targets_met"]["incremental_only_dependents"] = report["incremental_only_dependents"]
    out = out or root / "bench" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return report


def table(report: dict) -> str:
    limits = report["targets"]
    rows = [("cold_s", f"{report['cold_s']:.1f}", ""), ("floor_s", f"{report['floor_s']:.1f}", "")]
    if "cold_without_warm_s" in report:
        rows.append(("cold_without_warm_s", f"{report['cold_without_warm_s']:.1f}", "for reference"))
    rows += [
        ("cold_over_floor", f"{report['cold_over_floor']:.2f}", f"<= {limits['cold_over_floor']:g}"),
        ("noop_s", f"{report['noop_s']:.2f}", f"<= {limits['noop_s']:g}"),
        (
            "incremental_only_dependents",
            str(report["incremental_only_dependents"]),
            ", ".join(report["incremental_stages"]),
        ),
    ]
    for key in limits:
        if key.startswith("scale_"):
            rows.append(
                (key, f"{report[key]:.2f}" if key.endswith("over_1x") else f"{report[key]:.0f}", f"<= {limits[key]:g}")
            )
    width = max(len(r[0]) for r in rows)
    lines = [f"{'measure':<{width}}  {'value':>10}  target / detail"]
    lines += [f"{name:<{width}}  {value:>10}  {detail}" for name, value, detail in rows]
    missed = [key for key, met in report["targets_met"].items() if not met]
    lines.append("every target met" if not missed else f"targets missed: {', '.join(missed)}")
    return "\n".join(lines)
