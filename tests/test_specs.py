"""Every OpenAPI spec of the suite is valid OpenAPI: the providers' and the probe's.

openapi-spec-validator checks each against the OpenAPI 3.0 schema and its rules (unique
operation ids, resolvable $refs, parameters that match the path...), which the generator
and Prism would otherwise accept or reject with less telling messages.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import OpenAPIV30SpecValidator
from providers import REPO_ROOT

# openapi/*.yaml holds the specs and the generator configs beside them.
CONFIG_PATTERNS = ("*-python.yaml", "*-node.yaml", "python-common.yaml")
CONFIGS = {path for pattern in CONFIG_PATTERNS for path in (REPO_ROOT / "openapi").glob(pattern)}
SPECS = sorted(set((REPO_ROOT / "openapi").glob("*.yaml")) - CONFIGS)
SPECS += sorted((REPO_ROOT / "tests" / "specs").glob("*.yaml"))


def test_the_suite_has_the_specs_of_the_configs() -> None:
    """Every spec a generator config names is one of those validated here."""
    named = set()
    for config in CONFIGS:
        spec = yaml.safe_load(config.read_text(encoding="utf-8")).get("inputSpec")
        if spec:
            named.add(REPO_ROOT / spec)
    assert named, "no generator config names a spec"
    assert named <= set(SPECS)


@pytest.mark.parametrize("path", SPECS, ids=lambda path: path.relative_to(REPO_ROOT).as_posix())
def test_spec_is_valid_openapi_3_0(path: Path) -> None:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert str(spec.get("openapi", "")).startswith("3.0."), "not an OpenAPI 3.0 document"
    errors = [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in OpenAPIV30SpecValidator(spec, base_uri=path.as_uri()).iter_errors()
    ]
    assert not errors, "\n".join(errors)
