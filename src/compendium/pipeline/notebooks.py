"""Executing the stage notebooks with papermill, reproducibly.

``run`` executes a source notebook from ``notebooks/`` with the parameters given,
writes the executed copy to ``reports/notebooks/`` only when every cell succeeded,
and strips what would differ between two runs of the same inputs (papermill's
timings, kernel start times). A failing cell is reported by its error message, not
a wall of traceback; the previous executed copy is left in place.

Nothing temporary is ever written beside the executed copy: papermill writes into the
system's temporary folder, and the finished notebook is written under
``data/interim/.tmp/`` and renamed into place, so a stage killed at any moment (even
by SIGKILL) leaves either the old executed copy or the new one, never a half-written
or hidden file under ``reports/``.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from compendium.core import paths
from compendium.core.environment import deterministic_env

CHECKOUT_ENV = "COMPENDIUM_CHECKOUT"  # set by `compendium reproduce`: the checkout a staged run publishes into


class StageFailed(RuntimeError):
    """A stage notebook raised; the message is the notebook's own error."""


def parse_value(text: str) -> Any:
    """Papermill's ``-p`` semantics: numbers and booleans are typed, the rest is text."""
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, (int, float, bool)) else text


WITHHELD = "(withheld: see params.yaml)"


def withhold(nb: dict, keys: list[str]) -> dict:
    """Blank the values of private parameters (lists of names to redact, say) in an
    executed notebook: the injected-parameters cell and papermill's metadata."""
    if not keys:
        return nb
    pm = nb.get("metadata", {}).get("papermill", {})
    for key in keys:
        if key in pm.get("parameters", {}):
            pm["parameters"][key] = WITHHELD
    for cell in nb.get("cells", []):
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            lines = []
            for line in source.split("\n"):
                name = line.split(" = ", 1)[0]
                lines.append(f"{name} = {WITHHELD!r}" if name in keys and " = " in line else line)
            cell["source"] = "\n".join(lines)
    return nb


def normalise(nb: dict) -> dict:
    """Remove run-dependent metadata from an executed notebook (in place)."""
    meta = nb.get("metadata", {})
    pm = meta.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "exception", "input_path", "output_path"):
        pm.pop(key, None)
    pm.pop("environment_variables", None)
    meta.get("language_info", {}).pop("version", None)  # the Python patch level is in provenance
    for number, cell in enumerate(nb.get("cells", []), start=1):
        if "id" in cell:  # nbformat 4.5 draws random ids for new cells
            cell["id"] = f"cell-{number:02d}"
        cm = cell.get("metadata", {})
        cm.pop("execution", None)
        cpm = cm.get("papermill", {})
        for key in ("start_time", "end_time", "duration", "exception", "status"):
            cpm.pop(key, None)
    return nb


def run(
    source: str | Path, parameters: dict[str, Any], output: str | Path | None = None, private: list[str] | None = None
) -> Path:
    # jsonschema (under nbformat) imports an optional IRI checker that compiles a grammar
    # at import time, about a second per stage; nbformat never validates IRIs, so skip it.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from compendium.pipeline.warm import kernel_manager_class

    os.environ.update(deterministic_env(os.environ))  # the kernel inherits it
    src = paths.resolve(source)
    out = paths.resolve(output) if output else paths.reports_dir() / "notebooks" / src.name
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"[{src.stem}] running with {parameters}", file=sys.stderr, flush=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f"compendium-{out.stem}.", suffix=".ipynb")  # never under reports/
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        km = kernel_manager_class()  # a kernel forked from the warm server, when one runs
        try:
            pm.execute_notebook(
                str(src),
                str(tmp),
                parameters=parameters,
                kernel_name="python3",
                cwd=str(paths.project_root()),
                progress_bar=False,
                log_output=False,
                report_mode=False,
                request_save_on_cell_execute=False,
                shutdown_kernel="immediate",  # every output is in by now; no need to wait for atexit hooks
                **({"kernel_manager_class": km} if km else {}),
            )
        except PapermillExecutionError as exc:
            raise StageFailed(f"{src.name} failed: {exc.ename}: {exc.evalue}") from None
        nb = nbformat.read(tmp, as_version=4)
        normalise(nb)
        withhold(nb, private or [])
        text = nbformat.writes(nb) + "\n"
        for root in dict.fromkeys([str(paths.project_root()), os.environ.get(CHECKOUT_ENV) or ""]):
            if root and root in text:
                raise StageFailed(
                    f"{src.name} printed an absolute path ({root}); outputs must not carry one "
                    "(print paths with compendium.core.paths.relative)"
                )
        replace_atomically(out, text)
    finally:
        tmp.unlink(missing_ok=True)
    print(f"[{src.stem}] done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return out


def replace_atomically(out: Path, text: str) -> None:
    """Write ``text`` to ``out`` by renaming a finished file into place. The file is
    written under ``data/interim/.tmp/`` (the same file system as the project, so the
    rename is atomic), never beside ``out``: a hidden half-written notebook under
    ``reports/notebooks/`` is what broke every later run after a killed stage."""
    scratch = paths.interim_dir() / ".tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=scratch, prefix=f"{out.stem}.", suffix=".ipynb")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(name, 0o644)
        try:
            os.replace(name, out)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            out.write_text(text, encoding="utf-8")  # data/interim on another file system: no atomic rename
    finally:
        Path(name).unlink(missing_ok=True)
