"""A warm start for the pipeline's stages: one process imports the libraries once, and
every stage command and every notebook kernel is forked from it.

A cold run of the pipeline starts about thirty Python processes: one per DVC stage
and one Jupyter kernel per notebook, each importing pandas, SciPy, statsmodels,
matplotlib and Jupyter's own machinery before doing any work. ``compendium
reproduce`` therefore starts a *warm server* first. It imports those libraries once,
listens on a Unix socket (its path in ``COMPENDIUM_WARM_SOCKET``, which DVC passes on
to every stage) and forks a fresh child per request:

- a stage command (``compendium run-notebook ...``) connects, hands over its standard
  streams, working directory, environment and arguments, and waits for the exit
  status of the forked child that runs the command;
- the notebook's kernel is started the same way: the kernel command that
  jupyter_client launches is a small launcher (``python -m compendium.pipeline.warm kernel -f
  CONNECTION_FILE``) whose forked child is an ordinary ``ipykernel`` kernel.

Each child is a new process with a clean namespace; nothing is shared between stages
but the imported modules, so the executed notebooks are the same, byte for byte, as
with a kernel started from scratch (a test runs plain ``dvc repro`` against the
committed results). Without the variable, or when the server cannot be reached,
every command runs as usual in its own process.

Only a process with a single thread can be forked safely: a thread that held a lock
(in malloc, in a thread pool) at the moment of the fork does not exist in the child,
and the lock stays taken for ever. The server therefore limits every thread pool to
the calling thread *before* any library loads (:data:`SINGLE_THREADED`: OpenBLAS and
OpenMP pools, and the background thread of Arrow's jemalloc, which starts when
pyarrow loads; Arrow's own CPU and I/O pools start their threads lazily, on the first
task, and the server runs none) and checks before each fork that the main thread is
the only one (:func:`other_threads`, which on Linux counts ``/proc/self/task``, so
native threads that Python does not know of are seen too). When that check fails the
server says so, names what started the thread when it can, stops forking and exits:
the stage that asked, and every later one, starts from scratch instead.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
from typing import Any

ENV = "COMPENDIUM_WARM_SOCKET"

# What the stages import; loading it once is the saving. The first group is what the
# first stage needs and is loaded before the server answers; the rest is loaded
# between requests, in the order the stages need it, while the first stages run.
FIRST = (
    "numpy",
    "pandas",
    "pyarrow.parquet",
    "yaml",
    "nbformat",
    "papermill",
    "jupyter_client",
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.debugger",
    "compendium.pipeline.notebooks",
    "compendium.data.contract",
    "compendium.core.io",
)
LATER = (
    "scipy.stats",
    "matplotlib.pyplot",
    "statsmodels.api",
    "pingouin",
    "lxml.etree",
    "jinja2",
    "pypdfium2",
    "nbconvert",
)
# Set in the server before it imports anything (and so inherited by the forked stages
# and kernels): every pool runs its work on the calling thread.
SINGLE_THREADED = {
    "OPENBLAS_NUM_THREADS": "1",  # numpy's and scipy's OpenBLAS start their threads when loaded
    "OMP_NUM_THREADS": "1",  # OpenMP builds; also caps Arrow's CPU pool
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "ARROW_IO_THREADS": "1",
    "JE_ARROW_MALLOC_CONF": "background_thread:false",  # Arrow's jemalloc starts a purging thread at load
}
_HEADER = struct.Struct("!I")
_STREAMS = (0, 1, 2)
_in_child = False  # True in a process forked by the server: it never delegates again


# --- the wire: one JSON request with the standard streams attached, then JSON replies


def _send(sock: socket.socket, message: dict) -> None:
    data = json.dumps(message).encode()
    sock.sendall(_HEADER.pack(len(data)) + data)


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks, remaining = [], size
    while remaining:
        chunk = sock.recv(remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _recv(sock: socket.socket) -> dict | None:
    header = _recv_exactly(sock, _HEADER.size)
    if header is None:
        return None
    body = _recv_exactly(sock, _HEADER.unpack(header)[0])
    return None if body is None else json.loads(body)


# --- the client side: a stage command or a kernel launcher hands itself over


def _open_streams() -> list[int]:
    streams = []
    for fd in _STREAMS:
        try:
            os.fstat(fd)
        except OSError:
            continue
        streams.append(fd)
    return streams


def delegate(kind: str, argv: list[str]) -> int | None:
    """Run ``argv`` (a ``compendium`` command, or a kernel) in a child of the warm
    server and return its exit status; ``None`` when there is no server to ask, in
    which case the caller runs the work itself."""
    path = os.environ.get(ENV)
    if not path or _in_child:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        streams = _open_streams()
        request = {"kind": kind, "argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "streams": streams}
        data = json.dumps(request).encode()
        socket.send_fds(sock, [_HEADER.pack(len(data))], streams)
        sock.sendall(data)
        started = _recv(sock)
    except OSError:
        started = None
    if not started:  # the server is gone or refused: do the work here instead
        sock.close()
        return None
    child = int(started["pid"])

    def forward(signum: int, _frame: Any) -> None:
        try:
            os.kill(child, signum)
        except ProcessLookupError:
            pass

    forwarded = [signal.SIGTERM, signal.SIGHUP]
    same_group = os.getpgid(child) == os.getpgrp()  # then a Ctrl-C in the terminal reaches the child itself
    if not same_group:
        forwarded.append(signal.SIGINT)
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, *forwarded)}
    for signum in forwarded:
        signal.signal(signum, forward)
    if same_group:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        parent = os.getppid()
        while not select.select([sock], [], [], 1.0)[0]:
            if os.getppid() != parent:  # whoever started us (DVC, nbclient) is gone: so is the work
                forward(signal.SIGTERM, None)
                return 1
        finished = _recv(sock)
    finally:
        sock.close()
        for signum, handler in saved.items():
            signal.signal(signum, handler)
    if finished is None:
        print(f"error: the warm stage process {child} ended without an exit status", file=sys.stderr)
        return 1
    return int(finished["status"])


# --- the server


def _import(name: str, started_by: list[str] | None = None) -> None:
    import importlib

    before = _thread_count()
    try:
        importlib.import_module(name)
    except ImportError:  # an optional library that is not installed: nobody imports it
        pass
    if started_by is not None and _thread_count() > before:
        started_by.append(name)


def _thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))  # Linux: every thread, native ones too
    except OSError:
        return threading.active_count()


def other_threads() -> str | None:
    """What runs in this process besides the main thread, in words; ``None`` when
    nothing does (``threading.active_count() == 1`` and, on Linux, one entry in
    ``/proc/self/task``). The server asks before every fork."""
    python = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    if python:
        return f"{len(python)} Python thread(s) ({', '.join(python)})"
    try:
        tasks = sorted(os.listdir("/proc/self/task"))
    except OSError:  # not Linux: Python's own count is all there is
        return None
    if len(tasks) == 1:
        return None
    names = []
    for task in tasks:
        if int(task) == threading.get_native_id():
            continue
        try:
            with open(f"/proc/self/task/{task}/comm") as comm:
                names.append(comm.read().strip())
        except OSError:  # ended meanwhile
            names.append("?")
    return f"{len(tasks) - 1} native thread(s) ({', '.join(names)})"


def _preload_order() -> tuple[list[str], list[str]]:
    import pkgutil

    import compendium

    package = sorted(m.name for m in pkgutil.walk_packages(compendium.__path__, "compendium."))
    return list(FIRST), [*LATER, *(name for name in package if name not in FIRST)]


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def stamp_sources(stamps: dict[str, tuple[int, int] | None]) -> None:
    """Add to ``stamps`` the file of every module of the compendium package imported
    since the last call, with its modification time and size as they are now (the
    code the server holds in memory)."""
    for name, module in list(sys.modules.items()):
        if name == "compendium" or name.startswith("compendium."):
            source = getattr(module, "__file__", None)
            if source and source not in stamps:
                stamps[source] = _stamp(source)


def _short(path: str) -> str:
    """A module file as the reader finds it: from ``compendium/`` on."""
    parts = path.replace(os.sep, "/").split("/")
    return "/".join(parts[parts.index("compendium") :]) if "compendium" in parts else os.path.basename(path)


def changed_sources(stamps: dict[str, tuple[int, int] | None]) -> list[str]:
    """The files of ``stamps`` that changed on disk after the server imported them."""
    return sorted(p for p, old in stamps.items() if _stamp(p) != old)


def serve(path: str) -> None:
    """Listen on ``path``, import the libraries, then fork one child per request,
    until the process that started the server ends or stops it."""
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)  # requests queue here while the libraries load
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type] # see notebooks.run
    from compendium.core.environment import deterministic_env

    os.environ.update(deterministic_env(os.environ))  # as notebooks.run sets for its kernels
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the stages themselves; reproduce stops us
    os.environ.update(SINGLE_THREADED)  # before any library loads: they read it once, when loaded
    started_by: list[str] = []  # the imports after which a thread appeared
    before = _thread_count()
    first, later = _preload_order()  # imports compendium's packages to list their modules
    if _thread_count() > before:
        started_by.append("compendium's packages")
    for name in first:
        _import(name, started_by)
    stamps: dict[str, tuple[int, int] | None] = {}
    stamp_sources(stamps)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    while True:
        if not select.select([listener], [], [], 0 if later else 1.0)[0]:
            if os.getppid() != parent:  # compendium reproduce is gone
                return
            if later:
                _import(later.pop(0), started_by)  # nobody is waiting: load the next library
                stamp_sources(stamps)
            continue
        conn, _ = listener.accept()
        try:
            header, fds, _flags, _addr = socket.recv_fds(conn, _HEADER.size, len(_STREAMS))
            body = _recv_exactly(conn, _HEADER.unpack(header)[0]) if len(header) == _HEADER.size else None
            request = json.loads(body) if body else None
        except (OSError, ValueError):
            request, fds = None, []
        if request is None:
            conn.close()
            for fd in fds:
                os.close(fd)
            continue
        threads = other_threads()
        # an edit to the compendium's code during the run: a child forked now would run the code
        # loaded before it, while DVC records the hash of the edited file (and then skips the stage)
        changed = [] if threads else changed_sources(stamps)
        if threads or changed:  # a child forked now could hang on a lock, or run stale code: refuse, loudly
            why = (
                f"it runs {threads} besides its main thread"
                + (f" (they appeared while importing {', '.join(started_by)})" if started_by else "")
                if threads
                else f"the compendium's code changed after it was loaded ({', '.join(map(_short, changed[:3]))}"
                + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
                + ")"
            )
            print(
                f"warning: the warm server stops: {why}; the remaining stages start from scratch "
                + ("(slower, same results)." if threads else "and run the code as it is now."),
                file=sys.stderr,
                flush=True,
            )
            for fd in fds:
                os.close(fd)
            conn.close()  # the client reads no reply and runs the work itself
            listener.close()  # later clients cannot connect and do the same
            with contextlib.suppress(OSError):
                os.unlink(path)
            return
        if os.fork() == 0:
            listener.close()
            _child(conn, request, fds)  # never returns
        conn.close()
        for fd in fds:
            os.close(fd)


def _adopt_streams(fds: list[int], numbers: list[int]) -> None:
    """Make the client's standard streams this process's own, with Python's usual
    buffering for what they are (a terminal or a pipe)."""
    given = dict(zip(numbers, fds))
    for number in _STREAMS:
        if number in given:
            os.dup2(given[number], number)
            os.close(given[number])
        else:
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(null, number)
            os.close(null)
    encoding = sys.stdout.encoding if sys.stdout else "utf-8"
    sys.stdin = io.TextIOWrapper(open(0, "rb", closefd=False), encoding=encoding)
    sys.stdout = io.TextIOWrapper(
        open(1, "wb", closefd=False), encoding=encoding, line_buffering=os.isatty(1), write_through=os.isatty(1)
    )
    sys.stderr = io.TextIOWrapper(
        open(2, "wb", closefd=False), encoding=encoding, errors="backslashreplace", line_buffering=True
    )
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr  # type: ignore[misc] # the child's own streams are its originals


def _watch(conn: socket.socket) -> None:
    """End this child when its client goes away (DVC killed it, say)."""

    def wait() -> None:
        try:
            while conn.recv(1):
                pass
        except OSError:
            pass
        os._exit(1)

    threading.Thread(target=wait, daemon=True, name="warm-client-watch").start()


def _child(conn: socket.socket, request: dict, fds: list[int]) -> None:
    global _in_child
    _in_child = True
    status = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # subprocess needs its exit statuses
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _adopt_streams(fds, request["streams"])
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        _send(conn, {"pid": os.getpid()})
        _watch(conn)
        status = _run(request["kind"], request["argv"])
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - report anything, then exit with a status
        import traceback

        traceback.print_exc()
        status = 1
    finally:
        import atexit

        try:
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
            _send(conn, {"status": status})
        finally:
            os._exit(status)


def _run(kind: str, argv: list[str]) -> int:
    if kind == "cli":
        from compendium.pipeline.entry import console_script

        main = console_script()
        sys.argv = ["compendium", *argv]
        return main(argv)
    if kind == "kernel":
        # as ipykernel_launcher does: the working directory is not on sys.path
        if sys.path and sys.path[0] in ("", os.getcwd()):
            del sys.path[0]
        _as_in_a_new_kernel()
        if os.environ.get("JPY_PARENT_PID"):  # read at import by ipykernel; this one is the client's
            argv = [*argv, f"--IPKernelApp.parent_handle={os.environ['JPY_PARENT_PID']}"]
        sys.argv = ["ipykernel_launcher", *argv]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv)
        return 0
    raise ValueError(f"unknown request kind {kind!r}")


def _as_in_a_new_kernel() -> None:
    """Undo what the libraries decided at import about where they run. pandas sets
    ``display.max_columns`` to 0 (fit the terminal) when imported outside a Jupyter
    kernel and to 20 inside one (``pandas.core.config_init.is_terminal``); the server
    imported it outside. The test that compares a plain ``dvc repro`` with the
    committed notebooks catches any other such difference."""
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        pandas.set_option("display.max_columns", 20)


# --- kernels: jupyter_client starts the launcher instead of ipykernel_launcher


def kernel_manager_class() -> type:
    """The kernel manager for nbclient: a kernel that talks to it over local sockets
    (IPC), forked from the warm server when one is running.

    Over TCP, ipykernel warns at every start that the transport is not encrypted; Unix
    sockets are reachable only through the file system (the connection file's folder)
    and need no such warning. TCP stays where Unix sockets are not available or the
    runtime folder's path is too long for one."""
    import time
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class LocalKernelManager(AsyncKernelManager):
        @default("transport")
        def _local_transport(self) -> str:
            from jupyter_core.paths import jupyter_runtime_dir

            # a socket path is at most 107 bytes: RUNTIME/kernel-<uuid>-ipc-<n> must fit
            fits = len(os.fsencode(jupyter_runtime_dir())) <= 56
            return "ipc" if os.name == "posix" and fits else "tcp"

    if not os.environ.get(ENV):
        return LocalKernelManager

    class WarmKernelClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            """jupyter_client's wait (a kernel_info reply, and IOPub seen to be
            connected) without its final 0.2 s of listening for stray IOPub
            messages: nbclient ignores every message that answers no request of its."""
            deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
            while True:
                self.kernel_info()
                try:
                    reply = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    reply = None
                if reply is not None and reply["msg_type"] == "kernel_info_reply":
                    try:
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:  # IOPub not connected yet: ask again
                        pass
                    else:
                        self._handle_kernel_info_reply(reply)
                        return
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    class WarmKernelManager(LocalKernelManager):
        @default("client_factory")
        def _warm_client(self) -> type:
            return WarmKernelClient

        async def _async_wait(self, pollinterval: float = 0.01) -> None:
            # after an immediate shutdown, look for the launcher's exit every 10 ms, not 100
            await super()._async_wait(pollinterval=pollinterval)

        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            cmd = super().format_kernel_cmd(extra_arguments)
            if cmd[1:3] == ["-m", "ipykernel_launcher"]:
                cmd = [sys.executable, "-m", "compendium.pipeline.warm", "kernel", *cmd[3:]]
            return cmd

    return WarmKernelManager


def start(directory: str, env: dict[str, str]) -> tuple[Any, str] | None:
    """Start a warm server listening in ``directory``, with the environment the stages
    will have; (process, socket path), or ``None`` where it is not used (other
    systems than Linux, or a socket path longer than the system allows)."""
    import subprocess

    path = os.path.join(directory, "warm.sock")
    # Linux only: macOS frameworks (Accelerate, the Objective-C runtime) are not safe to
    # use in a child forked after they were loaded
    if not sys.platform.startswith("linux") or len(path.encode()) > 100:
        return None
    process = subprocess.Popen(
        [sys.executable, "-m", "compendium.pipeline.warm", "serve", path], env=env, stdin=subprocess.DEVNULL
    )
    return process, path


def _main(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:
        serve(argv[1])
        return 0
    if argv[:1] == ["kernel"]:
        status = delegate("kernel", argv[1:])
        if status is None:  # no server: become an ordinary kernel
            os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *argv[1:]])
        return status
    print("usage: python -m compendium.pipeline.warm serve SOCKET | kernel -f CONNECTION_FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    # run as the package module, not as __main__, so that forked children share its state
    from compendium.pipeline.warm import _main as main

    sys.exit(main(sys.argv[1:]))
