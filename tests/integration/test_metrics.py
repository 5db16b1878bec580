"""/metrics (CONTRACT section 6; app/domain/system/metrics.py): served only to
MOMENTUM_METRICS_ALLOW (default loopback), and under `momentum serve --workers 2` the
sum of every worker's counters, labelled by instance."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.helpers import with_client_address
from tests.servers import AppServer, RedisServer, redis_missing

SERIES = re.compile(
    r'^momentum_requests_total\{instance="([^"]*)",method="GET",route="([^"]*)",status="(\d+)"\} (\d+)$'
)


def total(text: str, route: str) -> int:
    return sum(int(m[4]) for line in text.splitlines() if (m := SERIES.match(line)) and m[2] == route)


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1"])
def test_loopback_may_read_metrics_by_default(app: Any, new_client: Any, address: str) -> None:
    c = new_client(with_client_address(app, address))
    r = c.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert "# TYPE momentum_requests_total counter" in r.text


@pytest.mark.parametrize("address", ["192.0.2.10", "10.1.2.3", "2001:db8::1", "testclient"])
def test_other_addresses_get_404(app: Any, new_client: Any, address: str) -> None:
    c = new_client(with_client_address(app, address))
    r = c.get("/metrics")
    assert r.status_code == 404
    assert "momentum_requests_total" not in r.text


@pytest.fixture()
def monitoring_app(settings: Any, portal: Any) -> Iterator[Any]:
    """MOMENTUM_METRICS_ALLOW=10.9.0.0/16 behind MOMENTUM_TRUSTED_PROXIES=127.0.0.1."""
    from app.asgi import create_app
    from app.lib.cache import setup_cache
    from tests.support import _OnPortal

    app = create_app(dataclasses.replace(
        settings,
        metrics_allow=(ipaddress.ip_network("10.9.0.0/16"),),
        trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),),
        instance_name="box-a:8000",
    ))
    with _OnPortal(app, portal):
        yield app
    setup_cache(settings.cache_url)


def test_the_allow_list_applies_to_the_client_behind_a_trusted_proxy(monitoring_app: Any, new_client: Any) -> None:
    via_proxy = new_client(with_client_address(monitoring_app, "127.0.0.1"))
    # The proxy itself is no longer allowed (not in the list) ...
    assert via_proxy.get("/metrics").status_code == 404
    # ... a Prometheus at 10.9.0.4 behind it is, and an outsider claiming 10.9.0.4 on the left is not.
    r = via_proxy.get("/metrics", headers={"X-Forwarded-For": "10.9.0.4"})
    assert r.status_code == 200
    assert 'instance="box-a:8000"' in r.text
    assert via_proxy.get("/metrics", headers={"X-Forwarded-For": "10.9.0.4, 203.0.113.5"}).status_code == 404
    direct = new_client(with_client_address(monitoring_app, "10.9.0.4"))
    assert direct.get("/metrics", headers={"X-Forwarded-For": "10.9.0.4"}).status_code == 200


def test_in_process_counts_are_exact(app: Any, new_client: Any) -> None:
    c = new_client(with_client_address(app, "127.0.0.1"))
    before = total(c.get("/metrics").text, "/readyz")
    for _ in range(7):
        assert c.get("/readyz").status_code == 200
    assert total(c.get("/metrics").text, "/readyz") == before + 7


# ------------------------------------------------------------------ a real server, two workers

_missing = redis_missing()


@pytest.mark.servers
@pytest.mark.own_servers
@pytest.mark.skipif(_missing is not None, reason=_missing or "")
def test_two_workers_are_summed_exactly_and_labelled_by_instance() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="momentum-metrics-test-"))
    shared = tmp / "metrics"
    redis = RedisServer().start()
    server = AppServer(
        f"sqlite+aiosqlite:///{tmp / 'm.db'}", redis.url, workers=2, migrate_first=True,
        extra_env={"MOMENTUM_INSTANCE_NAME": "test-box:1", "MOMENTUM_METRICS_DIR": str(shared)},
    )
    try:
        server.start()
        sent = 0

        def hit(_: int) -> int:
            # A connection per request, so the kernel hands them to both workers.
            return httpx.get(f"{server.base_url}/readyz", timeout=30).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(20):
                statuses = list(pool.map(hit, range(20)))
                assert statuses == [200] * 20
                sent += 20
                time.sleep(0.6)  # one flush interval: let both workers write their snapshot
                if len(list(shared.glob("*.json"))) >= 2:
                    break
        assert len(list(shared.glob("*.json"))) == 2, "both workers served requests"

        def scrape() -> str:
            r = httpx.get(f"{server.base_url}/metrics", timeout=30)
            assert r.status_code == 200
            return r.text

        deadline = time.monotonic() + 5
        while total(scrape(), "/readyz") != sent and time.monotonic() < deadline:
            time.sleep(0.1)
        text = scrape()
        assert total(text, "/readyz") == sent
        instances = {m[1] for line in text.splitlines() if (m := SERIES.match(line))}
        assert instances == {"test-box:1"}
        time.sleep(1.2)  # a later scrape does not count anything twice
        assert total(scrape(), "/readyz") == sent
    finally:
        server.close()
        redis.close()
