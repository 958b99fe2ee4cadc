"""Secrets: which values are secret, and how they are kept out of what is shown.

One home for the rule (templates/RUNTIME-CONTRACT.md, "Secrets"), twin of secrets.js:

- a field or parameter is secret when the spec marks it ``x-secret`` or its name holds one
  of ``SECRET_WORDS`` (``looks_secret``); messages never repeat such a value, nor any
  value longer than ``SHOWN_VALUE_LENGTH``;
- a request model shows its secrets masked (``mask``);
- what a server echoes of the secrets a request carried is ``[redacted]`` in the error it
  raises, in every form a server may echo it in (``shown_forms``, ``redact_text``,
  ``redact_value``, ``redact_headers``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from urllib3 import HTTPHeaderDict

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
