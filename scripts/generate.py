"""Regenerate packages from their configs: the one way `make generate` and the tests generate.

    python scripts/generate.py                 # every openapi/*-python.yaml and *-node.yaml
    python scripts/generate.py CONFIG [...]    # only these (paths relative to --root)

Steps: remove each config's outputDir, normalise the specs that need it (see
``normalise_spec``: the generator reads a normalised copy, Prism and people the real spec),
run openapi-generator's ``batch`` on the configs (one JVM; a Python package also gets its
``__main__.py`` from ``__main__.mustache``, see ``main_module``), copy the runtime (``templates/python/runtime/*.py``,
``templates/javascript/runtime/*.js``: ``<templateDir>/runtime``) into each package unchanged, then let
ruff drop unused imports, sort imports and ``__all__`` and format the Python code
(mustache cannot).
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def provider_configs(root: Path = ROOT) -> list[Path]:
    """Every package config: ``openapi/*-python.yaml`` and ``openapi/*-node.yaml``, sorted."""
    openapi = root / "openapi"
    return sorted([*openapi.glob("*-python.yaml"), *openapi.glob("*-node.yaml")])


def read_config(path: Path) -> dict[str, object]:
    """A config with its ``!include`` merged in (the config's own keys win)."""
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    include = config.pop("!include", None)
    if include:
        base = read_config(path.parent / include)
        base.update(config)
        config = base
    return config


def read_spec(path: Path) -> dict[str, object]:
    """A spec file: JSON read as JSON, which allows control characters in strings that
    YAML refuses (SendGrid's U+009F); anything else as YAML."""
    text = path.read_text(encoding="utf-8")
    spec: dict[str, object] = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    return spec


def package_folder(config: dict[str, object], root: Path) -> Path:
    """Where the generated Python package's code lands."""
    properties = config.get("additionalProperties") or {}
    assert isinstance(properties, dict)
    return root / str(config["outputDir"]) / str(properties["packageName"])


#: The media types openapi-generator always flattens into one parameter per property.
FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def normalise_spec(spec: dict[str, object]) -> dict[str, object]:
    """The spec as the generator should read it; ``spec`` itself is left as it is.

    Answers: see ``_normalise_answers``. Request bodies: see ``_content_types`` and
    ``_one_member_bodies``. Token operations (``x-token-manager``): see
    ``_token_operations``, which computes what their TokenManager prints. Parameters
    without a name are dropped (``_unnamed_parameters``).

    An operation with ``x-form-model`` takes its form body as ONE model argument. The
    generator would flatten a form body into one parameter per property, so its request
    body is presented as an ordinary JSON body of the same model, named by
    ``x-form-model``'s ``paramName``, and ``x-form-body`` (on the operation and on the
    request body) records the real media type: the templates print it as the content type
    and the runtimes send a body model as form fields when its content type is a form.
    """
    normalised = copy.deepcopy(spec)
    paths = normalised.get("paths") or {}
    assert isinstance(paths, dict)
    _normalise_answers(normalised)
    _fill_token_examples(normalised)
    _token_operations(normalised)
    for path, item in paths.items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "x-form-model" not in operation:
                continue
            where = f"{method.upper()} {path}: x-form-model"
            form_model = operation.pop("x-form-model")
            unknown = sorted(set(form_model) - {"paramName", "dataType", "description"})
            if unknown or "paramName" not in form_model:
                raise SystemExit(
                    f"{where} takes paramName, dataType and description, not {unknown}"
                )
            body = operation.get("requestBody") or {}
            content = body.get("content") or {}
            forms = [media for media in content if media.split(";")[0].strip() in FORM_MEDIA_TYPES]
            if len(content) != 1 or not forms:
                raise SystemExit(f"{where} needs a request body with one form media type")
            ((media_type, media),) = content.items()
            ref = str((media.get("schema") or {}).get("$ref", ""))
            if ref.rsplit("/", 1)[-1] != form_model.get("dataType"):
                raise SystemExit(f"{where}: dataType must name the body's $ref model, {ref!r}")
            operation["x-codegen-request-body-name"] = form_model["paramName"]
            operation["x-form-body"] = media_type
            body["x-form-body"] = media_type
            if form_model.get("description"):
                body["description"] = form_model["description"]
            body["content"] = {"application/json": media}
    _content_types(normalised)
    _unnamed_parameters(normalised)
    _one_member_bodies(normalised)
    return normalised


def _unnamed_parameters(spec: dict[str, object]) -> None:
    """Drop parameters with an empty name, in place: no request can carry them (a header
    named ``""``), and the generator would print an argument with no name."""
    paths = spec.get("paths") or {}
    for item in paths.values() if isinstance(paths, dict) else ():
        if not isinstance(item, dict):
            continue
        for holder in (item, *(item.get(method) for method in HTTP_METHODS)):
            if isinstance(holder, dict) and isinstance(holder.get("parameters"), list):
                holder["parameters"] = [p for p in holder["parameters"] if _named(spec, p)]


def _named(spec: dict[str, object], parameter: object) -> bool:
    """False for a parameter (or the local one its $ref names) with an empty name."""
    if isinstance(parameter, dict) and isinstance(parameter.get("$ref"), str):
        parameter = _local_ref(spec, parameter["$ref"]) or parameter
    return not isinstance(parameter, dict) or "name" not in parameter or bool(parameter["name"])


def _one_member_bodies(spec: dict[str, object]) -> None:
    """Point a request body whose schema is a $ref to a ``oneOf``/``anyOf`` of one $ref
    at that member, in place. The generator types the argument as the member already, but
    flags it a primitive, so it has no schema to print; the argument stays ``body``."""
    for operation in _operations(spec):
        body = operation.get("requestBody")
        content = body.get("content") if isinstance(body, dict) else None
        for media in content.values() if isinstance(content, dict) else ():
            ref = (media.get("schema") or {}).get("$ref") if isinstance(media, dict) else None
            target = _local_ref(spec, ref) if isinstance(ref, str) else None
            if not isinstance(target, dict) or set(target) - UNTYPED_KEYS - {"oneOf", "anyOf"}:
                continue
            members = [*target.get("oneOf", []), *target.get("anyOf", [])]
            if len(members) == 1 and isinstance(members[0], dict) and set(members[0]) == {"$ref"}:
                media["schema"] = dict(members[0])
                operation.setdefault("x-codegen-request-body-name", "body")


def _runtime_module(name: str) -> Any:
    """A dependency-free module of the Python runtime (templates/python/runtime/), whose
    rule the generator follows too."""
    path = ROOT / "templates" / "python" / "runtime" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"tokenworks{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: How an answer of a media type is read: ``json``, ``text``, ``any`` or ``bytes`` (_media.py).
media_kind: Callable[[str], str] = _runtime_module("_media").media_kind

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _operations(spec: dict[str, object]) -> Iterator[dict[str, Any]]:
    """The spec's operations, path by path, in ``HTTP_METHODS`` order."""
    paths = spec.get("paths") or {}
    for item in paths.values() if isinstance(paths, dict) else ():
        for method in HTTP_METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if isinstance(operation, dict):
                yield operation


def _local_ref(spec: dict[str, object], ref: str) -> object:
    """What a local ``$ref`` (``#/components/schemas/Pdf``) points at; {} when nothing."""
    target: object = spec
    for key in ref.removeprefix("#/").split("/"):
        key = key.replace("~1", "/").replace("~0", "~")
        target = target.get(key, {}) if isinstance(target, dict) else {}
    return target


#: Keys that leave a schema as open as no schema at all.
UNTYPED_KEYS = frozenset({"description", "title", "nullable", "example", "x-example"})


def _string_schema(spec: dict[str, object], schema: object) -> bool | None:
    """Whether a schema is a string, following local $refs; None when it is no schema at
    all (absent, or ``{}``: no type, no properties, no composition)."""
    seen = set()
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        ref = schema["$ref"]
        if not ref.startswith("#/") or ref in seen:
            return False  # a remote or circular reference: leave it to the generator
        seen.add(ref)
        schema = _local_ref(spec, ref)
    if schema is None or (isinstance(schema, dict) and not set(schema) - UNTYPED_KEYS):
        return None
    return isinstance(schema, dict) and schema.get("type") == "string"


#: The field each grant needs besides grant_type (the runtime's _grants.py).
GRANT_NEEDS = {grant: needs[0] for grant, needs in _runtime_module("_grants").GRANT_NEEDS.items()}


def _fill_token_examples(spec: dict[str, object]) -> None:
    """Make the generated examples of each token operation (``x-token-manager``) run as
    written, whatever the spec gives them to work with.

    The docs' examples send the grant_type the spec shows first (its ``x-example``, else
    its first enum value) and only the optional fields that have an ``x-example``. When that
    grant needs a field the example would not send (``authorization_code`` listed first, no
    ``code`` example), the example uses ``client_credentials`` where the enum offers it,
    else it fills the field. A required string field without an example (the generator
    would give a model's ``''``), and the field an example now fills, gets one that meets
    its lengths (``client_id_example`` is refused by ``minLength: 36``); the TokenManager examples take the client id and secret the same
    way (where the placeholder breaks a length) unless ``x-token-manager`` names them. Only the generator's copy of the spec is
    changed; values the spec gives are kept.
    """
    for item in (spec.get("paths") or {}).values():  # type: ignore[union-attr]
        for operation in item.values() if isinstance(item, dict) else ():
            if not isinstance(operation, dict) or not isinstance(
                operation.get("x-token-manager"), dict
            ):
                continue
            fields = _token_fields(spec, operation)
            if fields is None:
                continue
            properties, required = fields
            grant = properties.get("grant_type")
            if isinstance(grant, dict):
                enum = [str(value) for value in grant.get("enum") or ()]
                shown = grant.get("x-example", enum[0] if enum else None)
                needs = properties.get(GRANT_NEEDS.get(str(shown), ""))
                if isinstance(needs, dict) and "x-example" not in needs:
                    if "client_credentials" in enum:
                        grant["x-example"] = "client_credentials"
                    else:
                        name = GRANT_NEEDS[str(shown)]
                        needs["x-example"] = needs.get("example", _placeholder(name, needs))
            for name, schema in properties.items():
                if (
                    name in required
                    and isinstance(schema, dict)
                    and schema.get("type") == "string"
                    and not schema.get("enum")
                    and "x-example" not in schema
                    and "example" not in schema
                ):
                    schema["x-example"] = _placeholder(name, schema)
            manager = operation["x-token-manager"]
            for name in ("client_id", "client_secret"):
                schema = properties.get(name)
                if (
                    f"example_{name}" not in manager
                    and isinstance(schema, dict)
                    and _placeholder(name, schema) != f"{name}_example"  # it breaks a length
                ):
                    value = schema.get("x-example", schema.get("example"))
                    manager[f"example_{name}"] = (
                        value if isinstance(value, str) else _placeholder(name, schema)
                    )


#: The grants a TokenManager may use, in the order the generated code lists them.
GRANTS = ("client_credentials", "refresh_token", "authorization_code")

#: The grants a server may spend as it sees them (an authorization code is used up, a
#: refresh token may be rotated): a request with one is not retried once it may have arrived.
SINGLE_USE_GRANTS = ("authorization_code", "refresh_token")


def _token_operations(spec: dict[str, object]) -> None:
    """Compute, once, what the templates print for each token operation (``x-token-manager``),
    in place, so that no template decides it:

    - ``x-grants``: the grants it lists (``GRANTS`` order), e.g. ``[refresh_token,
      authorization_code]``;
    - ``x-single-use``: ``{grant_type: [...]}``, its single-use grants (``SINGLE_USE_GRANTS``
      order), absent when it has none;
    - ``x-client-auth``: how the client authenticates its token requests: ``client_auth``
      as ``x-token-manager`` gives it, else ``basic`` (client_secret_basic) when the
      operation's security (or the spec's global one) names an HTTP Basic scheme; absent
      when neither (form fields, client_secret_post).
    """
    components = spec.get("components") or {}
    schemes = components.get("securitySchemes") if isinstance(components, dict) else None
    schemes = schemes if isinstance(schemes, dict) else {}
    for operation in _operations(spec):
        manager = operation.get("x-token-manager")
        if not isinstance(manager, dict):
            continue
        operation["x-grants"] = [grant for grant in GRANTS if manager.get(grant)]
        single_use = [grant for grant in SINGLE_USE_GRANTS if manager.get(grant)]
        if single_use:
            operation["x-single-use"] = {"grant_type": single_use}
        client_auth = manager.get("client_auth")
        if client_auth is None and _basic_security(operation, spec, schemes):
            client_auth = "basic"
        if client_auth is not None:
            operation["x-client-auth"] = str(client_auth)


def _basic_security(
    operation: dict[str, Any], spec: dict[str, object], schemes: dict[str, Any]
) -> bool:
    """Whether an operation's security (else the spec's) names an HTTP Basic scheme."""
    security = operation.get("security", spec.get("security")) or []
    for requirement in security if isinstance(security, list) else ():
        for name in requirement if isinstance(requirement, dict) else ():
            scheme = schemes.get(name)
            if isinstance(scheme, dict) and scheme.get("$ref"):
                scheme = _local_ref(spec, str(scheme["$ref"]))
            if (
                isinstance(scheme, dict)
                and scheme.get("type") == "http"
                and str(scheme.get("scheme", "")).lower() == "basic"
            ):
                return True
    return False


def _content_types(spec: dict[str, object]) -> None:
    """Give every operation with a request body ``x-content-type``, in place: the media type
    its body is sent as, which the templates print (the Python ``Operation``, the Node
    ``operations`` table, both API docs). It is ``x-form-body`` where ``x-form-model`` made
    the body a model (see ``normalise_spec``; call this after), else the body's first media
    type, as the generator lists them in ``consumes``.
    """
    for operation in _operations(spec):
        body = operation.get("requestBody")
        if isinstance(body, dict) and isinstance(body.get("$ref"), str):
            body = _local_ref(spec, body["$ref"])
        content = body.get("content") if isinstance(body, dict) else None
        if isinstance(content, dict) and content:
            operation["x-content-type"] = operation.get("x-form-body", next(iter(content)))


def _token_fields(
    spec: dict[str, object], operation: dict[str, Any]
) -> tuple[dict[str, Any], list[str]] | None:
    """The properties and required names of a token operation's form body, or None."""
    content = (operation.get("requestBody") or {}).get("content") or {}
    for media_type, media in content.items():
        if media_type.split(";")[0].strip() not in FORM_MEDIA_TYPES or not isinstance(media, dict):
            continue
        schema = media.get("schema") or {}
        if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            schema = _local_ref(spec, schema["$ref"])
        if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
            return schema["properties"], list(schema.get("required") or ())
    return None


def _placeholder(name: str, schema: dict[str, Any]) -> str:
    """``<name>_example``, padded with zeros or cut to the schema's lengths."""
    text = f"{name}_example"
    minimum, maximum = schema.get("minLength"), schema.get("maxLength")
    if isinstance(minimum, int) and len(text) < minimum:
        text = text.ljust(minimum, "0")
    if isinstance(maximum, int) and len(text) > maximum:
        text = text[:maximum]
    return text


def _normalise_answers(spec: dict[str, object]) -> None:
    """Give every answer's media type the schema its body is read as, in place.

    The declared media type decides how a body is read (the runtime's ``read_body``):
    JSON media without a schema become ``{}`` (any JSON value); text/* without a schema
    a string; a wildcard (``*/*``) without a schema ``{}``; any other media type (PDF,
    images, octet-stream) without a schema or with a string schema of any format
    ``format: binary`` (bytes). A text/* or wildcard answer that is not structured gets
    ``x-media``: the media type, which the templates pass to the runtime (a text/* body
    is read as text whatever its Content-Type says; a wildcard one as its Content-Type
    says). Structured schemas (models, lists, numbers...) are JSON under any media type.
    """
    answers: list[object] = []
    for operation in _operations(spec):
        answers.extend((operation.get("responses") or {}).values())
    components = spec.get("components") or {}
    assert isinstance(components, dict)
    answers.extend((components.get("responses") or {}).values())
    for answer in answers:
        if not isinstance(answer, dict) or not isinstance(answer.get("content"), dict):
            continue  # no body, or a $ref to components.responses (normalised there)
        for index, (media_type, media) in enumerate(answer["content"].items()):
            if not isinstance(media, dict):
                continue
            kind = media_kind(media_type)
            string = _string_schema(spec, media.get("schema"))
            if string is False:
                continue  # structured: JSON (under text/* too: JSON text)
            if kind == "bytes":
                media["schema"] = {"type": "string", "format": "binary"}
                continue
            if string is None:
                media["schema"] = {"type": "string"} if kind == "text" else {}
            if index == 0 and kind in ("text", "any"):
                answer["x-media"] = media_type


def _generator_configs(
    parsed: dict[Path, dict[str, object]], root: Path, folder: Path
) -> list[Path]:
    """The configs as the generator reads them, written into ``folder``: merged (no
    ``!include``), ``specPath`` naming the real spec for the READMEs, and inputSpec
    pointing at the normalised copy of the spec when normalising changes it."""
    given = []
    for path, config in parsed.items():
        spec_path = str(config["inputSpec"])
        spec = read_spec(root / spec_path)
        normalised = normalise_spec(spec)
        if config.get("generatorName") == "python":
            runtime = root / str(config["templateDir"]) / "runtime"
            renames = model_renames(normalised, reserved_model_names(runtime))
            normalised = rename_schemas(normalised, renames)
        written = dict(config)
        if config.get("generatorName") == "python":
            names = property_name_mappings(normalised, model_attributes(runtime))
            given_names = config.get("nameMappings") or {}
            assert isinstance(given_names, dict)
            if names:
                written["nameMappings"] = {**names, **given_names}
        if normalised != spec:
            written["inputSpec"] = str(folder / f"{path.stem}.spec.json")
            Path(str(written["inputSpec"])).write_text(
                json.dumps(normalised, indent=1), encoding="utf-8"
            )
        properties = config.get("additionalProperties") or {}
        assert isinstance(properties, dict)
        written["additionalProperties"] = {
            **properties,
            "specPath": spec_path,
            **repo_folder(path, config),
        }
        if config.get("generatorName") == "python":
            # Every Python package's aio subpackage and __main__.py, then the config's own files.
            written["files"] = {
                **aio_files(config),
                **main_module(properties),
                **dict(config.get("files") or {}),
            }
            # The docs' examples call with `{{await}}api_instance...`: inside
            # `{{#aioExample}}` that is an awaited call, elsewhere a plain one.
            written["additionalProperties"]["aioExample"] = {"await": "await "}
            written["additionalProperties"]["configurationSettings"] = configuration_settings(
                runtime, str(properties["packageName"])
            )
        elif config.get("generatorName") == "javascript":
            # What ApiClient.settings and the README say of the package, and the options.
            package = node_package_values(properties)
            runtime = root / str(config["templateDir"]) / "runtime"
            options = node_options(runtime, {**package, "firstServer": first_server(normalised)})
            merged = written["additionalProperties"]
            assert isinstance(merged, dict)
            merged.update(package, configurationSettings=options)
        given.append(folder / f"{path.stem}.json")
        given[-1].write_text(json.dumps(written, indent=1), encoding="utf-8")
    return given


def aio_files(config: dict[str, object]) -> dict[str, dict[str, str]]:
    """The asyncio subpackage every Python package has, ``<packageName>/aio``: its
    ``__init__.py`` (names imported on first use) and ``api.py`` (the aio ApiClient, API
    classes and TokenManager), rendered once per package from all its APIs, so no
    config has to list them."""
    properties = config.get("additionalProperties") or {}
    assert isinstance(properties, dict)
    package = str(properties["packageName"])
    return {
        template: {
            "templateType": "SupportingFiles",
            "destinationFilename": f"{package}/aio/{name}",
        }
        for template, name in (("aio_init.mustache", "__init__.py"), ("aio_api.mustache", "api.py"))
    }


def main_module(properties: dict[str, object]) -> dict[str, object]:
    """Every Python package's ``__main__.py`` (``python -m <package> token``), rendered from
    ``__main__.mustache`` into the package folder, whose name only the config knows."""
    destination = f"{properties['packageName']}/__main__.py"
    return {
        "__main__.mustache": {"templateType": "SupportingFiles", "destinationFilename": destination}
    }


def repo_folder(path: Path, config: dict[str, object]) -> dict[str, str]:
    """``repoFolder``, where the package lives in the repository (its READMEs' links and
    project URLs): its ``outputDir``, so a copied config cannot point at another package.
    A config may not set it to anything else; an absolute outputDir has none."""
    output = Path(str(config["outputDir"]))
    properties = config.get("additionalProperties") or {}
    assert isinstance(properties, dict)
    given = properties.get("repoFolder")
    if output.is_absolute():
        return {"repoFolder": str(given)} if given else {}
    if given is not None and Path(str(given)) != output:
        raise SystemExit(
            f"{path}: repoFolder {given!r} is not outputDir {output.as_posix()!r};"
            " leave repoFolder out, it is outputDir"
        )
    return {"repoFolder": output.as_posix()}


#: Names generated Python modules take from ``typing`` (or shadow as builtins).
_TYPING_NAMES = frozenset(
    {"Any", "ClassVar", "Dict", "List", "Literal", "Optional", "Set", "Tuple", "Type", "Union"}
)


def reserved_model_names(runtime: Path) -> frozenset[str]:
    """Class names a model may not take in a Python package: the public names of the
    runtime modules (``Response``, ``Configuration``, ``Model``...) and typing's, which
    generated modules import beside the models."""
    import ast

    names = set(_TYPING_NAMES)
    for source in sorted(runtime.glob("*.py")):
        for node in ast.parse(source.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(name for name in names if name[:1].isupper())


def configuration_settings(runtime: Path, package: str) -> list[dict[str, str]]:
    """The rows of a Python package README's settings table, read from where each setting is
    declared once: ``SETTINGS`` in the runtime's ``_configuration.py`` (name, default and
    meaning; its reStructuredText ````code```` as Markdown's ```code```)."""
    import ast

    tree = ast.parse((runtime / "_configuration.py").read_text(encoding="utf-8"))
    table = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "SETTINGS"
    )
    assert isinstance(table, ast.Tuple)
    rows = []
    for call in table.elts:
        assert isinstance(call, ast.Call)
        name, default, _check, meaning = (ast.unparse(arg) for arg in call.args[:4])
        name, meaning = ast.literal_eval(name), ast.literal_eval(meaning)
        value = eval(default, {})  # a literal, or arithmetic of literals (1024 * 1024)
        copied = any(k.arg == "copied" for k in call.keywords)
        shown = "empty" if copied else f"`{value!r}`"
        if name == "host":
            shown = f"`${package.upper()}_HOST` if set, else the spec's first server"
        rows.append(
            {"name": name, "default": shown, "meaning": re.sub(r"``(.+?)``", r"`\1`", meaning)}
        )
    return rows


def node_package_values(properties: dict[str, object]) -> dict[str, str]:
    """What a Node package's ApiClient.settings and README say of the package: the variable
    that names its default host, and its User-Agent."""
    return {
        "hostVariable": f"{str(properties['moduleName']).upper()}_HOST",
        "userAgent": f"{properties['projectName']}/{properties['projectVersion']} (Node.js)",
    }


def first_server(spec: dict[str, object]) -> str:
    """The URL of the spec's first server (a Node client's default host), or ``(none)``."""
    servers = spec.get("servers") or []
    assert isinstance(servers, list)
    return str(servers[0]["url"]) if servers else "(none)"


#: Prints the ApiClient options of configuration.js (``OPTIONS``) as JSON, a default as
#: util.inspect writes it.
_NODE_OPTIONS_SCRIPT = """
const { inspect } = require('node:util');
const { OPTIONS } = require(process.argv[1]);
const given = (value) => (value === undefined ? '' : '`' + inspect(value, { breakLength: Infinity }) + '`');
console.log(JSON.stringify(OPTIONS.map((option) => ({
  name: option.name, type: option.type, meaning: option.meaning, test: option.test, setting: option.check !== null,
  default: option.shown === undefined ? given(option.default) : option.shown,
}))));
"""


def node_options(runtime: Path, package: dict[str, str]) -> list[dict[str, object]]:
    """The rows of a Node package's ApiClientOptions and ApiClient fields (index.d.ts) and
    README options table, read from where each option is declared once: ``OPTIONS`` in the
    runtime's ``configuration.js`` (run by node). ``{hostVariable}`` and the like in a row's
    default become the package's ``package`` values."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node (Node.js 18+) is needed to generate a Node package: install it")
    run = subprocess.run(
        [node, "-e", _NODE_OPTIONS_SCRIPT, str(runtime / "configuration.js")],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise SystemExit(
            f"reading the options of {runtime / 'configuration.js'} failed:\n{run.stderr}"
        )
    rows: list[dict[str, object]] = json.loads(run.stdout)
    for row in rows:
        row["default"] = re.sub(
            r"\{(hostVariable|firstServer|userAgent)\}",
            lambda m: package[m[1]],
            str(row["default"]),
        )
        # index.d.ts's doc comment: the meaning, and the default when there is one.
        shown = row["default"]
        row["comment"] = f"{row['meaning']} Default: {shown}." if shown else row["meaning"]
        # A field of the ApiClient class there (not the test hooks); undefined without a default.
        row["field"] = row.pop("setting") and not row["test"]
        row["fieldType"] = row["type"] if shown else f"{row['type']} | undefined"
    return rows


def model_attributes(runtime: Path) -> frozenset[str]:
    """The names every model has from the runtime's ``Model`` class (``to_dict``,
    ``additional_properties``...), which no property may take."""
    import ast

    tree = ast.parse((runtime / "_model.py").read_text(encoding="utf-8"))
    model = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Model")
    names = set()
    for node in model.body:
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return frozenset(name for name in names if not name.startswith("__"))


def property_name_mappings(spec: dict[str, object], taken: frozenset[str]) -> dict[str, str]:
    """``nameMappings`` for the properties whose Python name would be one of ``taken``:
    ``to_dict`` (or ``toDict``) becomes ``var_to_dict``, as keywords get ``var_``."""
    components = spec.get("components") or {}
    schemas = components.get("schemas") if isinstance(components, dict) else None
    mappings = {}

    def visit(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            properties = node.get("properties")
            if isinstance(properties, dict):
                for name in properties:
                    if isinstance(name, str) and _snake_name(name) in taken:
                        mappings[name] = "var_" + _snake_name(name)
            for value in node.values():
                visit(value)

    visit(schemas)
    visit(spec.get("paths"))
    return mappings


def _snake_name(name: str) -> str:
    """The Python name the generator gives a property: snake_case, words joined by ``_``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^A-Za-z0-9]+", "_", spaced).strip("_").lower()


def model_renames(spec: dict[str, object], reserved: frozenset[str]) -> dict[str, str]:
    """New names for the schemas whose class name would be a reserved one or an API
    class's: ``Response`` becomes ``ResponseModel`` (and so on until it is free)."""
    components = spec.get("components") or {}
    schemas = components.get("schemas") if isinstance(components, dict) else None
    if not isinstance(schemas, dict):
        return {}
    reserved = reserved | {_class_name(tag) + "Api" for tag in _tags(spec)}
    taken = {_class_name(name) for name in schemas} | reserved
    mappings = {}
    for name in schemas:
        if _class_name(name) in reserved:
            renamed = _class_name(name) + "Model"
            while renamed in taken:
                renamed += "Model"
            taken.add(renamed)
            mappings[name] = renamed
    return mappings


def rename_schemas(spec: dict[str, object], renames: dict[str, str]) -> dict[str, object]:
    """The spec with ``components.schemas`` renamed: keys, ``$ref``s and discriminator
    mappings (by reference or by bare name)."""
    if not renames:
        return spec
    refs = {
        f"#/components/schemas/{old}": f"#/components/schemas/{new}" for old, new in renames.items()
    }

    def walk(node: object) -> object:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        renamed = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                renamed[key] = refs.get(value, value)
            elif key == "discriminator" and isinstance(value, dict):
                mapping = value.get("mapping")
                renamed[key] = dict(value)
                if isinstance(mapping, dict):
                    renamed[key]["mapping"] = {
                        tag: refs.get(target, renames.get(target, target))
                        for tag, target in mapping.items()
                    }
            else:
                renamed[key] = walk(value)
        return renamed

    result = walk(spec)
    assert isinstance(result, dict)
    components = result["components"]
    assert isinstance(components, dict)
    schemas = components["schemas"]
    assert isinstance(schemas, dict)
    components["schemas"] = {renames.get(name, name): schema for name, schema in schemas.items()}
    return result


def _tags(spec: dict[str, object]) -> set[str]:
    """The tags of the spec's operations; ``default`` for an operation without one."""
    tags = set()
    paths = spec.get("paths") or {}
    assert isinstance(paths, dict)
    for item in paths.values():
        for operation in (item or {}).values():
            if isinstance(operation, dict) and "responses" in operation:
                tags.update(operation.get("tags") or ["default"])
    return tags


def _class_name(schema_name: str) -> str:
    """The class name the generator gives a schema: words joined, each capitalised."""
    words = re.split(r"[^A-Za-z0-9]+", schema_name)
    return "".join(word[:1].upper() + word[1:] for word in words if word)


def generate(configs: list[Path], root: Path = ROOT) -> None:
    """Generate the packages of ``configs`` into their outputDirs (relative to ``root``)."""
    parsed = {path: read_config(path) for path in configs}
    for config in parsed.values():
        shutil.rmtree(root / str(config["outputDir"]), ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="tokenworks-specs-") as folder:
        given = _generator_configs(parsed, root, Path(folder))
        run = subprocess.run(
            [str(BIN / "openapi-generator-cli"), "batch", "--fail-fast", *map(str, given)],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
    if run.returncode != 0:
        raise SystemExit(f"openapi-generator failed:\n{(run.stdout + run.stderr)[-6000:]}")
    python_folders = []
    for config in parsed.values():
        # The runtime lives beside the templates: <templateDir>/runtime.
        runtime = root / str(config["templateDir"]) / "runtime"
        if config.get("generatorName") == "python":
            folder = package_folder(config, root)
            for source in sorted(runtime.glob("*.py")):
                shutil.copyfile(source, folder / source.name)
            python_folders.append(str(folder))
            _one_datetime_import(root / str(config["outputDir"]))
        elif config.get("generatorName") == "javascript" and runtime.is_dir():
            properties = config.get("additionalProperties") or {}
            assert isinstance(properties, dict)
            source_folder = (
                root / str(config["outputDir"]) / str(properties.get("sourceFolder", "src"))
            )
            for source in sorted(runtime.glob("*.js")):
                shutil.copyfile(source, source_folder / source.name)
    if python_folders:
        ruff = str(BIN / "ruff")
        settings = ["--config", str(ROOT / "ruff.toml")]
        fix = [
            ruff,
            "check",
            "--quiet",
            "--no-cache",
            *settings,
            "--fix-only",
            "--select",
            "F401,I001,RUF022",
        ]
        for command in (fix, [ruff, "format", "--no-cache", *settings]):
            done = subprocess.run(
                [*command, *python_folders], capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(command[:2])} failed:\n{done.stdout}{done.stderr}")


def _one_datetime_import(folder: Path) -> None:
    """Docs' examples import datetime once for all their date fields (mustache cannot dedupe)."""
    for page in [folder / "README.md", *sorted((folder / "docs").glob("*.md"))]:
        if page.is_file():
            text = page.read_text(encoding="utf-8")
            fixed = re.sub(r"(^import datetime\n)+", r"\1", text, flags=re.MULTILINE)
            if fixed != text:
                page.write_text(fixed, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", type=Path, help="configs (default: every provider's)")
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the folder config paths are relative to"
    )
    options = parser.parse_args()
    configs = options.configs or provider_configs(options.root)
    generate([c if c.is_absolute() else options.root / c for c in configs], options.root)
    print("generated:", ", ".join(str(read_config(c)["outputDir"]) for c in configs))


if __name__ == "__main__":
    main()
