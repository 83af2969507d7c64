"""Parameters of the analysis, read from ``params.yaml``, and input limits.

:data:`SCHEMA` is the one place where every parameter is declared: its default, its
type and the values it may take. ``params.yaml`` holds exactly these keys (a test
checks that the shipped file holds exactly these defaults); :func:`check_params`
refuses an unknown key, a missing one or a bad value with a message that names the
key, the value and what is allowed. ``compendium reproduce`` checks the file before
any stage runs, and every stage notebook reads its parameters through
:func:`notebook_parameters` / :func:`param`, which check it again (so a plain
``dvc repro`` is refused as early).
"""

from __future__ import annotations

import difflib
import math
import os
from dataclasses import dataclass, field
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
    cc_min_change: float = field(default_factory=lambda: default("outcomes.cc_min_change"))
    support_min_mean: float = field(default_factory=lambda: default("outcomes.support_min_mean"))


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


# --------------------------------------------------------------------------- parameters


class ParamsError(ValueError):
    """``params.yaml`` holds an unknown key, lacks one, or gives a value that is not allowed."""


@dataclass(frozen=True)
class Param:
    """One parameter of ``params.yaml``: its default and the values it may take.

    ``kind`` is ``number`` (an integer or a decimal), ``integer``, ``boolean``, ``text``
    or ``list`` (a YAML list of text). ``low`` / ``high`` bound a number (exclusive when
    ``low_open`` / ``high_open``); ``choices`` lists the only values allowed;
    ``required`` refuses empty text."""

    default: Any
    kind: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] | None = None
    required: bool = False

    def allowed(self) -> str:
        """What may be written, in words (for error messages and the README)."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind == "boolean":
            return "true or false"
        if self.kind == "list":
            return "a YAML list of text, such as [a, b] ([] for none)"
        if self.kind == "text":
            return "text (non-empty)" if self.required else 'text (may be empty: "")'
        noun = "a whole number" if self.kind == "integer" else "a number"
        bounds = []
        if self.low is not None:
            bounds.append(f"{'greater than' if self.low_open else 'at least'} {self.low:g}")
        if self.high is not None:
            bounds.append(f"{'less than' if self.high_open else 'at most'} {self.high:g}")
        return noun + (" " + " and ".join(bounds) if bounds else "")

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not allowed, or None when it is."""
        kind = self.kind
        if kind == "boolean":
            return None if isinstance(value, bool) else "not true or false"
        if kind == "text":
            if not isinstance(value, str):
                return f"{_yaml_type(value)}, not text (put it in quotes)"
            if self.required and not value.strip():
                return "empty"
            if self.choices and value not in self.choices:
                return "not a value this parameter takes"
            return None
        if kind == "list":
            if isinstance(value, str):
                return "text, not a YAML list (write [a, b] rather than a, b)"
            if not isinstance(value, list):
                return f"{_yaml_type(value)}, not a YAML list"
            bad = [item for item in value if not isinstance(item, str) or not item.strip()]
            if bad:
                return f"holds {bad[0]!r}, which is not non-empty text"
            twice = sorted({item for item in value if value.count(item) > 1})
            return f"lists {twice[0]!r} twice" if twice else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{_yaml_type(value)}, not a number"
        if kind == "integer" and not isinstance(value, int):
            return "not a whole number"
        if not math.isfinite(value):
            return "not a finite number"
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return "out of range"
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            return "out of range"
        return None


def _yaml_type(value: Any) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


# The four outcomes are fixed by the data contract (compendium.data.contract.OUTCOME_NAMES;
# a test checks that both agree: this lower layer cannot import it).
_OUTCOMES = ("increased_cultural_competence", "active_participation", "leadership_role", "perceived_support")
_PROBABILITY: dict[str, Any] = {"low": 0.0, "high": 1.0, "low_open": True, "high_open": True}
_KAPPA: dict[str, Any] = {"low": -1.0, "high": 1.0}

#: Every parameter of params.yaml, by dotted key, in the file's order. The defaults are
#: the values params.yaml ships with; what each one means is written beside it there.
SCHEMA: dict[str, Param] = {
    "data.raw_dir": Param("data/raw", "text", required=True),
    "arms.control": Param("", "text"),
    "arms.intervention": Param("", "text"),
    "qualitative.consensus_coder": Param("", "text"),
    "outcomes.primary": Param("leadership_role", "text", choices=_OUTCOMES),
    "outcomes.cc_min_change": Param(0.5, "number"),
    "outcomes.support_min_mean": Param(4.0, "number"),
    "outcomes.min_expected": Param(5, "number", low=0.0),
    "outcomes.ci_level": Param(0.95, "number", **_PROBABILITY),
    "privacy.min_cell": Param(5, "integer", low=1),
    "effects.covariates": Param(["previous_activism", "gender", "age"], "list"),
    "effects.adjust_baseline": Param(True, "boolean"),
    "effects.stratum": Param("previous_activism", "text", required=True),
    "effects.power_alpha": Param(0.05, "number", **_PROBABILITY),
    "effects.power_min_difference": Param(15, "number", low=0.0, high=100.0, low_open=True, high_open=True),
    "deidentify.names": Param([], "list"),
    "deidentify.institutions": Param([], "list"),
    "agreement.kappa_threshold": Param(0.6, "number", **_KAPPA),
    "agreement.bootstrap_replicates": Param(1000, "integer", low=1),
    "agreement.bootstrap_seed": Param(20251026, "integer", low=0),
    "themes.quotes_per_code": Param(2, "integer", low=1),
    "qda.project_name": Param("", "text"),
    "verification.published": Param("data/reference/published.yaml", "text", required=True),
    "verification.references": Param("data/reference/published-references.bib", "text", required=True),
    "integration.framework_alpha": Param(0.05, "number", **_PROBABILITY),
    "integration.convergent_kappa": Param(0.4, "number", **_KAPPA),
    "integration.dissonant_kappa": Param(0.0, "number", **_KAPPA),
    "integration.min_learners": Param(10, "integer", low=1),
    "replication.alpha": Param(0.05, "number", **_PROBABILITY),
    "replication.telescope_power": Param(0.33, "number", **_PROBABILITY),
    "replication.plan_sha256": Param("", "text"),
    "consortium.sites": Param([], "list"),
}

# A stage notebook's parameter is named by the last part of its key (ci_level for
# outcomes.ci_level), so those names must not repeat.
_BY_NAME = {key.rsplit(".", 1)[1]: key for key in SCHEMA}
assert len(_BY_NAME) == len(SCHEMA), "two parameters of SCHEMA share a name"


def default(key: str) -> Any:
    """The default of one parameter (a fresh copy of a list)."""
    value = SCHEMA[key].default
    return list(value) if isinstance(value, list) else value


def defaults() -> dict[str, dict[str, Any]]:
    """Every parameter at its default, nested as in params.yaml."""
    out: dict[str, dict[str, Any]] = {}
    for key in SCHEMA:
        section, name = key.split(".")
        out.setdefault(section, {})[name] = default(key)
    return out


def _cross_problems(params: dict[str, dict[str, Any]]) -> list[str]:
    """Rules between parameters."""
    problems = []
    arms = params.get("arms", {})
    control, intervention = arms.get("control"), arms.get("intervention")
    if isinstance(control, str) and isinstance(intervention, str):
        if bool(control) != bool(intervention):
            problems.append(
                f"arms.control = {control!r} and arms.intervention = {intervention!r}: "
                "allowed: both labels set, or both empty (then the data name the arms)"
            )
        elif control and control == intervention:
            problems.append(f"arms.control and arms.intervention are both {control!r}: allowed: two different labels")
    mixed = params.get("integration", {})
    conv, diss = mixed.get("convergent_kappa"), mixed.get("dissonant_kappa")
    if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (conv, diss)) and not diss < conv:  # type: ignore[operator]  # both numbers here
        problems.append(
            f"integration.dissonant_kappa = {diss!r} is not below integration.convergent_kappa = {conv!r}: "
            "allowed: dissonant_kappa less than convergent_kappa"
        )
    return problems


def check_params(data: Any, label: str = "params.yaml") -> dict[str, dict[str, Any]]:
    """``data`` (parsed params.yaml) checked against :data:`SCHEMA`: every key known,
    none missing, every value of its type and in its range. Returns it as a nested
    mapping; raises :class:`ParamsError` listing every problem, each naming the key,
    the value and what is allowed."""
    if not isinstance(data, dict):
        raise ParamsError(f"{label}: expected a mapping of sections (data:, outcomes:, ...), found {_yaml_type(data)}")
    sections = {key.split(".")[0] for key in SCHEMA}
    problems: list[str] = []
    for section, body in data.items():
        if section not in sections:
            hint = difflib.get_close_matches(str(section), sorted(sections), n=1)
            problems.append(
                f"{section}: not a section of the parameters"
                + (f" (did you mean {hint[0]}?)" if hint else f"; allowed: {', '.join(sorted(sections))}")
            )
        elif not isinstance(body, dict):
            problems.append(f"{section}: {_yaml_type(body)}; allowed: a mapping of its parameters (key: value)")
        else:
            names = [key.split(".")[1] for key in SCHEMA if key.startswith(section + ".")]
            for name in body:
                if name not in names:
                    hint = difflib.get_close_matches(str(name), names, n=1)
                    problems.append(
                        f"{section}.{name}: not a parameter"
                        + (f" (did you mean {section}.{hint[0]}?)" if hint else f"; {section} has: {', '.join(names)}")
                    )
    out: dict[str, dict[str, Any]] = {}
    for key, spec in SCHEMA.items():
        section, name = key.split(".")
        body = data.get(section)
        if not isinstance(body, dict):
            if section not in data:
                problems.append(f"{key}: missing (its default is {spec.default!r})")
            continue
        if name not in body:
            problems.append(f"{key}: missing (its default is {spec.default!r})")
            continue
        value = body[name]
        why = spec.problem(value)
        if why:
            problems.append(f"{key} = {value!r}: {why}; allowed: {spec.allowed()}")
        out.setdefault(section, {})[name] = value
    if not problems:
        problems = _cross_problems(out)
    if problems:
        unique = list(dict.fromkeys(problems))
        if len(unique) == 1:
            raise ParamsError(f"{label}: {unique[0]}")
        raise ParamsError(f"{label}: {len(unique)} problems:\n" + "\n".join(f"  - {p}" for p in unique))
    return out


_CHECKED: dict[tuple, dict[str, dict[str, Any]]] = {}


def read_params(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """``params.yaml`` (default: the project's), read with the limits of :func:`load_yaml`
    and checked by :func:`check_params`. A missing file is an error."""
    p = paths.resolve(path) if path else paths.project_root() / "params.yaml"
    label = paths.relative(p)
    if not p.is_file():
        raise ParamsError(f"{label}: not found (the analysis parameters; see README, Parameters)")
    st = p.stat()
    stamp = (str(p), st.st_mtime_ns, st.st_size)
    if stamp not in _CHECKED:
        _CHECKED.clear()
        _CHECKED[stamp] = check_params(read_yaml_file(p, label), label)
    return {section: dict(body) for section, body in _CHECKED[stamp].items()}


def param(key: str, params: dict[str, dict[str, Any]] | None = None) -> Any:
    """One checked parameter by its dotted key (``outcomes.ci_level``); lists are
    returned as new lists."""
    if key not in SCHEMA:
        raise KeyError(f"{key} is not a parameter of params.yaml")
    section, name = key.split(".")
    value = (params or read_params())[section][name]
    return list(value) if isinstance(value, list) else value


def stage_keys(selection: list[str]) -> list[str]:
    """The parameters that ``selection`` names: whole sections (``effects``) or single
    keys (``outcomes.ci_level``), as dvc.yaml's ``params:`` lists them."""
    keys: list[str] = []
    for item in selection:
        found = [k for k in SCHEMA if k == item or k.startswith(item + ".")]
        if not found:
            raise ParamsError(f"params.yaml: {item} is neither a section nor a parameter")
        keys += [k for k in found if k not in keys]
    return keys


def notebook_parameters(selection: list[str], params: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The values a stage notebook receives for ``selection`` (see :func:`stage_keys`),
    named by the last part of their keys (``ci_level``), from the checked params.yaml."""
    params = params if params is not None else read_params()
    return {key.rsplit(".", 1)[1]: param(key, params) for key in stage_keys(selection)}


def level_label(level: float) -> str:
    """A confidence level as printed beside an interval: 0.95 -> ``95%``, 0.975 -> ``97.5%``."""
    return f"{round(100 * float(level), 6):g}%"
