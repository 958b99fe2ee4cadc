"""Credentials of the spec's security schemes, as an operation sends them (twin of
security.js): the first of its schemes that is configured, and only that one (an API key
with its prefix in a header, query parameter or cookie; an access token or a token manager
as a bearer token; username and password as HTTP Basic). What a request carries counts as a
secret for redaction: ``_secrets.request_secrets``.
"""

from __future__ import annotations

import base64
from typing import Optional, Union

from ._configuration import (
    AsyncTokenSource,
    Configuration,
    SecurityScheme,
    TokenSource,
    wrong_item_type,
)
from ._request import header_value


def add_credentials(
    configuration: Configuration,
    schemes: tuple[str, ...],
    headers: dict[str, str],
    query: list[tuple[str, str]],
    manager: Optional[Union[TokenSource, AsyncTokenSource]],
) -> Optional[str]:
    """Add the credentials of the first configured scheme the operation accepts.

    Returns the header name when that is a bearer scheme and ``manager`` is to supply
    its token (the caller asks it, with a ``NeedToken`` step); else None.
    """
    for name in schemes:
        scheme = configuration.scheme(name)
        if scheme is None:
            continue
        if scheme.kind == "bearer" and manager is not None:
            return scheme.param
        value = _credential(configuration, scheme)
        if value is None:
            continue
        if scheme.where == "query":
            query.append((scheme.param, value))
        elif scheme.where == "cookie":
            cookie = f"{scheme.param}={header_value(value, f'credentials of {name}')}"
            headers["Cookie"] = f"{headers['Cookie']}; {cookie}" if "Cookie" in headers else cookie
        else:
            headers[scheme.param] = header_value(value, f"credentials of {name}")
        return None
    return None


def _credential(configuration: Configuration, scheme: SecurityScheme) -> Optional[str]:
    """The value a configured scheme sends, or None when it is not configured."""
    if scheme.kind == "bearer":
        return f"Bearer {configuration.access_token}" if configuration.access_token else None
    if scheme.kind == "basic":
        if configuration.username is None or configuration.password is None:
            return None
        return basic_authorization(configuration.username, configuration.password)
    key = configuration.api_key.get(scheme.name)
    if not key:
        return None
    prefix = configuration.api_key_prefix.get(scheme.name)
    # The dicts were checked when set, but may have been changed in place since.
    if not isinstance(key, str):
        raise wrong_item_type("api_key", scheme.name, key)
    if prefix is not None and not isinstance(prefix, str):
        raise wrong_item_type("api_key_prefix", scheme.name, prefix)
    return f"{prefix} {key}" if prefix else key


def basic_authorization(username: str, password: str) -> str:
    """An ``Authorization`` value for HTTP Basic (RFC 7617, UTF-8)."""
    pair = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")
