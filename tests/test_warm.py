"""The warm server: stage commands and kernels forked from one process that has
imported the libraries, with the same results as processes started from scratch."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from scratch import ROOT

from compendium.pipeline import warm
from compendium.pipeline.notebooks import run as run_notebook

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the warm server runs on Linux only")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COMPENDIUM_ROOT", warm.ENV)}
    env.update(MPLBACKEND="Agg", PYTHONHASHSEED="0", **extra)
    return env


def _wait_for(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture()
def server(root):
    """A warm server started from the project root, as `compendium reproduce` starts it."""
    folder = tempfile.mkdtemp(prefix="cw-")
    old = Path.cwd()
    os.chdir(root)
    try:
        process, path = warm.start(folder, _env())
    finally:
        os.chdir(old)
    assert _wait_for(lambda: os.path.exists(path))
    yield process, path
    process.terminate()
    process.wait(timeout=30)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def valid_project(shipped_project) -> Path:
    """A project whose data pass validation (the shipped study)."""
    return shipped_project


@pytest.fixture()
def broken_project(pristine, tmp_path) -> Path:
    """A project whose participants.csv fails validation (a group that is no arm)."""
    from scratch import SHIPPED_ARMS, shipped_params

    project = tmp_path / "project"
    project.mkdir()
    for name in ("params.yaml", "dvc.yaml"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(pristine.raw, project / "data" / "raw")
    params = project / "params.yaml"
    params.write_text(shipped_params(params.read_text(), pristine.raw))
    csv = project / "data" / "raw" / "participants.csv"
    lines = csv.read_text().split("\n")
    assert SHIPPED_ARMS[0] in lines[3] or SHIPPED_ARMS[1] in lines[3]
    lines[3] = lines[3].replace("control", "contrl").replace("intervention", "interventn")
    csv.write_text("\n".join(lines))
    return project


def test_without_a_server_the_command_runs_in_its_own_process(monkeypatch, tmp_path):
    monkeypatch.delenv(warm.ENV, raising=False)
    assert warm.delegate("cli", ["--version"]) is None
    monkeypatch.setenv(warm.ENV, str(tmp_path / "no-such.sock"))
    assert warm.delegate("cli", ["--version"]) is None
    assert warm.kernel_manager_class().__name__ == "WarmKernelManager"  # kernels are asked for; no server answers


def test_kernels_talk_over_local_sockets_so_ipykernel_has_no_tcp_warning(tmp_path, monkeypatch, capfd):
    monkeypatch.delenv(warm.ENV, raising=False)
    assert warm.kernel_manager_class()().transport == "ipc"
    source = _notebook(tmp_path / "quiet.ipynb", ["x = 1", "print(x)"])
    monkeypatch.setenv("COMPENDIUM_ROOT", str(tmp_path))
    run_notebook(source, {"x": 2}, tmp_path / "out.ipynb")
    err = capfd.readouterr().err
    assert "running with" in err and "WARNING" not in err and "encryption" not in err


def _other_threads_in_a_fresh_process(start: str) -> str:
    code = f"import threading, time, faulthandler\n{start}\nfrom compendium.pipeline import warm\n"
    code += "print(warm.other_threads())"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_other_threads_sees_python_threads_and_native_ones_python_does_not_know():
    assert _other_threads_in_a_fresh_process("") == "None"
    found = _other_threads_in_a_fresh_process(
        "threading.Thread(target=time.sleep, args=(60,), daemon=True, name='intruder').start()"
    )
    assert "1 Python thread(s) (intruder)" in found
    # faulthandler's watchdog is a C thread: threading.active_count() stays 1, /proc/self/task does not
    found = _other_threads_in_a_fresh_process(
        "faulthandler.dump_traceback_later(60); assert threading.active_count() == 1"
    )
    assert "1 native thread(s)" in found


def test_the_server_forks_from_its_main_thread_only_with_the_libraries_loaded(server, monkeypatch):
    """numpy's OpenBLAS, scipy's and Arrow's jemalloc each start a thread when loaded
    unless told not to before; the server is told, and checks before every fork."""
    process, path = server
    monkeypatch.setenv(warm.ENV, path)
    assert warm.delegate("cli", ["--version"]) == 0  # forked: the check passed with the first libraries loaded
    assert len(os.listdir(f"/proc/{process.pid}/task")) == 1
    time.sleep(3)  # the later libraries (SciPy, statsmodels, ...) load between requests
    assert warm.delegate("cli", ["--version"]) == 0
    assert len(os.listdir(f"/proc/{process.pid}/task")) == 1


@pytest.mark.parametrize(
    "intruder",
    [
        "threading.Thread(target=time.sleep, args=(600,), daemon=True, name='intruder').start()",
        "faulthandler.dump_traceback_later(600)",  # a native thread, unknown to threading
    ],
)
def test_a_server_with_a_second_thread_refuses_to_fork_and_the_work_starts_from_scratch(
    intruder, tmp_path, monkeypatch
):
    path = str(tmp_path / "w.sock")
    code = (
        f"import threading, time, faulthandler\n{intruder}\nfrom compendium.pipeline.warm import serve\nserve({path!r})"
    )
    process = subprocess.Popen([sys.executable, "-c", code], env=_env(), stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: os.path.exists(path))
        monkeypatch.setenv(warm.ENV, path)
        assert warm.delegate("cli", ["--version"]) is None  # no fork: the caller does the work
        assert process.wait(timeout=60) == 0
        assert warm.delegate("cli", ["--version"]) is None  # nor for anyone after
        message = process.stderr.read()
        assert "warning: the warm server stops" in message and "besides its main thread" in message
        assert ("intruder" in message) if "Thread(" in intruder else ("native thread" in message)
    finally:
        process.kill()
        process.wait()


def test_a_server_that_has_gone_leaves_the_work_to_the_caller(server, monkeypatch):
    process, path = server
    process.terminate()
    process.wait(timeout=30)
    monkeypatch.setenv(warm.ENV, path)
    assert warm.delegate("cli", ["--version"]) is None


def test_a_command_runs_in_a_child_with_the_callers_directory_environment_and_streams(
    server, broken_project, valid_project, tmp_path, monkeypatch, capfd
):
    """The server runs from the project root; the caller's working directory (a
    different, broken project) and its COMPENDIUM_ROOT must be the ones used, its
    exit status must come back, and its messages must reach the caller's stderr."""
    _, path = server
    monkeypatch.setenv(warm.ENV, path)
    monkeypatch.delenv("COMPENDIUM_ROOT", raising=False)
    monkeypatch.chdir(broken_project)
    assert warm.delegate("cli", ["validate", "data/raw"]) == 2
    assert "participants.csv, row 3 (line 4), column 'group'" in capfd.readouterr().err

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COMPENDIUM_ROOT", str(broken_project))
    assert warm.delegate("cli", ["validate", "data/raw"]) == 2
    monkeypatch.setenv("COMPENDIUM_ROOT", str(valid_project))
    assert warm.delegate("cli", ["validate", "data/raw"]) == 0
    assert "data/raw: valid" in capfd.readouterr().out


def test_the_console_script_hands_stage_commands_to_the_server(server, broken_project):
    _, path = server
    exe = Path(sys.executable).with_name("compendium")
    result = subprocess.run(
        [str(exe), "validate", "data/raw"],
        cwd=broken_project,
        env=_env(**{warm.ENV: path}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "column 'group'" in result.stderr and "Traceback" not in result.stderr


def _notebook(path: Path, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(cells[0], metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells[1:]]
    nbformat.write(nb, path)
    return path


def test_a_kernel_forked_from_the_server_gives_the_same_notebook_as_a_new_kernel(server, tmp_path, monkeypatch):
    """Same bytes, with what a library decides at import about where it runs
    (pandas shows at most 20 columns in a kernel, fits a terminal outside one)."""
    _, path = server
    ppid_file = tmp_path / "kernel-parent.txt"
    source = _notebook(
        tmp_path / "probe.ipynb",
        [
            "columns = 30",
            "import os, sys\nimport pandas as pd\nimport matplotlib.pyplot as plt",
            "pd.DataFrame({f'column_{i}': range(3) for i in range(columns)})",
            "print('to stdout'); print('to stderr', file=sys.stderr)",
            "fig, ax = plt.subplots(); ax.plot([1, 2, 3]); plt.close(fig); pd.get_option('display.max_columns')",
            # the kernel runs in the project root; the statement displays nothing (pids differ in length)
            f"with open({ppid_file.name!r}, 'w') as f:\n    f.write(str(os.getppid()))",
        ],
    )
    monkeypatch.setenv("COMPENDIUM_ROOT", str(tmp_path))
    monkeypatch.delenv(warm.ENV, raising=False)
    fresh = run_notebook(source, {"columns": 25}, tmp_path / "fresh.ipynb")
    fresh_parent = int(ppid_file.read_text())
    monkeypatch.setenv(warm.ENV, path)
    forked = run_notebook(source, {"columns": 25}, tmp_path / "forked.ipynb")
    server_pid = server[0].pid
    assert fresh_parent != server_pid and int(ppid_file.read_text()) == server_pid
    assert forked.read_bytes() == fresh.read_bytes()
    assert "column_24" in fresh.read_text()


def test_a_killed_stage_takes_its_forked_command_and_kernel_with_it(server, tmp_path):
    """DVC may kill a stage: nothing forked for it may go on running."""
    _, path = server
    pid_file = tmp_path / "kernel.pid"
    source = _notebook(
        tmp_path / "sleeper.ipynb",
        [
            "seconds = 120",
            f"import os, time\nopen({pid_file.name!r}, 'w').write(str(os.getpid()))\ntime.sleep(seconds)",
        ],
    )
    stage = subprocess.Popen(
        [sys.executable, "-m", "compendium.cli", "run-notebook", str(source), "-o", str(tmp_path / "out.ipynb")],
        env=_env(**{warm.ENV: path, "COMPENDIUM_ROOT": str(tmp_path)}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert _wait_for(lambda: pid_file.exists() and pid_file.read_text().strip())
    kernel = int(pid_file.read_text())
    assert _alive(kernel)
    stage.send_signal(signal.SIGKILL)
    stage.wait(timeout=30)
    assert _wait_for(lambda: not _alive(kernel), seconds=15), "the kernel outlived its stage"
    assert not (tmp_path / "out.ipynb").exists()


def test_reproduce_starts_a_server_for_the_run_and_stops_it(tmp_path, monkeypatch):
    from compendium.pipeline import reproduce

    (tmp_path / "reports").mkdir()
    monkeypatch.setenv("COMPENDIUM_ROOT", str(tmp_path))
    seen: dict = {}
    real_run = subprocess.run

    def fake_dvc(cmd, cwd=None, env=None, check=False, **kwargs):
        if cmd[1:4] != ["-m", reproduce.DVC, "repro"]:  # after a successful run: dvc gc (withdrawal erases)
            return subprocess.CompletedProcess(cmd, 0)
        seen["cmd"], seen["socket"] = cmd, env.get(warm.ENV)
        if seen["socket"]:
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            seen["answered"] = _wait_for(lambda: probe.connect_ex(seen["socket"]) == 0)
            probe.close()
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(subprocess, "run", fake_dvc)
    assert reproduce.reproduce(targets=["01-validate-data"]) == 0
    monkeypatch.setattr(subprocess, "run", real_run)
    assert seen["cmd"][1:4] == ["-m", reproduce.DVC, "repro"] and seen["socket"]
    assert seen["answered"]
    assert not os.path.exists(seen["socket"])  # the server and its folder are gone

    seen.clear()
    monkeypatch.setattr(subprocess, "run", fake_dvc)
    assert reproduce.reproduce(targets=["01-validate-data"], warm=False) == 0
    assert seen["socket"] is None


def test_a_server_whose_code_changed_on_disk_refuses_to_fork(tmp_path, monkeypatch):
    """An edit to the compendium's code while `compendium reproduce` ran: stages forked
    from the warm server ran the code loaded before the edit while DVC recorded the
    edited file's hash, so the next run skipped the stage and its outputs stayed stale
    (a hand-made study's joint display kept 'advocacy_track' after figures.py changed).
    Here a module of the package, loaded by the server, changes on disk; the reference
    is the server's behaviour when it cannot fork safely: no fork, the caller runs it."""
    path = str(tmp_path / "w.sock")
    module = tmp_path / "probe.py"
    module.write_text("X = 1\n")
    code = (
        "import sys, types\n"
        f"probe = types.ModuleType('compendium._probe'); probe.__file__ = {str(module)!r}\n"
        "sys.modules['compendium._probe'] = probe\n"
        f"from compendium.pipeline.warm import serve\nserve({path!r})"
    )
    process = subprocess.Popen([sys.executable, "-c", code], env=_env(), stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: os.path.exists(path))
        monkeypatch.setenv(warm.ENV, path)
        assert warm.delegate("cli", ["--version"]) == 0  # unchanged: forked as usual
        module.write_text("X = 22\n")  # the edit: another size, another time
        assert warm.delegate("cli", ["--version"]) is None  # no fork: the caller does the work
        assert process.wait(timeout=60) == 0
        message = process.stderr.read()
        assert "warning: the warm server stops: the compendium's code changed after it was loaded" in message
        assert "probe.py" in message
    finally:
        process.kill()
        process.wait()
