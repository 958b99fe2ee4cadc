"""Every Python example in the generated READMEs and docs runs, as a user would run it.

Each ```python block of ``generated/<folder>/README.md`` and
``generated/<folder>/docs/*.md`` runs in a subprocess, in an empty directory,
against the installed package and the provider's Prism mock: the default host
environment variable points at the mock, and the spec's server URL written in
the example (``Configuration(host=...)``) is replaced by the mock's URL.

Every block must exit with 0. A block that calls the API (it catches
``<package>.ApiException``) must also print the access token of the spec's
200 example: a caught ApiException also exits with 0, so this is what shows
the call succeeded.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from generation import run_example
from mock_servers import PrismServer, spec_path
from providers import PROVIDERS, REPO_ROOT, Provider

PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def doc_pages(provider: Provider) -> list[Path]:
    """The README and the docs/*.md pages of a generated package."""
    root = provider.generated
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def python_blocks(page: Path) -> list[str]:
    if not page.is_file():
        return []
    return PYTHON_BLOCK.findall(page.read_text(encoding="utf-8"))


NOWHERE = "http://127.0.0.1:9"


def calls_api(provider: Provider, code: str) -> bool:
    return f"except {provider.package}.ApiException" in code


def prints_answer(provider: Provider, code: str) -> bool:
    """An example that calls the API and pprints the answer, which must hold the token."""
    return calls_api(provider, code) and "pprint(" in code


def spec(provider: Provider) -> dict[str, Any]:
    with spec_path(provider.name).open(encoding="utf-8") as stream:
        data: dict[str, Any] = yaml.safe_load(stream)
    return data


def default_host(provider: Provider) -> str:
    return str(spec(provider)["servers"][0]["url"])


def example_access_token(provider: Provider) -> str:
    """access_token of the first 200 example in the spec (JSON text examples parsed)."""
    for path_item in spec(provider)["paths"].values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            response = operation.get("responses", {}).get("200", {})
            for media in response.get("content", {}).values():
                example = media.get("example")
                if isinstance(example, str):
                    try:
                        example = json.loads(example)
                    except ValueError:
                        continue
                if isinstance(example, dict) and isinstance(example.get("access_token"), str):
                    return str(example["access_token"])
    raise AssertionError(f"openapi/{provider.name}.yaml has no 200 example with an access_token")


def _cases() -> list[Any]:
    cases = []
    for provider in PROVIDERS:
        for page in doc_pages(provider):
            for index, code in enumerate(python_blocks(page)):
                name = f"{provider.folder}/{page.relative_to(provider.generated)}#{index + 1}"
                cases.append(pytest.param(provider, code, id=name))
    return cases


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_readme_and_api_docs_have_examples(provider: Provider) -> None:
    """The README and every API page show at least one example that calls the API."""
    pages = [provider.generated / "README.md"]
    pages += sorted((provider.generated / "docs").glob("*Api.md"))
    assert len(pages) > 1, f"{provider.generated}/docs has no API page"
    for page in pages:
        blocks = python_blocks(page)
        assert any(calls_api(provider, code) for code in blocks), (
            f"{page}: no example calls the API"
        )


@pytest.mark.parametrize(("provider", "code"), _cases())
def test_example_runs(
    provider: Provider, code: str, prism: dict[str, PrismServer], tmp_path: Path
) -> None:
    url = prism[provider.name].url
    env = {**os.environ, provider.host_variable: url}
    env["TOKENWORKS_CACHE_DIR"] = str(tmp_path / "token-cache")
    result = run_example(code.replace(default_host(provider), url), tmp_path, env)
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, output
    if NOWHERE in code:  # the errors example: a host where nothing listens
        assert "(0) Reason: could not connect" in result.stdout, output
    elif prints_answer(provider, code):
        assert example_access_token(provider) in result.stdout, output


TOP_README = REPO_ROOT / "README.md"


@pytest.mark.parametrize("index", range(len(python_blocks(TOP_README))))
def test_top_level_readme_example_runs(
    index: int, prism: dict[str, PrismServer], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The repository README's Python examples run, each provider's host pointed at its mock,
    a FileTokenStore's default folder in a temporary one, and REDIS_URL at a real Redis."""
    code = python_blocks(TOP_README)[index]
    env = {**os.environ, **{p.host_variable: prism[p.name].url for p in PROVIDERS}}
    env["TOKENWORKS_CACHE_DIR"] = str(tmp_path / "token-cache")
    if "REDIS_URL" in code:
        env["REDIS_URL"] = request.getfixturevalue("redis").url  # conftest.py
    result = run_example(code, tmp_path, env)
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, output
    if NOWHERE in code:
        assert "no token: (0) Reason: could not connect" in result.stdout, output
    else:
        tokens = {example_access_token(provider) for provider in PROVIDERS}
        assert any(token in result.stdout for token in tokens), output


# --- what the providers publish, carried into the docs -------------------------------------


def first_call_section(provider: Provider) -> str:
    readme = (provider.generated / "README.md").read_text(encoding="utf-8")
    assert "\n## Before your first call\n" in readme, f"{provider.folder}/README.md"
    return readme.split("\n## Before your first call\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_readme_names_every_server_and_what_the_provider_requires(provider: Provider) -> None:
    section = first_call_section(provider)
    data = spec(provider)
    before = data["info"].get("x-before-first-call")  # optional (openapi/README.md)
    if before is not None:
        assert before.strip() in section
    servers = data["servers"]
    names = [server["x-name"] for server in servers if "x-name" in server]  # optional too
    assert len(set(names)) == len(names), "server names must be distinct"
    for server in servers:
        if "x-name" not in server:
            assert server["url"] in section, server
            continue
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", server["x-name"]), server
        row = f"| `{server['x-name']}` | {server['url']} | {server['description']} |"
        assert row in section
    assert f"`{provider.host_variable}`" in section
    if len(servers) > 1 and "x-name" in servers[-1]:  # how to pick one by name
        assert f"Configuration(server='{servers[-1]['x-name']}')" in section


def python_names(provider: Provider) -> dict[tuple[str, str], str]:
    """(wire name, location) -> Python name of every parameter, from the installed package's
    Operation tables: the generator's own naming (``entityIds`` -> ``entity_ids``)."""
    names = {}
    api = importlib.import_module(f"{provider.package}.api")
    for info in pkgutil.iter_modules(api.__path__):
        module = importlib.import_module(f"{api.__name__}.{info.name}")
        for value in vars(module).values():
            if type(value).__name__ == "Operation":
                names.update({(p.wire, p.location): p.name for p in value.params})
    return names


def documented_fields(provider: Provider) -> list[tuple[str, dict[str, Any]]]:
    """(documented name, schema) of every parameter, form field and model property."""
    data = spec(provider)
    names = python_names(provider)
    fields: list[tuple[str, dict[str, Any]]] = []
    for path_item in data["paths"].values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                name = names[(parameter["name"], parameter["in"])]
                fields.append((name, parameter["schema"]))
            for media in operation.get("requestBody", {}).get("content", {}).values():
                fields.extend(media["schema"].get("properties", {}).items())
    for schema in data.get("components", {}).get("schemas", {}).values():
        fields.extend(schema.get("properties", {}).items())
    return fields


CONSTRAINT_NOTES = (("minLength", "min length"), ("maxLength", "max length"))


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_docs_show_every_length_limit_and_enum(provider: Provider) -> None:
    rows = [
        line
        for page in sorted((provider.generated / "docs").glob("*.md"))
        for line in page.read_text(encoding="utf-8").splitlines()
        if line.startswith("| **")
    ]
    for name, schema in documented_fields(provider):
        mine = [row for row in rows if row.startswith(f"| **{name}** |")]
        assert mine, f"{name} is in no docs table"
        for key, note in CONSTRAINT_NOTES:
            if key in schema:
                assert any(f"[{note}: {schema[key]}]" in row for row in mine), (name, key)
        if "enum" in schema:
            values = ", ".join(f"`{value}`" for value in schema["enum"])
            assert any(f"[one of: {values}]" in row for row in mine), name


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_docs_show_every_response_and_its_headers(provider: Provider) -> None:
    pages = sorted((provider.generated / "docs").glob("*Api.md"))
    text = "\n".join(page.read_text(encoding="utf-8") for page in pages)
    for path_item in spec(provider)["paths"].values():
        for operation in path_item.values():
            for status, response in operation["responses"].items():
                prefix = f"| **{status}** | {response['description']} |"
                (row,) = [line for line in text.splitlines() if line.startswith(prefix)]
                for name, header in response.get("headers", {}).items():
                    assert f"`{name}`: {header['description']}" in row, (status, name)
