"""The four provider packages: where they are generated and how they are imported."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

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


PROVIDERS = (
    Provider(
        "cybersource",
        "CyberSource",
        "cybersource",
        "cybersource-python-OAuthApi.md",
        "/oauth2/v3/token",
    ),
    Provider(
        "pandadoc",
        "pandadoc_client",
        "pandadoc",
        "pandadoc-python-OAuth20AuthenticationApi.md",
        "/oauth2/access_token",
    ),
    Provider(
        "criteo",
        "criteo_api_retailmedia_v2022_10",
        "criteo-retailmedia-v2022-10",
        "criteo-retailmedia-v2022-10-python-OAuthApi.md",
        "/oauth2/token",
    ),
    Provider("zuora", "zuora_client", "zuora", "zuora-python-OAuthApi.md", "/oauth/token"),
)
BY_NAME = {provider.name: provider for provider in PROVIDERS}
#: Provider name -> installed package, and -> token path.
PACKAGES = {provider.name: provider.module for provider in PROVIDERS}
TOKEN_PATHS = {provider.name: provider.token_path for provider in PROVIDERS}
