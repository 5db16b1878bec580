"""MOMENTUM_TRUSTED_PROXIES: whose X-Forwarded-For counts (CONTRACT section 6;
app/lib/client_address.py)."""

from __future__ import annotations

import ipaddress

import pytest

from app.lib.client_address import in_networks, parse_address, resolve_client
from app.settings import LOOPBACK, Settings, SettingsError

TRUSTED = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))


@pytest.mark.parametrize(
    ("peer", "header", "client"),
    [
        # No trusted proxy in front: the header is never read.
        ("203.0.113.9", ["1.2.3.4"], "203.0.113.9"),
        # A trusted proxy: the right-most address that is not a trusted proxy.
        ("10.0.0.5", ["1.2.3.4"], "1.2.3.4"),
        ("10.0.0.5", ["6.6.6.6, 1.2.3.4"], "1.2.3.4"),
        ("10.0.0.5", ["6.6.6.6, 1.2.3.4, 10.0.0.7"], "1.2.3.4"),
        ("10.0.0.5", ["6.6.6.6", "1.2.3.4, 10.0.0.7"], "1.2.3.4"),  # several header lines, in order
        ("10.0.0.5", ["2001:db8::1"], "2001:db8::1"),
        ("fd00::1", ["[2001:db8::2]:443"], "2001:db8::2"),
        ("10.0.0.5", ["1.2.3.4:5678"], "1.2.3.4"),
        ("10.0.0.5", ["::ffff:1.2.3.4"], "1.2.3.4"),
        # No header, an empty one, or only trusted hops.
        ("10.0.0.5", [], "10.0.0.5"),
        ("10.0.0.5", [" , "], "10.0.0.5"),
        ("10.0.0.5", ["10.0.0.8, 10.0.0.7"], "10.0.0.8"),
        # Garbage written by a misconfigured proxy: stop at the last hop we could trust.
        ("10.0.0.5", ["1.2.3.4, unknown"], "10.0.0.5"),
        ("10.0.0.5", ["unknown, 10.0.0.7"], "10.0.0.7"),
        # The peer is not an IP at all (a unix socket, a test client).
        ("testclient", ["1.2.3.4"], "testclient"),
        (None, ["1.2.3.4"], None),
    ],
)
def test_the_right_most_untrusted_hop_is_the_client(peer: str | None, header: list[str], client: str | None) -> None:
    assert resolve_client(peer, header, TRUSTED) == client


def test_with_no_trusted_proxies_even_a_loopback_peer_keeps_its_address() -> None:
    assert resolve_client("127.0.0.1", ["1.2.3.4"], ()) == "127.0.0.1"


def test_parse_address_and_networks() -> None:
    assert str(parse_address(" 1.2.3.4 ")) == "1.2.3.4"
    assert parse_address("not-an-ip") is None
    assert in_networks("127.0.0.1", LOOPBACK)
    assert in_networks("::1", LOOPBACK)
    assert not in_networks("192.0.2.1", LOOPBACK)
    assert not in_networks(None, LOOPBACK)


def test_settings_read_the_cidr_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOMENTUM_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1 ,fd00::/8")
    monkeypatch.setenv("MOMENTUM_METRICS_ALLOW", "10.9.0.0/16")
    monkeypatch.setenv("MOMENTUM_INSTANCE_NAME", "box-a")
    s = Settings.from_env()
    assert [str(n) for n in s.trusted_proxies] == ["10.0.0.0/8", "192.168.1.1/32", "fd00::/8"]
    assert [str(n) for n in s.metrics_allow] == ["10.9.0.0/16"]
    assert s.instance_name == "box-a"


def test_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MOMENTUM_TRUSTED_PROXIES", "MOMENTUM_METRICS_ALLOW", "MOMENTUM_INSTANCE_NAME"):
        monkeypatch.delenv(name, raising=False)
    s = Settings.from_env()
    assert s.trusted_proxies == ()
    assert [str(n) for n in s.metrics_allow] == ["127.0.0.0/8", "::1/128"]
    assert s.instance_name  # the host name


def test_a_bad_cidr_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOMENTUM_TRUSTED_PROXIES", "10.0.0.0/8,nonsense")
    with pytest.raises(SettingsError, match="MOMENTUM_TRUSTED_PROXIES must be comma-separated CIDRs"):
        Settings.from_env()
