"""The provider packages, one per openapi/*-python.yaml: where they are and how they import."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
# The providers' doc pages, beside the checkout (CI has them; a plain clone may not).
REFERENCE = REPO_ROOT.parent / "shared" / "reference"


def reference_page(name: str) -> str:
    """A doc page of REFERENCE; skips the calling test when the pages are not there."""
    if not REFERENCE.is_dir():
        import pytest

        pytest.skip(f"no provider doc pages to compare with: {REFERENCE} is absent")
    return (REFERENCE / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Provider:
    name: str  # as in openapi/<name>.yaml and tests/mock_servers.PROVIDERS
    package: str  # the import name the provider documents
    folder: str  # generated/<folder>
    reference_doc: str  # the provider's doc page in ../shared/reference
    token_path: str  # the token operation's path in the spec

    @property
    def host_variable(self) -> str:
        """Environment variable that sets the default host of Configuration()."""
        return f"{self.package.upper()}_HOST"

    @property
    def generated(self) -> Path:
        return REPO_ROOT / "generated" / self.folder

    @property
    def module(self) -> ModuleType:
        """The installed package."""
        return importlib.import_module(self.package)


def _from_config(config_path: Path) -> Provider:
    """The provider a generator config describes; the doc page is named after its API page."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    spec_path = REPO_ROOT / config["inputSpec"]
    (token_path,) = yaml.safe_load(spec_path.read_text(encoding="utf-8"))["paths"]
    generated = REPO_ROOT / config["outputDir"]
    (api_page,) = (page.name for page in (generated / "docs").glob("*Api.md"))
    return Provider(
        spec_path.stem,
        config["additionalProperties"]["packageName"],
        generated.name,
        f"{generated.name}-python-{api_page}",
        token_path,
    )


# One per openapi/*-python.yaml.
PROVIDERS = tuple(
    _from_config(path) for path in sorted((REPO_ROOT / "openapi").glob("*-python.yaml"))
)
BY_NAME = {provider.name: provider for provider in PROVIDERS}
#: Provider name -> installed package, and -> token path.
PACKAGES = {provider.name: provider.module for provider in PROVIDERS}
TOKEN_PATHS = {provider.name: provider.token_path for provider in PROVIDERS}
