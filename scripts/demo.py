"""Obtain a token from each provider's local Prism mock with the call its docs show.

Run by `make demo`, which first regenerates and installs the packages. The providers are
the generator configs ``openapi/*-python.yaml``; each call is the example of the package's
API page (``docs/*Api.md``), run as written, with the package's host pointed at the mock
(the spec's server URL in the example replaced, and ``<PACKAGE>_HOST`` set). The run ends
with one row per provider; tokens are shortened.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from mock_servers import start_all, stop_all

PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


@dataclass(frozen=True)
class Provider:
    name: str  # openapi/<name>.yaml, as tests/mock_servers.py knows it
    package: str
    folder: Path
    default_host: str  # the spec's server URL


def providers() -> list[Provider]:
    found = []
    for config_path in sorted((ROOT / "openapi").glob("*-python.yaml")):
        config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        spec_path = ROOT / config["inputSpec"]
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
        package = config["additionalProperties"]["packageName"]
        found.append(
            Provider(spec_path.stem, package, ROOT / config["outputDir"], spec["servers"][0]["url"])
        )
    return found


def documented_call(provider: Provider) -> tuple[Path, str]:
    """The first example of the package's API pages that calls the API."""
    for page in sorted((provider.folder / "docs").glob("*Api.md")):
        for code in PYTHON_BLOCK.findall(page.read_text(encoding="utf-8")):
            if f"except {provider.package}.ApiException" in code:
                return page, code
    raise SystemExit(f"{provider.folder}/docs has no example that calls the API")


def duration(seconds: int) -> str:
    """A lifetime a person reads at a glance: 900 -> 15 min, 31535999 -> 365 d."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{round(seconds / size)} {unit}"
    return f"{seconds} s"


def shorten(token: object) -> str:
    text = str(token)
    return text if len(text) <= 16 else f"{text[:8]}...{text[-4:]}"


def obtain(provider: Provider, url: str) -> dict[str, str]:
    """Run the documented call against the mock; one row of the summary."""
    page, code = documented_call(provider)
    os.environ[f"{provider.package.upper()}_HOST"] = url
    namespace: dict[str, Any] = {"__name__": "__main__"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # the example pprints the whole token
        exec(compile(code.replace(provider.default_host, url), str(page), "exec"), namespace)  # noqa: S102
    answer = namespace.get("api_response")
    row = {"provider": provider.name, "host": url, "call": page.relative_to(ROOT).as_posix()}
    if answer is None:  # the example caught an ApiException and printed it
        return {**row, "status": printed.getvalue().strip().splitlines()[-1]}
    expires_in = getattr(answer, "expires_in", None)
    return {
        **row,
        "token type": str(getattr(answer, "token_type", "-")),
        "expires in": "-" if expires_in is None else duration(int(expires_in)),
        "access token": shorten(getattr(answer, "access_token", "-")),
        "status": "ok",
    }


def table(rows: list[dict[str, str]]) -> str:
    columns = ["provider", "host", "token type", "expires in", "access token", "status"]
    widths = {c: max(len(c), *(len(row.get(c, "-")) for row in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns)]
    lines.append("  ".join("-" * widths[c] for c in columns))
    lines += ["  ".join(row.get(c, "-").ljust(widths[c]) for c in columns) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def main() -> int:
    found = providers()
    print(f"starting a Prism mock for each of {', '.join(p.name for p in found)} ...", flush=True)
    servers = start_all(tuple(p.name for p in found))
    try:
        rows = []
        for provider in found:
            row = obtain(provider, servers[provider.name].url)
            print(f"{provider.name}: ran the example of {row['call']}", flush=True)
            rows.append(row)
    finally:
        stop_all(servers)
    print()
    print(table(rows))
    return 0 if all(row["status"] == "ok" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
