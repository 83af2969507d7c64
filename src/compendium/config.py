"""Parameters of the analysis, read from ``params.yaml``.

Stages receive their parameters from papermill (``-p``); this module supplies the
same defaults so that the package, the command line and the notebooks agree when a
value is not given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import paths


@dataclass(frozen=True)
class Arms:
    control: str = "control"
    intervention: str = "intervention"

    def __post_init__(self) -> None:
        if not self.control or not self.intervention:
            raise ValueError("both arm labels must be non-empty")
        if self.control == self.intervention:
            raise ValueError(
                f"the two arm labels must differ, both are {self.control!r}"
            )

    @property
    def labels(self) -> tuple[str, str]:
        return (self.control, self.intervention)


@dataclass(frozen=True)
class OutcomeRules:
    cc_min_change: float = 0.5
    support_min_mean: float = 4.0


def load_params(path: str | Path | None = None) -> dict[str, Any]:
    """The parsed ``params.yaml`` (an empty mapping when there is none)."""
    p = paths.resolve(path) if path else paths.project_root() / "params.yaml"
    if not p.is_file():
        return {}
    with p.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
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
