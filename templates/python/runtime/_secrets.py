"""Secrets: which values are secret, and how they are kept out of what is shown.

One home for the rule (templates/RUNTIME-CONTRACT.md, "Secrets"), twin of secrets.js:

- a field or parameter is secret when the spec marks it ``x-secret`` or its name holds one
  of ``SECRET_WORDS`` (``looks_secret``); messages never repeat such a value, nor any
  value longer than ``SHOWN_VALUE_LENGTH``;
- a request model shows its secrets masked (``mask``);
- what a server echoes of the secrets a request carried (``request_secrets``), and the
  tokens a token answer issued (``issued_tokens``), are ``[redacted]`` in the error it
  raises, in every form a server may echo them in (``shown_forms``, ``redact_text``,
  ``redact_value``, ``redact_headers``).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import quote, quote_plus, unquote_plus

from urllib3 import HTTPHeaderDict

if TYPE_CHECKING:
    from ._request import Param

#: What replaces a secret in error text.
REDACTED = "[redacted]"

#: The longest value an error message repeats (an enum miss); longer ones may be secrets.
SHOWN_VALUE_LENGTH = 32

#: Words that mark a parameter as secret even where the spec has no ``x-secret``.
SECRET_WORDS = ("secret", "password", "token", "code", "key", "credential", "authorization")


def looks_secret(name: str) -> bool:
    """Whether a parameter's name says its value is a secret (never shown in messages)."""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


_INDEXES = re.compile(r"(?:\[[^\]]*\])+\Z")


def field_of(name: str) -> str:
    """The field an argument path ends in, whose name says whether it is secret:
    ``create_access_token_request.grant_type`` is ``grant_type``, ``scopes[0]`` ``scopes``."""
    return _INDEXES.sub("", name).rpartition(".")[2]


def mask(secret: str) -> str:
    """A secret as it may be shown: its first four characters (none if short), then an ellipsis."""
    shown = secret[:4] if len(secret) >= 12 else ""
    return repr(shown + "\u2026")


def shown_forms(secrets: Iterable[str]) -> list[str]:
    """Every form in which a server may echo the secrets (of four characters or more), longest
    first, so that a secret inside another goes with it: as is, JSON-escaped (non-ASCII as is
    or as ``\\uXXXX``, ``/`` as is or as ``\\/`` as PHP writes it), or percent-encoded as in
    the form body."""
    shown: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= 4:
            for escaped in (json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]):
                shown.update((escaped, escaped.replace("/", "\\/")))
            shown.update((secret, quote(secret, safe=""), quote_plus(secret)))
    return sorted(shown, key=len, reverse=True)


def redact_text(text: str, forms: list[str]) -> str:
    """``text`` with every one of ``forms`` (from ``shown_forms``) replaced by ``[redacted]``."""
    for form in forms:
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def redact_value(value: Any, forms: list[str]) -> Any:
    """A typed header value (text, or a list of them) with every secret cut out."""
    if isinstance(value, list):
        return [redact_value(item, forms) for item in value]
    if isinstance(value, str):
        return redact_text(value, forms)
    return value


def redact_headers(headers: Mapping[str, str], forms: list[str]) -> Mapping[str, str]:
    """``headers``, or a copy with every secret in a value replaced by ``[redacted]``."""
    pairs = list(headers.iteritems() if isinstance(headers, HTTPHeaderDict) else headers.items())
    cleaned = [(name, redact_text(value, forms)) for name, value in pairs]
    if cleaned == pairs:
        return headers
    redacted = HTTPHeaderDict()
    for name, value in cleaned:
        redacted.add(name, value)
    return redacted


def request_secrets(
    params: Iterable[Param],
    arguments: Mapping[str, Any],
    fields: Mapping[str, Any],
    credentials: Iterable[Optional[str]],
    authorization: str,
) -> list[str]:
    """The secret values a request carries, for redacting what the server echoes.

    Its secret parameters and the ``x-secret`` fields of its body model; the ``credentials``
    configured (API keys, access token, password); the ``authorization`` value sent, with
    the password inside an HTTP Basic one (client_secret_basic: form-encoded there, RFC 6749
    2.3.1) as sent and form-decoded; and the secret fields of a token request's form.
    """
    params = list(params)
    found = [
        arguments[p.name]
        for p in params
        if (p.secret or looks_secret(p.name)) and arguments.get(p.name)
    ]
    for param in params:
        if param.location == "body":
            model = arguments.get(param.name)
            for prop in getattr(model, "_props", ()):
                value = getattr(model, prop.attr, None)
                if prop.secret and isinstance(value, str):
                    found.append(value)
    found = [value for value in found if isinstance(value, str)]
    found.extend(value for value in credentials if value)
    if " " in authorization:
        scheme, value = authorization.split(" ", 1)
        found.append(value)
        if scheme.lower() == "basic":
            password = _basic_password(value)
            found.extend((password, unquote_plus(password)))
    for field in ("client_secret", "refresh_token", "code", "access_token"):
        value = fields.get(field)
        if isinstance(value, str):
            found.append(value)
    return found


def _basic_password(value: str) -> str:
    """The password of an HTTP Basic value ("" when it cannot be read)."""
    try:
        pair = base64.b64decode(value, validate=True).decode()
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return ""
    return pair.partition(":")[2]


#: The fields of a token answer that hold credentials (RFC 6749 and OpenID Connect).
TOKEN_FIELDS = ("access_token", "refresh_token", "id_token")

#: A token field as JSON writes it, its value to the closing quote or the end of a cut body.
_TOKEN_TEXT = re.compile(
    r'"(?:' + "|".join(TOKEN_FIELDS) + r')"\s*:\s*"((?:[^"\\]|\\.)*)', re.ASCII
)


def issued_tokens(body: bytes) -> list[str]:
    """The credentials a token answer holds, whatever else is wrong with it.

    The values of its JSON token fields, and every ``"access_token": "..."``-like
    value in its text, so that a body that is not JSON (cut short, HTML around it) or
    not an object gives them too: as written (escapes and all, as the body shows it)
    and unescaped.
    """
    found: list[str] = []
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        parsed = None
    if isinstance(parsed, dict):
        found.extend(
            value for key, value in parsed.items() if key in TOKEN_FIELDS and isinstance(value, str)
        )
    for match in _TOKEN_TEXT.finditer(body.decode("utf-8", errors="replace")):
        written = match.group(1)
        found.append(written)
        try:
            found.append(json.loads(f'"{written}"'))
        except ValueError:
            pass
    return found
