"""CyberSource's token endpoint requires mutual TLS: the package presents a client certificate.

A loopback HTTPS server requires a client certificate and verifies it against a
throwaway CA; every certificate and key is made with the ``openssl`` CLI in a
temporary folder. The server answers the spec's 200 example and records the
certificate each connection presented, so the tests show which certificate the
package sent, not only that a call succeeded.
"""

from __future__ import annotations

import itertools
import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

import CyberSource
import pytest
import yaml
from mock_servers import spec_path

# Every test runs with the blocking classes and with the aio ones (conftest.driver).
pytestmark = pytest.mark.usefixtures("driver")

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl CLI")

CLIENT_CN = "tokenworks-partner"
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


@dataclass(frozen=True)
class Certificates:
    folder: Path

    def __getitem__(self, name: str) -> str:
        return str(self.folder / name)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A CA; a server and a client certificate it signed; a client one another CA signed."""
    folder = tmp_path_factory.mktemp("certificates")
    make_ca(folder, "ca")
    make_ca(folder, "other-ca")
    issue(
        folder, "ca", "server", "127.0.0.1",
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )  # fmt: skip
    issue(folder, "ca", "client", CLIENT_CN, "extendedKeyUsage=clientAuth\n")
    issue(folder, "other-ca", "stranger", "someone-else", "extendedKeyUsage=clientAuth\n")
    # The certificate and its key in one file, which cert_file alone accepts.
    combined = (folder / "client.pem").read_text() + (folder / "client.key").read_text()
    (folder / "client-and-key.pem").write_text(combined)
    return Certificates(folder)


def success_example() -> dict[str, Any]:
    spec = yaml.safe_load(spec_path("cybersource").read_text(encoding="utf-8"))
    (operation,) = (op for path in spec["paths"].values() for op in path.values())
    (media,) = operation["responses"]["200"]["content"].values()
    return media["example"]  # type: ignore[no-any-return]


@dataclass
class MutualTlsServer:
    """What the server saw: the DER certificate of each request, and refused handshakes.

    ``stop()`` returns once the server finished with every connection it accepted,
    so what it recorded is complete.
    """

    url: str
    stop: Callable[[], None]
    presented: list[bytes] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


class _Server(ThreadingHTTPServer):
    record: MutualTlsServer

    def get_request(self) -> Any:
        try:
            return super().get_request()  # the TLS handshake happens on accept
        except ssl.SSLError as error:
            self.record.refused.append(error.reason or str(error))
            raise


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        assert isinstance(self.connection, ssl.SSLSocket)
        self.server.record.presented.append(self.connection.getpeercert(binary_form=True) or b"")
        body = json.dumps(success_example()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet: the tests read what the server recorded instead."""


@pytest.fixture()
def server(certificates: Certificates) -> Iterator[MutualTlsServer]:
    """HTTPS on 127.0.0.1 that requires a client certificate signed by the CA."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates["server.pem"], certificates["server.key"])
    context.load_verify_locations(certificates["ca.pem"])
    context.verify_mode = ssl.CERT_REQUIRED
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)

    def stop() -> None:
        if thread.is_alive():
            httpd.shutdown()
            thread.join()
        httpd.server_close()

    record = MutualTlsServer(f"https://127.0.0.1:{httpd.server_address[1]}", stop)
    httpd.record = record
    thread.start()
    try:
        yield record
    finally:
        stop()


def create_token(certificates: Certificates, url: str, **tls: str) -> Any:
    configuration = CyberSource.Configuration(
        host=url, ssl_ca_cert=certificates["ca.pem"], retries=0, timeout=(5.0, 10.0), **tls
    )
    with CyberSource.ApiClient(configuration) as api_client:
        request = CyberSource.CreateAccessTokenRequest(
            client_id="my-client-id",
            client_secret="my-client-secret",
            grant_type="authorization_code",
            code="my-authorization-code",
        )
        return CyberSource.OAuthApi(api_client).create_access_token(request)


def der(certificates: Certificates, name: str) -> bytes:
    pem = Path(certificates[name]).read_text(encoding="ascii")
    return ssl.PEM_cert_to_DER_cert(pem)


def test_the_configured_client_certificate_is_presented(
    certificates: Certificates, server: MutualTlsServer
) -> None:
    token = create_token(
        certificates,
        server.url,
        cert_file=certificates["client.pem"],
        key_file=certificates["client.key"],
    )
    assert token.access_token == success_example()["access_token"]
    assert server.presented == [der(certificates, "client.pem")]
    assert server.refused == []


def test_a_certificate_file_holding_the_key_is_enough(
    certificates: Certificates, server: MutualTlsServer
) -> None:
    token = create_token(certificates, server.url, cert_file=certificates["client-and-key.pem"])
    assert token.access_token == success_example()["access_token"]
    assert server.presented == [der(certificates, "client.pem")]


def test_without_a_client_certificate_the_call_fails(
    certificates: Certificates, server: MutualTlsServer
) -> None:
    with pytest.raises(CyberSource.ApiConnectionError) as caught:
        create_token(certificates, server.url)
    assert caught.value.status == 0
    server.stop()
    assert server.presented == []  # no request reached the handler
    assert server.refused, "the server saw no refused handshake"
    assert "my-client-secret" not in str(caught.value)


def test_a_certificate_the_server_does_not_trust_fails(
    certificates: Certificates, server: MutualTlsServer
) -> None:
    with pytest.raises(CyberSource.ApiConnectionError):
        create_token(
            certificates,
            server.url,
            cert_file=certificates["stranger.pem"],
            key_file=certificates["stranger.key"],
        )
    server.stop()
    assert server.presented == []
    assert server.refused
