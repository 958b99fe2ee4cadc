"""Throwaway certificate authorities and the certificates they sign, made with ``openssl``.

For the TLS tests: test_client_certificate.py (mutual TLS) and the proxy and settings
tests' HTTPS target (conftest.py ``ca_folder``).
"""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

SERIALS = itertools.count(2)  # each certificate a CA signs has its own serial


def openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(
        ["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"openssl {' '.join(args)}:\n{result.stderr}"


def make_ca(folder: Path, name: str) -> None:
    """``<name>.pem`` and ``<name>.key``: a self-signed CA."""
    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-addext", "subjectKeyIdentifier=hash",
        cwd=folder,
    )  # fmt: skip


def issue(folder: Path, ca: str, name: str, common_name: str, extensions: str) -> None:
    """``<name>.pem`` and ``<name>.key``: a certificate the CA ``ca`` signed."""
    (folder / f"{name}.ext").write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n" + extensions,
        encoding="ascii",
    )
    openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={common_name}",
        cwd=folder,
    )  # fmt: skip
    openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
        "-set_serial", str(next(SERIALS)), "-days", "2",
        "-out", f"{name}.pem", "-extfile", f"{name}.ext",
        cwd=folder,
    )  # fmt: skip
