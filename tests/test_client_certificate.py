"""CyberSource's token endpoint requires mutual TLS: the package presents a client certificate.

A loopback HTTPS server requires a client certificate and verifies it against a
throwaway CA; every certificate and key is made with the ``openssl`` CLI in a
temporary folder. The server answers the spec's 200 example and records the
certificate each connection presented, so the tests show which certificate the
package sent, not only that a call succeeded.
"""

from __future__ import annotations

import json
import shutil
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import CyberSource
import pytest
import yaml
from certificates import issue, make_ca
from mock_servers import spec_path
from servers import ThreadedServer, TokenAnswerHandler, server_tls

# Every test runs with the blocking classes and with the aio ones (conftest.driver).
pytestmark = [
    pytest.mark.usefixtures("driver"),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl CLI"),
]

CLIENT_CN = "tokenworks-partner"


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


class MutualTlsServer(ThreadedServer):
    """HTTPS on 127.0.0.1 that requires a client certificate signed by the CA; what it saw:
    the DER certificate of each request (``presented``) and refused handshakes (``refused``).

    ``stop()`` returns once the server finished with every connection it accepted,
    so what it recorded is complete.
    """

    def __init__(self, certificates: Certificates) -> None:
        self.presented: list[bytes] = []
        tls = server_tls(
            certificates["server.pem"], certificates["server.key"], certificates["ca.pem"]
        )
        super().__init__(_Handler, self, tls=tls, join_handlers=True)

    def stop(self) -> None:
        self.close()


class _Handler(TokenAnswerHandler):
    protocol_version = "HTTP/1.0"
    content_type = "application/json;charset=utf-8"

    def record(self) -> None:
        assert isinstance(self.connection, ssl.SSLSocket)
        self.server.state.presented.append(self.connection.getpeercert(binary_form=True) or b"")

    def answer(self) -> bytes:
        return json.dumps(success_example()).encode()


@pytest.fixture()
def server(certificates: Certificates) -> Iterator[MutualTlsServer]:
    record = MutualTlsServer(certificates)
    try:
        yield record
    finally:
        record.stop()


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
