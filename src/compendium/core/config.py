"""Parameters of the analysis, read from ``params.yaml``.

Stages receive their parameters from papermill (``-p``); this module supplies the
same defaults so that the package, the command line and the notebooks agree when a
value is not given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from compendium.core import paths


@dataclass(frozen=True)
class Arms:
    control: str = "control"
    intervention: str = "intervention"

    def __post_init__(self) -> None:
        if not self.control or not self.intervention:
            raise ValueError("both arm labels must be non-empty")
        if self.control == self.intervention:
            raise ValueError(f"the two arm labels must differ, both are {self.control!r}")

    @property
    def labels(self) -> tuple[str, str]:
        return (self.control, self.intervention)


@dataclass(frozen=True)
class OutcomeRules:
    cc_min_change: float = 0.5
    support_min_mean: float = 4.0


# --------------------------------------------------------------------------- input limits

MB = 1024 * 1024


def limit(name: str, default: int) -> int:
    """An input limit: ``default``, or the environment variable ``COMPENDIUM_<NAME>``
    (a whole number; sizes in bytes may be written with a ``K``, ``M`` or ``G`` suffix).
    Every refusal that a limit causes names the variable that raises it."""
    raw = os.environ.get(f"COMPENDIUM_{name}", "").strip()
    if not raw:
        return default
    factor = {"K": 1024, "M": MB, "G": 1024 * MB}.get(raw[-1].upper(), 1)
    try:
        return int(float(raw[:-1] if factor != 1 else raw) * factor)
    except ValueError:
        raise ValueError(f"COMPENDIUM_{name}={raw!r} is not a whole number (with an optional K, M or G)") from None


def size_text(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB else f"{n} bytes"


# defaults: generous for real studies, small enough that a hostile file is refused
# before it can take more than a few hundred megabytes of memory
LIMITS = {
    "MAX_YAML_BYTES": 4 * MB,  # params.yaml, dataset.yaml, codebook.yaml, a source's front matter
    "MAX_YAML_ALIASES": 100,  # YAML aliases (*name) in one document
    "MAX_YAML_NODES": 200_000,  # nodes of a YAML document once its aliases are expanded
    "MAX_CSV_BYTES": 64 * MB,  # one CSV under data/raw/
    "MAX_SOURCE_BYTES": 16 * MB,  # one source file under data/raw/sources/
    "MAX_SOURCES_BYTES": 64 * MB,  # all of data/raw/sources/ together
    "MAX_ERRORS_PER_RULE": 20,  # violations listed for one rule in one column; the rest are counted
}


def get_limit(name: str) -> int:
    return limit(name, LIMITS[name])


class YamlLimitError(ValueError):
    """A YAML document exceeds a limit (size, aliases, expanded nodes)."""


def _expanded_size(root, max_nodes: int, label: str) -> int:
    """Number of nodes in a composed YAML graph with every alias expanded (shared
    nodes counted each time they are used); stops as soon as ``max_nodes`` is passed."""
    memo: dict[int, int] = {}
    active: set[int] = set()

    def size(node) -> int:
        key = id(node)
        if key in memo:
            return memo[key]
        if key in active:
            raise YamlLimitError(
                f"{label}: a YAML alias refers to the node that contains it (a recursive "
                "structure); this is not allowed"
            )
        active.add(key)
        total = 1
        if isinstance(node.value, list):
            for item in node.value:
                for part in item if isinstance(item, tuple) else (item,):
                    total += size(part)
                    if total > max_nodes:
                        break
                if total > max_nodes:
                    break
        active.discard(key)
        memo[key] = min(total, max_nodes + 1)
        return memo[key]

    return size(root)


def load_yaml(text: str, label: str, *, strings: bool = False) -> Any:
    """Parse one YAML document with limits: at most ``MAX_YAML_BYTES`` of text,
    ``MAX_YAML_ALIASES`` aliases and ``MAX_YAML_NODES`` nodes once aliases are expanded
    (so an alias bomb, "billion laughs", is refused instead of hanging). ``strings``
    reads every scalar as text (YAML's base loader). Raises :class:`YamlLimitError`
    naming the file and the limit, or ``yaml.YAMLError`` for a syntax error."""
    max_bytes = get_limit("MAX_YAML_BYTES")
    if len(text) > max_bytes:  # characters; at least as many bytes
        raise YamlLimitError(
            f"{label}: {size_text(len(text))} of YAML is more than the limit of "
            f"{size_text(max_bytes)} (set COMPENDIUM_MAX_YAML_BYTES to raise it)"
        )
    if "\x00" in text:
        raise YamlLimitError(f"{label}: holds a NUL character (byte 0), which a text file may not")
    base = yaml.BaseLoader if strings else yaml.SafeLoader
    max_aliases, max_nodes = get_limit("MAX_YAML_ALIASES"), get_limit("MAX_YAML_NODES")

    class Loader(base):  # type: ignore[misc, valid-type]
        aliases = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                Loader.aliases += 1
                if Loader.aliases > max_aliases:
                    mark = self.peek_event().start_mark
                    raise YamlLimitError(
                        f"{label}: line {mark.line + 1}: more than {max_aliases} YAML aliases "
                        "(set COMPENDIUM_MAX_YAML_ALIASES to raise the limit)"
                    )
            return super().compose_node(parent, index)

    loader = Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if Loader.aliases and _expanded_size(node, max_nodes, label) > max_nodes:
            raise YamlLimitError(
                f"{label}: the YAML expands to more than {max_nodes} values once its aliases "
                "are followed (an alias bomb?); set COMPENDIUM_MAX_YAML_NODES to raise the limit"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml_file(path: Path, label: str | None = None, *, strings: bool = False) -> Any:
    """:func:`load_yaml` on a file, refusing it before reading when it is too large.
    Every problem is a ``ValueError`` naming the file (syntax errors with their line)."""
    label = label or str(path)
    max_bytes = get_limit("MAX_YAML_BYTES")
    size = path.stat().st_size
    if size > max_bytes:
        raise YamlLimitError(
            f"{label}: {size_text(size)} of YAML is more than the limit of {size_text(max_bytes)} "
            "(set COMPENDIUM_MAX_YAML_BYTES to raise it)"
        )
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{label}: not valid UTF-8 text (byte {exc.start})") from None
    try:
        return load_yaml(text, label, strings=strings)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ValueError(f"{label}: {where}not valid YAML: {getattr(exc, 'problem', None) or exc}") from None


def load_params(path: str | Path | None = None) -> dict[str, Any]:
    """The parsed ``params.yaml`` (an empty mapping when there is none), read with the
    limits of :func:`load_yaml`."""
    p = paths.resolve(path) if path else paths.project_root() / "params.yaml"
    if not p.is_file():
        return {}
    data = read_yaml_file(p, paths.relative(p)) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{paths.relative(p)}: expected a mapping at the top level")
    return data


def given_arms(control: str | None, intervention: str | None) -> Arms | None:
    """The arm labels set in params.yaml, or None when both are left empty (then the
    data's ``dataset.yaml`` or the contract's default names them)."""
    if not (control or intervention):
        return None
    return Arms(str(control or ""), str(intervention or ""))


def arms_from(params: dict[str, Any]) -> Arms | None:
    a = params.get("arms", {}) or {}
    return given_arms(a.get("control"), a.get("intervention"))
