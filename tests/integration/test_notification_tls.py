"""E-mail over TLS (docs/notifications.md, "E-mail"): `smtp://…?starttls=1` upgrades the
connection before anything is sent, `smtps://` speaks TLS from the first byte, and both
verify the server's certificate — against a local aiosmtpd with a certificate made for
the test (openssl), trusted through SSL_CERT_FILE as an operator's own CA would be."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.integration.test_notification_email import Sink, config, emailed_at, notice, sweep
from tests.servers import free_port

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificate")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


def _context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return context


class TlsSink(Sink):
    """Records, with each message, whether the session it came in on was encrypted."""

    def __init__(self) -> None:
        super().__init__()
        self.encrypted: list[bool] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        # STARTTLS: the session records the upgrade; smtps: the transport was TLS from the start.
        transport = getattr(server, "transport", None)
        implicit = transport is not None and transport.get_extra_info("ssl_object") is not None
        self.encrypted.append(session.ssl is not None or implicit)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture()
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[TlsSink, int]]:
    sink, port = TlsSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, tls_context=_context(certificate),
                            require_starttls=True)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@pytest.fixture()
def smtps_server(certificate: tuple[Path, Path]) -> Iterator[tuple[TlsSink, int]]:
    sink, port = TlsSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, ssl_context=_context(certificate))
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def test_starttls_sends_encrypted(
    app: Any, portal: Any, settings: Any, make_user: Any, certificate: tuple[Path, Path],
    starttls_server: tuple[TlsSink, int], monkeypatch: pytest.MonkeyPatch,
) -> None:
    sink, port = starttls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    u = make_user()
    nid = notice(settings, u.id, "Sent after STARTTLS")
    sweep(app, portal, config(port, url=f"smtp://127.0.0.1:{port}?starttls=1"))
    assert len(sink.to(u.email)) == 1
    assert sink.encrypted and all(sink.encrypted)
    assert emailed_at(settings, nid) is not None


def test_smtps_sends_encrypted(
    app: Any, portal: Any, settings: Any, make_user: Any, certificate: tuple[Path, Path],
    smtps_server: tuple[TlsSink, int], monkeypatch: pytest.MonkeyPatch,
) -> None:
    sink, port = smtps_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    u = make_user()
    notice(settings, u.id, "Sent over smtps")
    sweep(app, portal, config(port, url=f"smtps://127.0.0.1:{port}"))
    assert len(sink.to(u.email)) == 1
    assert sink.encrypted and all(sink.encrypted)


def test_an_untrusted_certificate_sends_nothing_and_the_notice_waits(
    app: Any, portal: Any, settings: Any, make_user: Any, certificate: tuple[Path, Path],
    smtps_server: tuple[TlsSink, int], monkeypatch: pytest.MonkeyPatch,
) -> None:
    sink, port = smtps_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # the system's CAs only: the test certificate is unknown
    u = make_user()
    nid = notice(settings, u.id, "Never in clear, never to an impostor")
    sweep(app, portal, config(port, url=f"smtps://127.0.0.1:{port}"))
    assert sink.to(u.email) == []
    assert emailed_at(settings, nid) is None  # left for a later sweep, not lost
    # Trusted now (the operator installed the CA): the next sweep delivers it.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    sweep(app, portal, config(port, url=f"smtps://127.0.0.1:{port}"))
    assert len(sink.to(u.email)) == 1
