"""``pip install .`` here installs ``tokenworks``, which holds no code: it requires the
provider distributions that generated/ holds (one per ``openapi/*-python.yaml``).

Each provider's distribution ships its own import package, so nothing is installed twice
and uninstalling one provider cannot break another. pip finds them on the index they are
published to, or in dist/ after ``make dist``: ``pip install --find-links dist .``
"""

from __future__ import annotations

import re
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
OPENAPI = ROOT / "openapi"
# This distribution's own version: bumped by the rule in README.md ("Versions and
# changelogs") whenever the requirements below change.
VERSION = "1.1.0"


def setting(config: Path, key: str) -> str:
    """The value of a ``key: value`` line of a generator config (no YAML parser at build time)."""
    text = config.read_text(encoding="utf-8")
    match = re.search(rf"^\s*{key}:\s*['\"]?([^'\"\s#]+)", text, re.MULTILINE)
    if match is None:
        raise SystemExit(f"{config.relative_to(ROOT)} sets no {key}")
    return match.group(1)


def providers() -> list[tuple[str, str, str]]:
    """(distribution, version, import name) of each generated Python package."""
    configs = sorted(OPENAPI.glob("*-python.yaml"))
    if not configs:
        raise SystemExit(f"no generator configs in {OPENAPI}")
    keys = ("projectName", "packageVersion", "packageName")
    return [(setting(c, keys[0]), setting(c, keys[1]), setting(c, keys[2])) for c in configs]


def requirement(distribution: str, version: str) -> str:
    """This version or any later one with the same major version."""
    major = int(version.split(".", 1)[0])
    return f"{distribution}>={version},<{major + 1}"


def metadata() -> dict[str, object]:
    """The arguments of setup(): read from the configs when the distribution is built."""
    found = providers()
    common = OPENAPI / "python-common.yaml"
    repository = "https://{}/{}/{}".format(
        *(setting(common, key) for key in ("gitHost", "gitUserId", "gitRepoId"))
    )
    rows = "\n".join(f"| `{dist}` | `{package}` |" for dist, _, package in found)
    long_description = f"""# tokenworks

OAuth token clients generated from OpenAPI specs, one distribution per provider, each
with the public API the provider documents. This distribution has no code: it installs
all of them.

| Distribution | Import |
|---|---|
{rows}

Each also installs on its own; each needs only urllib3 2.x on Python 3.9 or newer.
Sources, documentation and changelogs: <{repository}>.
"""
    return {
        "name": "tokenworks",
        "version": VERSION,
        "description": "Every tokenworks OAuth token client in one install",
        "long_description": long_description,
        "long_description_content_type": "text/markdown",
        "license_expression": "Apache-2.0",
        "license_files": ["LICENSE"],
        "url": repository,
        "project_urls": {"Source": repository, "Issues": f"{repository}/issues"},
        "python_requires": ">=3.9",
        "install_requires": [requirement(dist, version) for dist, version, _ in found],
        "packages": [],
        "py_modules": [],
        "classifiers": [
            "Intended Audience :: Developers",
            "Operating System :: OS Independent",
            "Programming Language :: Python :: 3 :: Only",
            "Programming Language :: Python :: 3.9",
            "Programming Language :: Python :: 3.10",
            "Programming Language :: Python :: 3.11",
            "Programming Language :: Python :: 3.12",
            "Programming Language :: Python :: 3.13",
        ],
    }


if __name__ == "__main__":  # as pip and build run it; tests import it
    setup(**metadata())
