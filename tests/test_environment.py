"""environment.yml, pyproject.toml and requirements.lock describe one environment."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name


@pytest.fixture(scope="module")
def lock(root) -> dict[str, str]:
    pins = {}
    for line in (root / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        assert m, f"requirements.lock: {line!r} is not pinned to an exact version"
        pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


@pytest.fixture(scope="module")
def project(root) -> dict:
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]


def test_every_declared_dependency_is_pinned_compatibly(lock, project):
    declared = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    for spec in declared:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in lock, f"{req.name} is declared in pyproject.toml but missing from requirements.lock"
        assert req.specifier.contains(lock[name], prereleases=True), (
            f"requirements.lock pins {req.name}=={lock[name]}, outside pyproject.toml's {req.specifier}"
        )


def test_lock_is_closed_under_dependencies(lock):
    """Every requirement of every locked package is itself locked (checked against
    the installed metadata of the environment the tests run in)."""
    env = {"extra": ""}
    missing = []
    for name in lock:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(f"{name} (locked but not installed)")
            continue
        for raw in dist.requires or []:
            req = Requirement(raw)
            if req.marker and not req.marker.evaluate(env):
                continue
            if canonicalize_name(req.name) not in lock:
                missing.append(f"{req.name} (needed by {name})")
    assert not missing, "requirements.lock is incomplete: " + ", ".join(sorted(set(missing)))


def test_installed_versions_are_the_locked_ones(lock):
    wrong = {n: (v, metadata.version(n)) for n, v in lock.items() if metadata.version(n) != v}
    assert not wrong, f"installed versions differ from the lock: {wrong}"


def test_every_locked_package_runs_on_every_python_the_project_accepts(lock, project):
    """pyproject.toml accepts any Python 3.11; a pin that needs a later patch release
    (soupsieve 4.1.3 needs 3.11.5) stops `make setup` on a machine whose Python is older,
    such as Debian 12's 3.11.2. Read from each installed package's Requires-Python."""
    accepted = SpecifierSet(project["requires-python"])
    oldest = next(f"{m}.0" for m in ("3.11", "3.12") if f"{m}.0" in accepted)
    too_new = {}
    for name in lock:
        needs = metadata.metadata(name).get("Requires-Python")
        if needs and not SpecifierSet(needs).contains(oldest):
            too_new[name] = needs
    assert not too_new, f"requirements.lock pins packages that do not run on Python {oldest}: {too_new}"


def test_environment_yml_uses_the_lock_and_the_python_pin(root, project):
    env = yaml.safe_load((root / "environment.yml").read_text())
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python="))
    version = python.split("=", 1)[1]
    assert SpecifierSet(project["requires-python"]).contains(version + ".0"), (
        f"environment.yml pins python={version}, outside pyproject.toml's requires-python"
    )
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert "-r requirements.lock" in pip
    assert "-e ." in pip
    assert "pip" in deps


def test_the_console_command_is_declared(project):
    assert project["scripts"]["compendium"] == "compendium.cli:main"
