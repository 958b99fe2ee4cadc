"""The provider packages, one per openapi/*-python.yaml: where they are and how they import."""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The providers' doc pages: ../shared/reference, or $TOKENWORKS_REFERENCE when the
#: checkout lives elsewhere (a git worktree); tests that read them skip without them.
REFERENCE = Path(
    os.environ.get("TOKENWORKS_REFERENCE") or REPO_ROOT.parent / "shared" / "reference"
)
#: Zuora client ids are exactly 36 characters: tests' Zuora calls use ids of that shape.
ZUORA_CLIENT_ID = "5b1e8c4a-2f3d-4a6b-9c7e-1d0f2a3b4c5d"


def reference_page(name: str) -> str:
    """A doc page of REFERENCE; skips the calling test when the pages are not there."""
    path = REFERENCE / name
    if not path.is_file():
        pytest.skip(f"no provider doc pages to compare with: {path} is absent")
    return path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Provider:
    name: str  # as in openapi/<name>.yaml and tests/mock_servers.PROVIDERS
    package: str  # the import name the provider documents
    folder: str  # generated/<folder>
    reference_doc: str  # the provider's doc page in ../shared/reference
    token_path: str  # the token operation's path in the spec
    root: Path = REPO_ROOT  # the checkout whose openapi/ and generated/ it lives in

    @property
    def host_variable(self) -> str:
        """Environment variable that sets the default host of Configuration()."""
        return f"{self.package.upper()}_HOST"

    @property
    def generated(self) -> Path:
        return self.root / "generated" / self.folder

    @property
    def module(self) -> ModuleType:
        """The installed package."""
        return importlib.import_module(self.package)


def _from_config(config_path: Path, root: Path = REPO_ROOT) -> Provider:
    """The provider a generator config describes; the doc page is named after its API page."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    spec_path = root / config["inputSpec"]
    (token_path,) = yaml.safe_load(spec_path.read_text(encoding="utf-8"))["paths"]
    generated = root / config["outputDir"]
    (api_page,) = (page.name for page in (generated / "docs").glob("*Api.md"))
    return Provider(
        spec_path.stem,
        config["additionalProperties"]["packageName"],
        generated.name,
        f"{generated.name}-python-{api_page}",
        token_path,
        root,
    )


def discover(root: Path = REPO_ROOT) -> tuple[Provider, ...]:
    """One provider per ``<root>/openapi/*-python.yaml``, once its package is generated."""
    return tuple(
        _from_config(path, root) for path in sorted((root / "openapi").glob("*-python.yaml"))
    )


PROVIDERS = discover()
BY_NAME = {provider.name: provider for provider in PROVIDERS}
#: Provider name -> installed package, and -> token path.
PACKAGES = {provider.name: provider.module for provider in PROVIDERS}
TOKEN_PATHS = {provider.name: provider.token_path for provider in PROVIDERS}


def doc_page(provider: str) -> str:
    """The provider's own doc page of its token operation (see reference_page)."""
    return reference_page(BY_NAME[provider].reference_doc)


def doc_example(provider: str) -> str:
    """The Python example of the provider's doc page, as written."""
    match = re.search(r"```python\n(.*?)```", doc_page(provider), re.DOTALL)
    assert match, f"no python example in {BY_NAME[provider].reference_doc}"
    return match.group(1)
