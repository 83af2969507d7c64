"""``make bench``: what the pipeline costs beyond the analysis itself.

- ``cold_s``: a forced full run (``compendium reproduce --force``) in a fresh copy,
  the warm server's start and imports included (see :mod:`compendium.pipeline.warm`);
- ``floor_s``: the same stage code run in one Python process, no notebooks, no DVC
  (each notebook's code cells executed with its parameters; command stages called
  in-process), measured in the same benchmark;
- ``noop_s``: ``compendium reproduce`` when nothing changed;
- ``incremental_only_dependents``: after a change to one parameter, did only the
  stages that depend on it rerun?
- ``manuscript_edit_s``: after one word of ``manuscript/manuscript.md.j2`` changed,
  ``compendium reproduce`` (target: at most a fifth of ``cold_s``), and the stages
  that reran;
- ``site_edit_only_dependents``: after a comment is appended to the site builder
  (``src/compendium/reporting/site.py``), did only the stages that use it (the site,
  and what reads the site: the leak audit, the archive) rerun, by DVC's own output?
- ``scale_100x_over_1x`` and ``scale_100x_peak_mib``: the floor on the generator's
  ``--scale 100`` data against the shipped data, and its peak memory;
- ``full_100x_s`` and ``full_100x_peak_mib``: a forced full run
  (``compendium reproduce --force``: DVC, the warm server, every stage and kernel) on
  the same data, and the peak of the memory that its whole process tree held at once
  (the sum of each process's proportional set size, so pages that forked processes
  share are counted once; target: 2 GiB);
- ``fresh_clone_s``: a newcomer's wait: ``git clone``, ``make setup`` (with the pip
  cache as this machine has it) and ``make reproduce`` to the first complete result,
  with its three parts;
- ``cold_without_warm_s``: for reference, a forced run whose every stage and kernel
  starts from scratch (what plain ``dvc repro --force`` costs).

Results go to ``bench/latest.json`` and are printed as a table; ``compendium bench``
exits 1 when a target is missed and names it on a line of its own. The targets are
held here, by ``make bench``, never by ``make test``: wall-clock times depend on the
machine and on what else runs on it.
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
EDIT_OVER_COLD = 0.2  # a manuscript edit rebuilds in at most a fifth of a forced run
MANUSCRIPT = Path("manuscript") / "manuscript.md.j2"
SITE_BUILDER = Path("src") / "compendium" / "reporting" / "site.py"
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

    from compendium.core.stage import STAGE_ENV
    from compendium.pipeline.entry import console_script
    from compendium.pipeline.notebooks import parse_value

    main = console_script()

    os.chdir(root)
    os.environ["COMPENDIUM_ROOT"] = str(root)
    started = time.perf_counter()
    for name, cmd in stages(root):
        args = shlex.split(cmd)
        if args[:2] == ["compendium", "run-notebook"]:
            os.environ[STAGE_ENV] = name  # as `compendium run-notebook` marks a pipeline kernel (core.stage)
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
    return _downstream(project, env, direct)


def _file_dependents(project: Path, env: dict, path: Path) -> set[str]:
    """Stages that list ``path`` (or a folder holding it) among their deps, and everything downstream."""
    spec = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    wanted = path.as_posix()
    direct = {
        name
        for name, s in spec.items()
        if any(
            isinstance(d, str) and (wanted == d or wanted.startswith(d.rstrip("/") + "/")) for d in s.get("deps", [])
        )
    }
    return _downstream(project, env, direct)


def _downstream(project: Path, env: dict, direct: set[str]) -> set[str]:
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


def edit_one_word(template: Path) -> None:
    """Change one word of the manuscript's rendered prose: the first word of four or more
    letters on the first line outside template comments and free of template code is
    written twice (a typo an author would fix)."""
    lines = template.read_text(encoding="utf-8").split("\n")
    in_comment = False
    for i, line in enumerate(lines):
        if in_comment or line.lstrip().startswith("{#"):
            in_comment = "#}" not in line
            continue
        words = re.findall(r"(?<![\w*_])([a-z]{4,})(?![\w*_])", line)
        if words and not re.search(r"[{}%<>|#`\\]", line):
            lines[i] = re.sub(rf"\b{words[0]}\b", f"{words[0]} {words[0]}", line, count=1)
            template.write_text("\n".join(lines), encoding="utf-8")
            return
    raise RuntimeError(f"{template}: no line of plain prose to edit")


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, from ``/proc`` (Linux) or psutil."""
    try:
        import psutil

        root = psutil.Process(pid)
        return [pid, *(c.pid for c in root.children(recursive=True))]
    except Exception:  # noqa: BLE001 - gone, or psutil missing: the process alone
        return [pid]


def _memory_kib(pid: int) -> int:
    """The process's proportional set size (shared pages divided among their sharers),
    or its resident set size where the system does not tell the former."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    try:
        import psutil

        return int(psutil.Process(pid).memory_info().rss // 1024)
    except Exception:  # noqa: BLE001 - the process ended meanwhile
        return 0


def run_tree(cmd: list[str], cwd: Path, env: dict, interval: float = 0.1) -> tuple[float, int, float, str]:
    """Run ``cmd``; (seconds, exit status, peak MiB of the whole process tree at once, output).

    The tree is sampled every ``interval`` seconds: the peak of the summed proportional set
    sizes of the command and every process below it (DVC, the warm server, the stages,
    their kernels, pandoc)."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        peak = 0
        while process.poll() is None:
            peak = max(peak, sum(_memory_kib(pid) for pid in _tree(process.pid)))
            time.sleep(interval)
        elapsed = time.perf_counter() - started
        out.seek(0)
        return elapsed, process.returncode, peak / 1024, out.read().decode(errors="replace")


def _fresh_clone(root: Path, dest: Path) -> dict[str, float]:
    """A newcomer's path to a first result, timed: clone, ``make setup``, ``make reproduce``."""
    venv_bin = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if k not in ("COMPENDIUM_ROOT", "VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    times = {}
    for key, cmd, cwd in (
        ("clone_s", ["git", "clone", "--quiet", str(root), str(dest)], root),
        ("setup_s", ["make", "setup"], dest),
        ("reproduce_s", ["make", "reproduce"], dest),
    ):
        elapsed, result = _timed(cmd, cwd, env)
        if result.returncode != 0:
            raise RuntimeError(f"fresh clone: {' '.join(cmd)} failed:\n{(result.stdout + result.stderr)[-3000:]}")
        times[key] = elapsed
    times["total_s"] = sum(times.values())
    return times


def targets(scale: int) -> dict[str, float]:
    """The issue's targets; the time at ``scale`` may grow at most linearly."""
    return {
        "cold_over_floor": COLD_OVER_FLOOR,
        "noop_s": NOOP_S,
        f"scale_{scale}x_over_1x": float(scale),
        f"scale_{scale}x_peak_mib": PEAK_MIB,
        "manuscript_edit_over_cold": EDIT_OVER_COLD,
        f"full_{scale}x_peak_mib": PEAK_MIB,
    }


FLAGS = ("incremental_only_dependents", "site_edit_only_dependents")  # yes/no targets


def judge(report: dict) -> dict[str, bool]:
    """Which targets the report meets: each ratio or size at most its limit, each flag true."""
    met = {key: report[key] <= limit for key, limit in report["targets"].items() if key in report}
    met.update({key: bool(report[key]) for key in FLAGS if key in report})
    return met


def missed_lines(report: dict) -> list[str]:
    """One line per target missed, naming the measure, its value and the target."""
    lines = []
    for key, met in report["targets_met"].items():
        if met:
            continue
        if key in report["targets"]:
            lines.append(f"MISSED {key}: {report[key]:.3g} > {report['targets'][key]:g}")
        else:
            lines.append(f"MISSED {key}: stages outside the expected set reran ({_reran(report, key)})")
    return lines


def _reran(report: dict, key: str) -> str:
    stages = report.get(key.replace("_only_dependents", "_stages"), [])
    return ", ".join(stages) or "none"


def run(out: Path | None = None, scale: int = 100, without_warm: bool = True, fresh_clone: bool = True) -> dict:
    """Measure everything in scratch copies of the project; write ``out`` (default
    ``bench/latest.json``) and return the report. ``without_warm`` also times a forced
    run whose stages and kernels all start from scratch (``--no-warm``), for reference;
    ``fresh_clone`` times a clone of the last commit to its first result."""
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

        print("bench: manuscript edit loop (one word of the template) ...", file=sys.stderr, flush=True)
        edit_one_word(project / MANUSCRIPT)
        report["manuscript_edit_s"], result = _timed([*cli, "reproduce"], project, env)
        if result.returncode != 0:
            raise RuntimeError(f"the run after the manuscript edit failed:\n{result.stderr[-3000:]}")
        report["manuscript_edit_stages"] = _rerun_stages(result.stdout + result.stderr)
        report["manuscript_edit_over_cold"] = report["manuscript_edit_s"] / report["cold_s"]

        print("bench: site-builder edit loop (a comment appended) ...", file=sys.stderr, flush=True)
        with open(project / SITE_BUILDER, "a", encoding="utf-8") as f:
            f.write("# an edit by make bench\n")
        report["site_edit_s"], result = _timed([*cli, "reproduce"], project, env)
        if result.returncode != 0:
            raise RuntimeError(f"the run after the site-builder edit failed:\n{result.stderr[-3000:]}")
        rerun = _rerun_stages(result.stdout + result.stderr)
        report["site_edit_stages"] = rerun
        report["site_edit_only_dependents"] = bool(rerun) and set(rerun) <= _file_dependents(project, env, SITE_BUILDER)

        big = _copy(project, Path(tmp) / "big")
        shutil.rmtree(big / "data" / "raw")
        subprocess.run(
            [*cli, "synthesize", "--scale", str(scale), "--out", "data/raw", "--truth", "data/synthetic"],
            cwd=big,
            env=env,
            check=True,
            capture_output=True,
        )
        print(
            f"bench: forced full run on --scale {scale} data, memory of the whole tree ...", file=sys.stderr, flush=True
        )
        full_s, status, full_peak, output = run_tree([*cli, "reproduce", "--force"], big, env)
        if status != 0:
            raise RuntimeError(f"the full run on --scale {scale} data failed:\n{output[-3000:]}")
        report[f"full_{scale}x_s"], report[f"full_{scale}x_peak_mib"] = full_s, full_peak
        print(f"bench: floor on --scale {scale} data ...", file=sys.stderr, flush=True)
        big_s, big_peak = _floor_process(_copy(big, Path(tmp) / "big-floor"), env)
        report[f"scale_{scale}x_s"] = big_s
        report[f"scale_{scale}x_over_1x"] = big_s / report["floor_s"]
        report[f"scale_{scale}x_peak_mib"] = big_peak
        if fresh_clone:
            print("bench: fresh clone, make setup, make reproduce ...", file=sys.stderr, flush=True)
            report["fresh_clone"] = _fresh_clone(root, Path(tmp) / "fresh")
            report["fresh_clone_s"] = report["fresh_clone"]["total_s"]
    report["targets"] = targets(scale)
    report["targets_met"] = judge(report)
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
    if "manuscript_edit_s" in report:
        rows += [
            ("manuscript_edit_s", f"{report['manuscript_edit_s']:.1f}", ", ".join(report["manuscript_edit_stages"])),
            (
                "manuscript_edit_over_cold",
                f"{report['manuscript_edit_over_cold']:.2f}",
                f"<= {limits['manuscript_edit_over_cold']:g}",
            ),
            ("site_edit_s", f"{report['site_edit_s']:.1f}", ""),
            (
                "site_edit_only_dependents",
                str(report["site_edit_only_dependents"]),
                ", ".join(report["site_edit_stages"]),
            ),
        ]
    for key in limits:
        if (key.startswith("scale_") or key.startswith("full_")) and key in report:
            if key.startswith("full_"):
                rows.append((key.replace("_peak_mib", "_s"), f"{report[key.replace('_peak_mib', '_s')]:.1f}", ""))
            rows.append(
                (key, f"{report[key]:.2f}" if key.endswith("over_1x") else f"{report[key]:.0f}", f"<= {limits[key]:g}")
            )
    if "fresh_clone" in report:
        parts = report["fresh_clone"]
        detail = f"clone {parts['clone_s']:.1f} + setup {parts['setup_s']:.1f} + reproduce {parts['reproduce_s']:.1f}"
        rows.append(("fresh_clone_s", f"{report['fresh_clone_s']:.1f}", detail))
    width = max(len(r[0]) for r in rows)
    lines = [f"{'measure':<{width}}  {'value':>10}  target / detail"]
    lines += [f"{name:<{width}}  {value:>10}  {detail}" for name, value, detail in rows]
    missed = missed_lines(report)
    lines += missed or ["every target met"]
    return "\n".join(lines)
