"""``compendium reproduce``: run the DVC pipeline all or nothing.

A run never writes into what the checkout publishes while it runs. It works in a
*staging copy* of the project, ``.dvc/tmp/compendium-run/work/`` (hard links for what
the stages only read, real copies of everything a run may rewrite), runs ``dvc repro``
there, and only when every stage and the leak audit have passed does it *publish*:
``reports/``, ``data/interim/``, ``data/private/``, ``dvc.lock`` and every other output
that ``dvc.yaml`` declares (``codemeta.json``, ``.zenodo.json``, ``codecheck.yml``,
``ro-crate-metadata.json``) are swapped in by renames, in one step recorded by a
journal:

- the folder ``.dvc/tmp/compendium-run/`` *is* the journal. Until the commit record
  ``PUBLISH`` is written in it (atomically: write, then rename), the checkout has not
  been touched, so a failure, Ctrl-C (SIGINT), SIGTERM or SIGHUP discards the folder
  and a SIGKILL leaves it for the next run to discard;
- once ``PUBLISH`` exists the run's results are final: the renames that follow (a few
  milliseconds, with SIGINT, SIGTERM and SIGHUP held back) are idempotent, and a run
  that finds the record left by a killed one finishes them before it starts.

Either way the next run starts cleanly and says so in one line. A failed run publishes
nothing, except the leak audit's private list of hits (``data/private/``, git-ignored),
which the audit's message sends the team to.

Two runs in one checkout: the run holds an exclusive lock (``fcntl.flock`` on
``.dvc/tmp/compendium-run.lock``, released by the system when the holder ends, however
it ends); a second ``compendium reproduce`` exits at once with status 75 and a message,
touching nothing. While it copies the checkout and while it publishes, the run also
holds DVC's own lock (``.dvc/tmp/lock``), so a plain ``dvc repro`` in the same checkout
cannot interleave with either.

While DVC runs, a warm server (:mod:`compendium.pipeline.warm`) holds the libraries that the
stages import, and the stages and their kernels are forked from it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from compendium.core import paths
from compendium.core.environment import deterministic_env
from compendium.pipeline.notebooks import CHECKOUT_ENV
from compendium.pipeline.warm import ENV
from compendium.pipeline.warm import start as start_warm

RUN_DIR = Path(".dvc") / "tmp" / "compendium-run"  # the journal of the run in progress
DVC = "compendium.pipeline.dvcrun"  # DVC's command line, dvc.lock read by the safe parser
LOCK_FILE = Path(".dvc") / "tmp" / "compendium-run.lock"
DVC_LOCK = Path(".dvc") / "tmp" / "lock"  # DVC's own repository lock (zc.lockfile: flock)
COMMIT = "PUBLISH"  # the commit record inside the journal
AUDIT_STAGE = "10-audit-leaks"  # run after a partial run too: nothing unaudited is published
BUSY = 75  # EX_TEMPFAIL: another run holds the checkout; try again later
PAUSE_ENV = "COMPENDIUM_PAUSE_BEFORE_PUBLISH"  # tests: wait, all stages done, until this file is gone
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def dvc_env() -> dict[str, str]:
    env = deterministic_env(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


_SKIP_DIRS = {".git", ".venv", ".lock-venv", "__pycache__", ".pytest_cache", ".ipynb_checkpoints", "cache", "tmp"}
FINGERPRINT = Path(".dvc") / "tmp" / "compendium-fingerprint.json"


def fingerprint(root: Path) -> str:
    """A digest of the size and modification time of every file in the project (the
    virtual environment, git's and DVC's own folders aside). Equal digests before and
    after mean nothing DVC could see has changed."""
    import hashlib

    digest = hashlib.sha256()
    stack = [root]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in _SKIP_DIRS and not entry.name.endswith(".egg-info"):
                        stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    digest.update(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


# --------------------------------------------------------------------------- one run at a time


class Busy(RuntimeError):
    """Another run (or a DVC command) holds the checkout."""


class StagingError(RuntimeError):
    """The checkout cannot be staged as it is (the message says why and what to do)."""


@contextlib.contextmanager
def run_lock(root: Path) -> Iterator[int]:
    """Hold the checkout's run lock (an exclusive ``flock``) for the block; yields its
    file descriptor. A lock left by a killed run is no obstacle: the system releases a
    ``flock`` when its last holder ends. Raises :class:`Busy` at once when held."""
    path = root / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            raise Busy(
                "error: another `compendium reproduce` is running in this checkout"
                + (f" (process {holder})" if holder.isdigit() else "")
                + ". This one stops here and changed nothing; run it again when the other has finished."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield fd
    finally:
        os.close(fd)  # releases the lock (unless a child still holds it open: then when that ends)


@contextlib.contextmanager
def dvc_lock(root: Path, wait: float) -> Iterator[None]:
    """Hold DVC's repository lock of the checkout (the one ``dvc repro`` takes), waiting
    up to ``wait`` seconds for a DVC command that holds it; :class:`Busy` after that."""
    path = root / DVC_LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline, told = time.monotonic() + wait, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() > deadline:
                raise Busy(
                    f"error: a DVC command is running in this checkout (it holds {DVC_LOCK.as_posix()}); "
                    "nothing was changed. Run again when it has finished."
                )
            if not told and wait > 3:
                print("compendium: waiting for a DVC command running in this checkout ...", file=sys.stderr)
                told = True
            time.sleep(0.1)
        yield
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- the staging copy


def _interpolate(text: str, params: dict) -> str | None:
    """``${a.b}`` in a dvc.yaml path, from params.yaml (None when it cannot be resolved)."""

    def value(m: re.Match) -> str:
        node: Any = params
        for part in m.group(1).strip().split("."):
            node = node[part]
        return str(node)

    try:
        return re.sub(r"\$\{([^}]+)\}", value, text)
    except (KeyError, TypeError):
        return None


def _load_yaml(path: Path) -> Any:
    """A YAML file of the pipeline's own (``dvc.yaml``, ``dvc.lock``; ``params.yaml`` only
    after :func:`compendium.core.config.read_params` has checked it), parsed by libyaml
    when PyYAML was built with it: ``dvc.lock`` runs to thousands of lines, and the pure
    Python parser took most of a second of every run's own overhead."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 (a safe loader)


def declared(root: Path) -> tuple[list[str], list[str]]:
    """The outputs and dependencies that ``dvc.yaml`` declares, as project paths."""
    path = root / "dvc.yaml"
    if not path.is_file():
        return [], []
    stages = (_load_yaml(path) or {}).get("stages") or {}
    params_file = root / "params.yaml"
    params = (_load_yaml(params_file) or {}) if params_file.is_file() else {}
    outs: list = []
    deps: list = []
    for stage in stages.values():
        stage = stage.get("do", stage) if isinstance(stage, dict) else {}  # foreach/matrix stages
        for kind, found in (("outs", outs), ("deps", deps)):
            for entry in stage.get(kind) or []:
                name = str(next(iter(entry)) if isinstance(entry, dict) else entry)
                resolved = _interpolate(name, params)
                if resolved is None and kind == "outs":
                    # ${item} of a foreach stage, say: publish the folder the paths share
                    folder = name.split("${")[0].rpartition("/")[0]
                    if not folder:
                        raise RuntimeError(f"dvc.yaml: cannot tell where the output {name!r} is written")
                    resolved = folder
                if resolved is not None:
                    found.append(resolved)
    return outs, deps


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def publish_units(root: Path) -> list[str]:
    """What a run publishes, project-relative: the folders a run writes whole
    (``reports/``, ``data/interim/``, ``data/private/``), ``dvc.lock``, and each output
    of ``dvc.yaml`` outside them. No unit lies inside another."""
    folders = [paths.relative(p) for p in (paths.reports_dir(), paths.interim_dir(), paths.private_dir())]
    outs, _ = declared(root)
    units = [*folders, "dvc.lock"]
    for out in outs:
        rel = Path(os.path.normpath(out)).as_posix()
        if not Path(rel).is_absolute() and not rel.startswith("../") and rel not in units:
            units.append(rel)
    return [u for u in units if not any(_inside(u, v) and u != v for v in units)]


def _stray(name: str) -> bool:
    """A temporary file an atomic writer left behind when it was killed (hidden, ending
    in .tmp or .ipynb): never copied, so the next published tree has none."""
    return name.startswith(".") and (name.endswith(".tmp") or name.endswith(".ipynb"))


def _is_venv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


_NOT_MIRRORED = (".git", ".venv", ".lock-venv", ".dvc")  # top level: the staging copy has its own .dvc


def _mirror(src: Path, dst: Path, rel: str, copied: list[str], root: Path) -> None:
    """Mirror the folder ``src`` (project path ``rel``) into ``dst``: real copies of files
    under a unit in ``copied``, hard links for the rest (a copy where links fail)."""
    dst.mkdir(parents=True)
    with os.scandir(src) as entries:
        for entry in entries:
            name = entry.name
            path = f"{rel}/{name}" if rel else name
            if name in ("__pycache__", ".pytest_cache", ".ipynb_checkpoints") or name.endswith(".egg-info"):
                continue
            if not rel and name in _NOT_MIRRORED:
                continue
            copy = any(_inside(path, unit) for unit in copied)
            target = dst / name
            if entry.is_symlink():
                link = os.readlink(entry.path)
                if not os.path.isabs(link):  # keep it pointing where it points
                    resolved = Path(os.path.normpath(Path(entry.path).parent / link))
                    inside = resolved.relative_to(root).parts[:1] if resolved.is_relative_to(root) else None
                    if not inside or inside[0] in _NOT_MIRRORED:
                        link = str(resolved)
                os.symlink(link, target)
            elif entry.is_dir():
                if not copy and _is_venv(entry.path):
                    continue
                _mirror(Path(entry.path), target, path, copied, root)
            elif not entry.is_file(follow_symlinks=False):
                continue  # a socket or a pipe: nothing a stage reads
            elif copy:
                if not _stray(name):
                    shutil.copy2(entry.path, target)
            else:
                try:
                    os.link(entry.path, target)
                except FileNotFoundError:
                    continue  # gone since the folder was listed (an editor's backup, say)
                except OSError:
                    shutil.copy2(entry.path, target)


def _cache_dir(root: Path) -> Path:
    """The checkout's DVC cache, resolved as DVC resolves ``cache.dir`` (relative to
    ``.dvc/``); the staging copy shares it."""
    from configobj import ConfigObj

    found = None
    for name in ("config", "config.local"):
        path = root / ".dvc" / name
        if path.is_file():
            found = (ConfigObj(str(path)).get("cache") or {}).get("dir", found)
    return (root / ".dvc" / found).resolve() if found else root / ".dvc" / "cache"


def stage(root: Path, work: Path) -> list[str]:
    """Make ``work`` a staging copy of the checkout ``root``; return the publish units."""
    from configobj import ConfigObj

    units = publish_units(root)
    if os.path.lexists(work):
        shutil.rmtree(work)  # never mirror into a leftover: a link in it may be the checkout's own file
    _mirror(root, work, "", units, root)
    (work / ".dvc").mkdir(exist_ok=True)
    for name in ("config", ".gitignore"):
        if (root / ".dvc" / name).is_file():
            shutil.copy2(root / ".dvc" / name, work / ".dvc" / name)
    given = root / ".dvc" / "config.local"
    local = ConfigObj(str(given)) if given.is_file() else ConfigObj()
    local.setdefault("cache", {})["dir"] = str(_cache_dir(root))
    local.filename = str(work / ".dvc" / "config.local")
    local.write()
    _, deps = declared(root)
    for dep in deps:  # a dependency outside the checkout, named relative to it (raw_dir: ../study)
        rel = os.path.normpath(dep)
        if not os.path.isabs(rel) and rel.startswith(".."):
            link = Path(os.path.normpath(work / rel))
            if not link.is_relative_to(work.parent):
                raise StagingError(
                    f"error: dvc.yaml depends on {dep}, more than one folder above the checkout; "
                    "give it as an absolute path (in params.yaml) and run again. Nothing was changed."
                )
            if not os.path.lexists(link):
                link.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(os.path.normpath(root / rel), link)
    git = subprocess.run(
        ["git", "rev-parse", "--absolute-git-dir", "--show-toplevel"], cwd=root, capture_output=True, text=True
    )
    lines = (git.stdout or "").split("\n")
    if git.returncode == 0 and len(lines) > 1 and Path(lines[1]).resolve() == root.resolve():
        # the staging copy is a work tree of the checkout's repository (provenance asks git
        # for the inputs' last commit); GIT_OPTIONAL_LOCKS=0 keeps git from touching its index
        (work / ".git").write_text(f"gitdir: {lines[0]}\n")
    return units


# --------------------------------------------------------------------------- publishing


def _write_record(journal: Path, units: list[str]) -> None:
    tmp = journal / f".{COMMIT}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"units": units}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, journal / COMMIT)


def _move_units(root: Path, journal: Path, units: list[str]) -> None:
    """Move each unit from the staging copy into the checkout, the checkout's own
    version out of the way into ``journal/old``. Idempotent: a unit already moved is no
    longer in the staging copy, so running this again after a kill finishes the job."""
    work, old = journal / "work", journal / "old"
    for unit in units:
        new, cur = work / unit, root / unit
        if not os.path.lexists(new):
            continue
        cur.parent.mkdir(parents=True, exist_ok=True)
        if not new.is_dir() and not (cur.is_dir() and not cur.is_symlink()):
            os.replace(new, cur)  # a file: one atomic rename
            continue
        if os.path.lexists(cur):
            (old / unit).parent.mkdir(parents=True, exist_ok=True)
            os.rename(cur, old / unit)
        os.rename(new, cur)


def _discard(journal: Path) -> None:
    """Remove a journal: renamed away first (one atomic step), then deleted."""
    if not journal.exists():
        return
    trash = journal.with_name(f"{journal.name}.trash-{os.getpid()}-{time.monotonic_ns()}")
    try:
        os.rename(journal, trash)
    except OSError:
        trash = journal
    shutil.rmtree(trash, ignore_errors=True)


def publish(root: Path, journal: Path, units: list[str]) -> None:
    """Commit the run: the record first (the point of no return), then the renames."""
    _write_record(journal, units)
    _move_units(root, journal, units)
    _discard(journal)


def recover(root: Path) -> str | None:
    """Settle what a killed run left, before anything else: finish publishing when its
    commit record was written, else discard its staging copy. Returns a one-line note
    for the user, or None when there was nothing to settle."""
    journal = root / RUN_DIR
    for trash in journal.parent.glob(f"{journal.name}.trash-*"):
        shutil.rmtree(trash, ignore_errors=True)
    if not journal.exists():
        return None
    record = journal / COMMIT
    if record.is_file():
        _move_units(root, journal, json.loads(record.read_text(encoding="utf-8"))["units"])
        _discard(journal)
        return "compendium: the last run was stopped while it published its results; finished publishing them."
    _discard(journal)
    return (
        "compendium: the last run was stopped before it finished; discarded its unfinished work "
        "(reports/, dvc.lock and the other outputs had not been touched)."
    )


def _keep_diagnostics(root: Path, work: Path) -> None:
    """After a failed run: the leak audit's private list of hits, which its message
    names, is the one file that reaches the checkout."""
    from compendium.checks.audit import PRIVATE_HITS

    rel = f"{paths.relative(paths.private_dir())}/{PRIVATE_HITS}.csv"
    new, cur = work / rel, root / rel
    if new.is_file() and (not cur.is_file() or cur.read_bytes() != new.read_bytes()):
        cur.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(new, cur)


# --------------------------------------------------------------------------- signals and children


class Stopped(BaseException):
    """SIGTERM or SIGHUP, raised like KeyboardInterrupt for SIGINT."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


_descendants: list[Any] = []  # the processes this run had started when a signal came


def _snapshot_children() -> None:
    try:
        import psutil

        _descendants[:] = psutil.Process().children(recursive=True)
    except Exception:  # noqa: BLE001 - best effort; the journal makes it safe anyway
        pass


def _on_signal(signum: int, _frame: Any) -> None:
    _snapshot_children()  # before subprocess.run kills DVC and orphans its stages
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Stopped(signum)


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP raise in this process for the block (so that it
    cleans up), in the main thread only; the handlers before are put back."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    for s in STOP_SIGNALS:
        signal.signal(s, _on_signal)
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def _stop_children() -> None:
    """End every process this run started (DVC, stages, kernels, the warm server): those
    alive now and those seen when the signal came. SIGTERM, then SIGKILL after 5 s."""
    try:
        import psutil
    except ImportError:
        return
    procs = {p.pid: p for p in _descendants}
    with contextlib.suppress(psutil.Error):
        procs.update({p.pid: p for p in psutil.Process().children(recursive=True)})
    alive = []
    for p in procs.values():
        with contextlib.suppress(psutil.Error):
            p.terminate()
            alive.append(p)
    _, alive = psutil.wait_procs(alive, timeout=5)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=2)
    _descendants.clear()


def _pause_for_tests() -> None:
    flag = os.environ.get(PAUSE_ENV)
    if flag:
        Path(flag).write_text(f"{os.getpid()}\n")
        while os.path.exists(flag):
            time.sleep(0.05)


def _stage_names(root: Path) -> set[str]:
    path = root / "dvc.yaml"
    if not path.is_file():
        return set()
    return set((_load_yaml(path) or {}).get("stages") or {})


# --------------------------------------------------------------------------- the command


def reproduce(force: bool = False, targets: list[str] | None = None, warm: bool = True) -> int:
    """Run ``dvc repro`` in a staging copy and publish its results only when every stage
    and the leak audit passed (see the module's docstring); with ``warm``, the stages
    start from a warm server (see :mod:`compendium.pipeline.warm`) instead of importing
    their libraries afresh. Returns the exit status: DVC's on failure, 128 + the signal
    when stopped, :data:`BUSY` when another run holds the checkout."""
    from compendium.core.config import read_params

    root = paths.project_root()
    if (root / "params.yaml").is_file():  # (without one, DVC names each missing parameter)
        read_params()  # refuse a hostile params.yaml (an alias bomb) or a bad value before DVC parses it
    try:
        with run_lock(root) as lock_fd:
            note = recover(root)
            if note:
                print(note, file=sys.stderr)
            marker = root / FINGERPRINT
            if not force and not targets and marker.is_file() and marker.read_text() == fingerprint(root):
                print("Nothing changed since the last successful run: data and pipeline are up to date.")
                return 0
            with _signals_raise():
                status = _run(root, force, targets or [], warm, lock_fd)
    except Busy as exc:
        print(exc, file=sys.stderr)
        return BUSY
    except StagingError as exc:
        print(exc, file=sys.stderr)
        return 2
    return status


def cached_outputs(root: Path) -> set[tuple[str, str]]:
    """(path, hash) of every output ``dvc.lock`` records in DVC's cache (``cache: false``
    outputs excluded): what a run can have added to ``.dvc/cache``."""
    lock = root / "dvc.lock"
    if not lock.is_file():
        return set()
    stages = (_load_yaml(lock) or {}).get("stages") or {}
    spec = (_load_yaml(root / "dvc.yaml") or {}).get("stages") or {}
    uncached = {
        next(iter(out)) if isinstance(out, dict) else out
        for stage in spec.values()
        if isinstance(stage, dict)
        for out in stage.get("outs", [])
        if isinstance(out, dict) and not next(iter(out.values())).get("cache", True)
    }
    found = set()
    for stage in stages.values():
        for out in stage.get("outs", []) if isinstance(stage, dict) else []:
            if out.get("path") not in uncached:
                found.add((str(out.get("path")), str(out.get("md5") or out.get("hash") or "")))
    return found


def _run(root: Path, force: bool, targets: list[str], warm: bool, lock_fd: int) -> int:
    journal = root / RUN_DIR
    work = journal / "work"
    published = False
    result = None
    cached_before = cached_outputs(root)
    try:
        with tempfile.TemporaryDirectory(prefix="compendium-warm-") as tmp:  # the socket: a short path
            env = dvc_env()
            env.update({"COMPENDIUM_ROOT": str(work), CHECKOUT_ENV: str(root), "GIT_OPTIONAL_LOCKS": "0"})
            server = None
            started = start_warm(tmp, env) if warm else None
            if started:
                server, env[ENV] = started
            try:
                with dvc_lock(root, wait=3):
                    units = stage(root, work)
                cmds = [[sys.executable, "-m", DVC, "repro", *(["--force"] if force else []), *targets]]
                if targets and AUDIT_STAGE in _stage_names(root) and AUDIT_STAGE not in targets:
                    cmds.append([sys.executable, "-m", DVC, "repro", "--single-item", AUDIT_STAGE])
                for cmd in cmds:
                    result = subprocess.run(cmd, cwd=work, env=env, check=False, pass_fds=(lock_fd,))
                    if result.returncode != 0:
                        break
            finally:
                if server is not None:
                    server.terminate()
                    server.wait()
        if result is not None and result.returncode != 0:
            _keep_diagnostics(root, work)
            _discard(journal)
            print(
                "\nThe pipeline failed (see the message above). Nothing was published: reports/, dvc.lock and "
                "the other outputs are as they were before this run; data/raw/ is never written.",
                file=sys.stderr,
            )
            return result.returncode
        _pause_for_tests()
        with dvc_lock(root, wait=60):
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
            try:
                publish(root, journal, units)
                published = True
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a signal that came meanwhile is raised here
        if cached_outputs(root) != cached_before:  # a run that cached nothing new leaves nothing to forget
            forget_old_versions(root, dvc_env())
        report_review(root)
        if not targets:
            marker = root / FINGERPRINT
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(fingerprint(root))
        return 0
    except (KeyboardInterrupt, Stopped) as exc:
        for s in STOP_SIGNALS:  # a second Ctrl-C must not cut the clean-up short
            signal.signal(s, signal.SIG_IGN)
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        _stop_children()
        name = signal.Signals(signum).name
        if published:
            print(f"\nStopped ({name}) after the results were published.", file=sys.stderr)
        else:
            _discard(journal)
            print(
                f"\nStopped ({name}). Nothing was published: reports/, dvc.lock and the other outputs are "
                "as they were before this run.",
                file=sys.stderr,
            )
        return 128 + signum
    except BaseException:
        _stop_children()
        if not published:
            _discard(journal)
        raise


def report_review(root: Path) -> None:
    """End a successful run by counting the de-identification candidates that still wait
    for the team's decision (they are redacted until decided)."""
    from compendium.qualitative.deidentify import read_review

    path = root / "data" / "private" / "deidentify_review.csv"
    if not path.is_file():
        return
    review = read_review(path)
    undecided = int((review["decision"].fillna("").str.strip() == "").sum())
    if undecided:
        print(
            f"De-identification: {undecided} of {len(review)} candidate word(s) await a decision in "
            f"{paths.relative(path)} (write keep or redact in its decision column; until then they are "
            "redacted)."
        )


def forget_old_versions(root: Path, env: dict[str, str] | None = None) -> bool:
    """Withdrawal erases: after a successful run, delete every object of DVC's cache
    that the workspace no longer uses (``dvc gc --workspace --force``), with the
    run-cache entries that point at them and DVC's temporary experiment state.

    DVC keeps each earlier version of ``data/interim/`` in ``.dvc/cache``; once a
    learner withdraws, the versions made before hold what they said, and a
    ``dvc push`` would upload them. The outputs of the current run are what the
    workspace uses, so they stay. Returns whether the clean-up succeeded; a failure
    is reported, not raised (the run itself succeeded).
    """
    result = subprocess.run(
        [sys.executable, "-m", "dvc", "gc", "--workspace", "--force", "--quiet"],
        cwd=root,
        env=env or dvc_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    for leftover in (root / ".dvc" / "cache" / "runs", root / ".dvc" / "tmp" / "exps"):
        shutil.rmtree(leftover, ignore_errors=True)
    if result.returncode != 0:
        print(
            "warning: could not remove old versions from DVC's cache; run `dvc gc --workspace --force` "
            f"by hand before any `dvc push`:\n{result.stderr.strip()}",
            file=sys.stderr,
        )
        return False
    return True


def _digest(folder: Path) -> dict[str, str]:
    import hashlib

    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


NOT_PROMISED = ("provenance.json",)  # records the commit and the machine: see README


def verify() -> int:
    """Rerun the whole pipeline on a fresh clone of the last commit and check that
    every committed artifact under reports/ comes back byte for byte (or, for a number
    on a rounding boundary, within one unit of the stated precision: see
    :mod:`compendium.checks.drift`), then that every published claim is reproduced. Returns
    the exit code."""
    import json
    import shutil

    from compendium.checks import drift
    from compendium.core.io import SIGNIFICANT_DIGITS
    from compendium.data.validated import is_paper_twin

    root = paths.project_root()
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True, check=False
    ).stdout.strip()
    if status:
        print("note: the working tree has uncommitted changes; this verifies the last commit.", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="compendium-verify-") as tmp:
        scratch = Path(tmp) / "compendium"
        subprocess.run(["git", "clone", "--quiet", str(root), str(scratch)], check=True)
        committed = _digest(scratch / "reports")
        shutil.copytree(scratch / "reports", Path(tmp) / "committed")
        env = {k: v for k, v in dvc_env().items() if k != "COMPENDIUM_ROOT"}
        print("verify: forced rerun of every stage in a fresh clone ...", file=sys.stderr, flush=True)
        run = subprocess.run(
            [sys.executable, "-m", "compendium.cli", "reproduce", "--force"], cwd=scratch, env=env, check=False
        )
        if run.returncode != 0:
            print("verify: the forced rerun failed", file=sys.stderr)
            return run.returncode
        rerun = _digest(scratch / "reports")
        changed = sorted(
            n for n in set(committed) | set(rerun) if committed.get(n) != rerun.get(n) and n not in NOT_PROMISED
        )
        grades = {}
        for name in changed:
            if name not in rerun:
                grades[name] = "missing after rerun"
            elif name not in committed:
                grades[name] = "new"
            else:
                grades[name] = drift.grade(
                    (Path(tmp) / "committed" / name).read_bytes(),
                    (scratch / "reports" / name).read_bytes(),
                    Path(name).suffix,
                    SIGNIFICANT_DIGITS,
                )
        report = json.loads((scratch / "reports" / "verification.json").read_text(encoding="utf-8"))
        # the paper's numbers are a check only on the shipped twin; another study's differ by nature
        twin = is_paper_twin(json.loads((scratch / "data" / "interim" / "study" / "meta.json").read_text())["dataset"])
    summary = report["summary"]
    differ = [n for n, g in grades.items() if g != drift.SAME_AT_PRECISION]
    close = [n for n, g in grades.items() if g == drift.SAME_AT_PRECISION]
    print(
        f"verify: {len(committed)} committed files under reports/: {len(committed) - len(changed)} identical, "
        f"{len(close)} {drift.SAME_AT_PRECISION} ({SIGNIFICANT_DIGITS} significant digits), {len(differ)} differ"
    )
    for name in sorted(grades):
        print(f"  - reports/{name}: {grades[name]}")
    print(
        f"verify: {summary['claims']} published claims: {summary['match']} match, {summary['mismatch']} mismatch, "
        f"{summary['not reproducible from the data']} not reproducible from the data"
    )
    for claim in report["claims"]:
        if claim["status"] != "match":
            print(f"  - {claim['id']} ({claim['where']}): printed {claim['text']}, recomputed {claim['recomputed']}")
    for name, check in report["checks"].items():
        print(f"verify: check {name}: {check['problems']} problem(s) in the published numbers")
    if not twin:
        print(
            "verify: another study's data: differences from the original paper are reported, not failed on "
            "(reports/replication.md judges each claim)"
        )
    ok = not differ and (summary["match"] == summary["claims"] or not twin)
    if differ:  # again at the end, where a reader of a long log looks first
        print(f"verify: files that differ: {', '.join(f'reports/{n}' for n in sorted(differ))}")
    print("verify: PASSED" if ok else "verify: FAILED")
    return 0 if ok else 1
