"""All or nothing: a run of ``compendium reproduce`` publishes every result or none.

Why these tests can fail. Before the staging copy, ``compendium reproduce`` ran
``dvc repro`` in the checkout itself: DVC writes each stage's outputs into ``reports/``
and updates ``dvc.lock`` stage by stage, and the old snapshot-and-restore only ran when
the Python process lived to see the failure. Killed during stage 13 or 14, such a run
leaves the new manuscript beside the old site and a half-updated ``dvc.lock`` (a SIGKILL
runs no clean-up at all); killed in stage 09 it left a hidden half-written notebook
beside the executed ones, and every later run failed on it. Each test below kills a
real run at a chosen point and compares every file of the checkout (DVC's cache and
scratch folders aside) with its state before the run, byte for byte: any file written
early, any leftover temporary file, any partly updated ``dvc.lock`` fails it.
``test_publishing_survives_a_kill_at_every_step`` stops the publishing step itself after
each of its renames in turn and checks that the next start completes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from compendium.pipeline import reproduce as rp

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups and /proc")

NOT_COMPARED = (".git", ".dvc/cache", ".dvc/tmp")  # DVC may add cache objects; .dvc/tmp is its scratch


def tree(project: Path, skip: tuple[str, ...] = NOT_COMPARED) -> dict[str, str]:
    """SHA-256 of every file of ``project`` (symlinks by their target), by project path."""
    out = {}
    for folder, dirs, files in os.walk(project):
        rel = Path(folder).relative_to(project).as_posix()
        dirs[:] = [d for d in dirs if f"{rel}/{d}".removeprefix("./") not in skip]
        for name in files:
            path = Path(folder, name)
            key = f"{rel}/{name}".removeprefix("./")
            out[key] = os.readlink(path) if path.is_symlink() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(n for n in set(before) | set(after) if before.get(n) != after.get(n))


# --------------------------------------------------------------------------- the journal, in process


@pytest.fixture()
def checkout(tmp_path, monkeypatch) -> Path:
    """A tiny checkout: inputs, a dvc.yaml declaring an output at the root, published
    files in every unit; no DVC run needed."""
    root = tmp_path / "checkout"
    for rel, text in {
        "params.yaml": "data:\n  raw_dir: data/raw\n",
        "dvc.yaml": "stages:\n  s:\n    cmd: x\n    deps: ['${data.raw_dir}']\n    outs:\n"
        "      - reports/t.csv:\n          cache: false\n      - codemeta.json:\n          cache: false\n",
        "data/raw/a.csv": "a\n1\n",
        "reports/t.csv": "old table\n",
        "reports/notebooks/n.ipynb": "old notebook\n",
        "reports/notebooks/.n.abc123.ipynb": "",  # what a killed stage left before this design
        "dvc.lock": "old lock\n",
        "codemeta.json": "old meta\n",
        "data/interim/i.parquet": "old interim\n",
        "data/private/withdrawn.json": "old private\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    monkeypatch.setenv("COMPENDIUM_ROOT", str(root))
    return root


def _new_results(work: Path) -> None:
    """What a run writes in its staging copy: changed, new and unchanged files."""
    (work / "reports" / "t.csv").write_text("new table\n")
    (work / "reports" / "figure.svg").write_text("new figure\n")
    (work / "dvc.lock").write_text("new lock\n")
    (work / "codemeta.json").write_text("new meta\n")
    (work / "data" / "interim" / "i.parquet").unlink()
    (work / "data" / "interim" / "i.parquet").write_text("new interim\n")


def test_the_staging_copy_links_inputs_and_copies_what_a_run_writes(checkout):
    work = checkout / rp.RUN_DIR / "work"
    units = rp.stage(checkout, work)
    assert units == ["reports", "data/interim", "data/private", "dvc.lock", "codemeta.json"]
    # inputs are hard links (cheap); outputs are copies: writing one in place leaves the checkout alone
    assert (work / "data" / "raw" / "a.csv").stat().st_ino == (checkout / "data" / "raw" / "a.csv").stat().st_ino
    for rel in ("reports/t.csv", "dvc.lock", "codemeta.json", "data/interim/i.parquet"):
        assert (work / rel).stat().st_ino != (checkout / rel).stat().st_ino, rel
    with open(work / "reports" / "t.csv", "w") as fh:
        fh.write("written in place\n")
    assert (checkout / "reports" / "t.csv").read_text() == "old table\n"
    assert not (work / "reports" / "notebooks" / ".n.abc123.ipynb").exists()  # a killed writer's leftover
    assert "cache" in (work / ".dvc" / "config.local").read_text()  # the checkout's cache is shared


def test_data_outside_the_checkout_stays_reachable_from_the_staging_copy(checkout):
    """A team's raw_dir beside the checkout (../study) is linked where the staging copy
    looks for it; one further up cannot be, and the message says what to do."""
    study = checkout.parent / "study"
    study.mkdir()
    (checkout / "params.yaml").write_text("data:\n  raw_dir: ../study\n")
    work = checkout / rp.RUN_DIR / "work"
    rp.stage(checkout, work)
    assert (work / ".." / "study").resolve() == study.resolve()
    (checkout / "params.yaml").write_text("data:\n  raw_dir: ../../study\n")
    with pytest.raises(rp.StagingError, match="absolute path"):
        rp.stage(checkout, work)


def test_every_output_of_dvc_yaml_is_published(checkout):
    """Outputs outside the three folders are units of their own; the outputs of a
    foreach stage, named by ${item}, are published as the folder they share."""
    (checkout / "dvc.yaml").write_text(
        "stages:\n  s:\n    cmd: x\n    outs: [reports/a.csv, codemeta.json, results/x.csv, results]\n"
        "  f:\n    foreach: [a, b]\n    do:\n      cmd: y\n"
        "      outs: ['figures/${item}.svg', 'data/interim/${item}']\n"
    )
    assert rp.publish_units(checkout) == [
        "reports",
        "data/interim",
        "data/private",
        "dvc.lock",
        "codemeta.json",
        "results",
        "figures",
    ]


def test_publishing_survives_a_kill_at_every_step(checkout, monkeypatch):
    """Stop the publishing step after its k-th rename (as SIGKILL would: no clean-up
    runs), then start again: before the commit record the checkout is exactly as it
    was; from the record on, the next start finishes publishing."""
    pristine = checkout.parent / "pristine"
    shutil.copytree(checkout, pristine, symlinks=True)
    work = checkout / rp.RUN_DIR / "work"
    rp.stage(checkout, work)
    _new_results(work)
    rp.publish(checkout, checkout / rp.RUN_DIR, rp.publish_units(checkout))
    old, new = tree(pristine), tree(checkout)
    assert changed(old, new) == [
        "codemeta.json",
        "data/interim/i.parquet",
        "dvc.lock",
        "reports/figure.svg",
        "reports/notebooks/.n.abc123.ipynb",
        "reports/t.csv",
    ]
    assert not (checkout / rp.RUN_DIR).exists()

    class Killed(BaseException):
        pass

    steps = 0
    while True:
        shutil.rmtree(checkout)
        shutil.copytree(pristine, checkout, symlinks=True)
        rp.stage(checkout, work)
        _new_results(work)
        calls = {"n": 0}
        real_rename, real_replace = os.rename, os.replace

        def counting(real):
            def call(*args, **kwargs):
                if calls["n"] == steps:
                    raise Killed
                calls["n"] += 1
                return real(*args, **kwargs)

            return call

        monkeypatch.setattr(os, "rename", counting(real_rename))
        monkeypatch.setattr(os, "replace", counting(real_replace))
        try:
            rp.publish(checkout, checkout / rp.RUN_DIR, rp.publish_units(checkout))
            finished = True
        except Killed:
            finished = False
        monkeypatch.setattr(os, "rename", real_rename)
        monkeypatch.setattr(os, "replace", real_replace)
        committed = (checkout / rp.RUN_DIR / rp.COMMIT).exists() or finished
        note = rp.recover(checkout)
        state = tree(checkout)
        assert state == (new if committed else old), (steps, changed(new if committed else old, state))
        assert not (checkout / rp.RUN_DIR).exists()
        if finished:
            assert note is None
            break
        assert note and ("finished publishing" if committed else "discarded") in note
        steps += 1
    assert steps >= 5  # the record, then the units: each position was tried


def test_one_run_at_a_time_and_a_killed_holder_blocks_nobody(checkout):
    with rp.run_lock(checkout):
        with pytest.raises(rp.Busy, match=r"another `compendium reproduce` is running .*process \d+"):
            with rp.run_lock(checkout):
                pass
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from compendium.pipeline import reproduce as r; "
         "from pathlib import Path; cm = r.run_lock(Path(sys.argv[1])); cm.__enter__(); "
         "print('locked', flush=True); time.sleep(600)", str(checkout)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(rp.Busy):
        with rp.run_lock(checkout):
            pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with rp.run_lock(checkout):  # the lock file is still there; the lock is not
        pass


# --------------------------------------------------------------------------- real runs, killed


def _start(project: Path, log: Path, *args: str, **env_extra: str) -> subprocess.Popen:
    """``compendium reproduce`` in its own process group, as a terminal starts a job."""
    env = {k: v for k, v in os.environ.items() if k not in ("COMPENDIUM_ROOT", rp.PAUSE_ENV)}
    env.update(DVC_NO_ANALYTICS="1", **env_extra)
    return subprocess.Popen(
        [sys.executable, "-m", "compendium.cli", "reproduce", *args],
        cwd=project,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_until(run: subprocess.Popen, condition, log: Path, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert run.poll() is None, f"the run ended before the point to stop it:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"timed out:\n{log.read_text()[-3000:]}"
        time.sleep(0.05)


def _written(project: Path, rel: str, words: str):
    """True once the file ``rel`` holds ``words``, in the checkout or in the run's staging
    copy (wherever the run writes: the test does not assume it)."""

    def check() -> bool:
        for path in (project / rel, project / rp.RUN_DIR / "work" / rel):
            try:
                if words in path.read_text(encoding="utf-8", errors="replace"):
                    return True
            except OSError:
                continue
        return False

    return check


def _kernel_running(project: Path):
    """True while a notebook kernel works in the project (its stage has begun to write)."""

    def check() -> bool:
        for proc in psutil.process_iter(["cwd", "cmdline"]):
            cmd = " ".join(proc.info.get("cmdline") or [])
            if (proc.info.get("cwd") or "").startswith(str(project)) and "kernel" in cmd and " -f " in cmd:
                return True
        return False

    return check


def _stop(run: subprocess.Popen, signum: int) -> int:
    os.killpg(run.pid, signum)
    return run.wait(timeout=120)


def _leftovers(project: Path) -> list[str]:
    """Processes still working in the project (stages, kernels, DVC)."""
    found = []
    for proc in psutil.process_iter(["pid", "cwd", "cmdline"]):
        cwd = proc.info.get("cwd") or ""
        if cwd.startswith(str(project)):
            found.append(f"{proc.pid}: {' '.join(proc.info['cmdline'] or [])}")
    return found


def _no_leftovers(project: Path) -> None:
    deadline = time.monotonic() + 20
    while _leftovers(project) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _leftovers(project)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def _edit_notebook(path: Path) -> bytes:
    """Add a word to the first markdown cell of a stage notebook (that stage, and what
    depends on it, reruns); return the original bytes."""
    original = path.read_bytes()
    nb = json.loads(original)
    cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    source = cell["source"]
    cell["source"] = ["Edited.\n\n", *source] if isinstance(source, list) else "Edited.\n\n" + source
    path.write_text(json.dumps(nb, indent=1) + "\n")
    return original


@pytest.mark.pipeline
def test_a_run_stopped_at_any_point_leaves_the_last_good_state(shipped_run, tmp_path):
    """Kill real runs: by SIGINT once an early stage has written its notebook, by SIGKILL
    while stage 09 runs its kernel, by SIGTERM once the manuscript's text is written, and
    by SIGKILL right before publishing, after a second run was refused. After each, every
    file of the checkout is as before the run and no process of the run is left; the
    next run starts by itself (one line says what it settled), and publishes byte for
    byte what an uninterrupted run of the same inputs gives: the staging copy of the run
    stopped after every stage and the audit passed.

    Each stopped run has something new to write (an edited notebook, template or
    environment.yml) and is stopped once it has written some of it (wherever it
    writes), so a run that wrote into the checkout before publishing, or published part
    of its results, fails the comparison. Checked against the previous, in-place
    ``compendium reproduce`` (commit c992f81): step 1 left the new executed notebook 02
    beside the old dvc.lock, step 2 a hidden ``.09-export-qda.*.ipynb`` under
    ``reports/notebooks/``, step 3 the new manuscript.md and a stray
    ``reports/.manuscript-style.html``; it has no pause before publishing (step 4)."""
    project = tmp_path / "compendium"  # with its intermediate data and DVC cache: only what changed reruns
    shutil.copytree(shipped_run, project, ignore=shutil.ignore_patterns(".git", "tmp", "__pycache__"))
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    log = tmp_path / "run.log"

    # 1. SIGINT (Ctrl-C in a terminal) once an early stage has written its notebook
    original = _edit_notebook(nb := project / "notebooks" / "02-tabulate-outcomes.ipynb")
    before = tree(project)
    run = _start(project, log)
    _wait_until(run, _written(project, "reports/notebooks/02-tabulate-outcomes.ipynb", "Edited."), log)
    assert _stop(run, signal.SIGINT) == 128 + signal.SIGINT, log.read_text()[-2000:]
    assert "Nothing was published" in log.read_text()
    assert changed(before, tree(project)) == []
    assert not (project / rp.RUN_DIR).exists()
    _no_leftovers(project)
    nb.write_bytes(original)

    # 2. SIGKILL to the process group while stage 09 runs. Before, this left a hidden
    #    .09-export-qda.*.ipynb in reports/notebooks/ that broke every later run.
    original = _edit_notebook(nb := project / "notebooks" / "09-export-qda.ipynb")
    before = tree(project)
    run = _start(project, log)
    _wait_until(run, _kernel_running(project), log)  # the stage has begun to write its notebook
    _stop(run, signal.SIGKILL)
    assert changed(before, tree(project)) == []
    assert (project / rp.RUN_DIR).exists()  # the journal, for the next run to discard
    _no_leftovers(project)
    nb.write_bytes(original)

    # 3. SIGTERM once the manuscript's text is written, while its other formats render
    #    (an edited template: 13 and what follows rerun)
    template = project / "manuscript" / "manuscript.md.j2"
    original = template.read_bytes()
    _edit(template, "\n## ", "\nThis sentence was added.\n\n## ")
    before = tree(project)
    run = _start(project, log)
    _wait_until(run, _written(project, "reports/manuscript.md", "This sentence was added."), log)
    assert _stop(run, signal.SIGTERM) == 128 + signal.SIGTERM, log.read_text()[-2000:]
    out = log.read_text()
    assert out.count("discarded its unfinished work") == 1, out[-2000:]  # what step 2 left, settled first
    assert changed(before, tree(project)) == []
    assert not (project / rp.RUN_DIR).exists()
    _no_leftovers(project)
    template.write_bytes(original)

    # 4. right before publishing (every stage and the audit passed; an edited environment.yml:
    #    only the RO-Crate stage reruns): a second run is refused at once and touches
    #    nothing; then SIGKILL
    _edit(project / "environment.yml", "\n", "\n# edited\n")
    before = tree(project)
    flag = tmp_path / "paused"
    run = _start(project, log, **{rp.PAUSE_ENV: str(flag)})
    _wait_until(run, flag.exists, log)
    units = rp.publish_units(project)
    work = project / rp.RUN_DIR / "work"
    uninterrupted = {n: h for n, h in tree(work, (".git", ".dvc")).items() if any(rp._inside(n, u) for u in units)}
    everything = tree(project, (".git",))
    started = time.monotonic()
    second = subprocess.run(
        [sys.executable, "-m", "compendium.cli", "reproduce"],
        cwd=project,
        env={k: v for k, v in os.environ.items() if k not in ("COMPENDIUM_ROOT", rp.PAUSE_ENV)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == rp.BUSY, second.stdout + second.stderr
    assert f"another `compendium reproduce` is running in this checkout (process {run.pid})" in second.stderr
    assert time.monotonic() - started < 30  # at once: no waiting for the first run
    assert changed(everything, tree(project, (".git",))) == []  # its journal and lock included
    _stop(run, signal.SIGKILL)
    assert changed(before, tree(project)) == []
    assert uninterrupted["ro-crate-metadata.json"] != before["ro-crate-metadata.json"]  # the run had new results

    # 5. the next run settles the journal, runs and publishes what an uninterrupted run gives
    run = _start(project, log)
    assert run.wait(timeout=600) == 0, log.read_text()[-3000:]
    assert "discarded its unfinished work" in log.read_text()
    after = tree(project)
    assert changed(uninterrupted, {n: h for n, h in after.items() if any(rp._inside(n, u) for u in units)}) == []
    assert changed(before, after) == ["dvc.lock", "ro-crate-metadata.json"]
    assert not (project / rp.RUN_DIR).exists()
    assert not [p for p in (project / "reports").rglob(".*") if p.is_file()]
