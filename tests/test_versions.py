"""Each package's version lives in one place, its generator config, beside its changelog.

A config's ``packageVersion`` (Python) or ``projectVersion`` (Node) is the version, and its
``changes`` list, newest first, becomes the package's CHANGELOG.md. A bump without a
changelog entry, or an entry for a version the config does not set, fails here. The
top-level setup.py (the ``tokenworks`` distribution, no code) requires every Python
package at its config's version, read without a YAML parser: checked against one here.
"""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path
from typing import Any

import pytest
import tomllib
import yaml
from providers import REPO_ROOT

CONFIGS = sorted((REPO_ROOT / "openapi").glob("*-python.yaml"))
CONFIGS += sorted((REPO_ROOT / "openapi").glob("*-node.yaml"))
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")


def settings(config: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(config.read_text(encoding="utf-8"))
    return dict(data["additionalProperties"])


def version_of(config: Path) -> str:
    values = settings(config)
    return str(values["projectVersion" if config.stem.endswith("-node") else "packageVersion"])


def key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@pytest.mark.parametrize("config", CONFIGS, ids=lambda path: path.name)
def test_the_changelog_starts_at_the_version(config: Path) -> None:
    version = version_of(config)
    changes = settings(config)["changes"]
    versions = [str(change["version"]) for change in changes]
    assert SEMVER.fullmatch(version), f"{version!r} is not MAJOR.MINOR.PATCH"
    assert all(SEMVER.fullmatch(v) for v in versions), versions
    assert versions[0] == version, "the newest changes entry must be the config's version"
    assert versions == sorted(set(versions), key=key, reverse=True), "newest first, each once"
    for change in changes:
        notes = change.get("notes")
        assert notes and all(isinstance(note, str) and note for note in notes), change


@pytest.mark.parametrize("config", CONFIGS, ids=lambda path: path.name)
def test_the_package_carries_the_configs_version(config: Path) -> None:
    version = version_of(config)
    folder = REPO_ROOT / yaml.safe_load(config.read_text(encoding="utf-8"))["outputDir"]
    headings = re.findall(r"^## (\S+)$", (folder / "CHANGELOG.md").read_text(encoding="utf-8"), re.MULTILINE)
    assert headings == [str(change["version"]) for change in settings(config)["changes"]]
    if (folder / "package.json").is_file():
        manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
        assert manifest["version"] == version
    else:
        project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
        assert project["project"]["version"] == version
    assert (folder / "LICENSE").read_bytes() == (REPO_ROOT / "LICENSE").read_bytes()


def test_the_top_level_distribution_requires_every_python_package() -> None:
    setup = runpy.run_path(str(REPO_ROOT / "setup.py"), run_name="tokenworks_setup")
    metadata = setup["metadata"]()
    expected = []
    for config in CONFIGS:
        if config.stem.endswith("-python"):
            name = settings(config)["projectName"]
            version = version_of(config)
            expected.append(f"{name}>={version},<{key(version)[0] + 1}")
    assert expected
    assert sorted(metadata["install_requires"]) == sorted(expected)
    assert metadata["packages"] == [] and metadata["py_modules"] == []
    assert SEMVER.fullmatch(metadata["version"])


def package_names(config: Path) -> set[str]:
    values = settings(config)
    return {str(values[name]) for name in ("packageName", "projectName") if name in values}


@pytest.mark.parametrize("config", CONFIGS, ids=lambda path: path.name)
def test_the_changelog_names_no_other_providers_package(config: Path) -> None:
    """A config copied for a new provider keeps the old one's notes unless they are
    rewritten: notes naming another provider's package describe that package."""
    spec = yaml.safe_load(config.read_text(encoding="utf-8"))["inputSpec"]
    others = set().union(
        *(
            package_names(other)
            for other in CONFIGS
            if yaml.safe_load(other.read_text(encoding="utf-8"))["inputSpec"] != spec
        )
    )
    notes = " ".join(note for change in settings(config)["changes"] for note in change["notes"])
    named = sorted(name for name in others if re.search(rf"\b{re.escape(name)}\b", notes))
    assert named == [], f"{config.name}'s changes name {named}"
