"""--metrics-port (issue #6): Prometheus metrics scraped over HTTP from the real server,
every numeric statistic of "stats" and "stats tiers" present with its value; the status
page loaded in a real headless browser (Debian's chromium), its live figures read back."""

import json
import re
import shutil
import socket
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import RMC_BINARY, free_port, read_until_idle, start_rat

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def command(server, data, until=b"END\r\n"):
    with server.connect(timeout=10) as s:
        s.sendall(data)
        reply, _ = read_until_idle(s, idle=5.0, timeout=10, until=until)
        return reply


def stats(server, sub=b""):
    reply = command(server, b"stats" + (b" " + sub if sub else b"") + b"\r\n")
    return {line.split(b" ")[1].decode(): line.split(b" ", 2)[2].decode()
            for line in reply.split(b"\r\n") if line.startswith(b"STAT ")}


def fetch(port, path, method="GET"):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.headers, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def parse_prometheus(text):
    """{metric: value} from the samples (labels dropped), {metric: type} from the TYPE lines."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
        elif line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name.split("{")[0]] = value
    return samples, types


@pytest.fixture
def server():
    metrics_port = free_port()
    rat = start_rat("--metrics-port", metrics_port)
    rat.metrics_port = metrics_port
    yield rat
    assert rat.stop() == 0


def test_metrics_carry_every_numeric_statistic(server):
    for i in range(10):
        assert command(server, b"set key%d 0 0 5\r\nvalue\r\n" % i, b"\r\n") == b"STORED\r\n"
    command(server, b"get key1 key2 nokey\r\n")
    status, headers, text = fetch(server.metrics_port, "/metrics")
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples, types = parse_prometheus(text)
    assert set(samples) <= set(types)  # every sample typed
    general, tiers = stats(server), stats(server, b"tiers")
    # Figures that do not move between the scrape and the stats call.
    for name in ["cmd_get", "cmd_set", "get_hits", "get_misses", "curr_items", "total_items",
                 "limit_maxbytes", "threads", "evictions", "l1_items", "l1_bytes", "l2_limit_maxbytes"]:
        value = {**general, **tiers}[name]
        metric = f"ratmemcache_{name}_total" if f"ratmemcache_{name}_total" in samples else f"ratmemcache_{name}"
        assert samples[metric] == value, name
    assert samples["ratmemcache_get_hits_total"] == "2" and samples["ratmemcache_curr_items"] == "10"
    assert types["ratmemcache_cmd_get_total"] == "counter"
    assert types["ratmemcache_curr_items"] == "gauge"
    assert samples["ratmemcache_l2_enabled"] == "1"
    # Every statistic is there: numeric ones as samples, text ones as build_info labels.
    for name, value in {**general, **tiers}.items():
        if re.fullmatch(r"\d+(\.\d+)?|yes|no", value):
            assert f"ratmemcache_{name}" in samples or f"ratmemcache_{name}_total" in samples, name
        else:
            assert f'{name}="{value}"' in text, name


def test_status_json_bad_requests_and_the_cache_port_unaffected(server):
    command(server, b"set a 0 0 1\r\nx\r\n", b"\r\n")
    status, headers, body = fetch(server.metrics_port, "/status.json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    figures = json.loads(body)
    assert figures["curr_items"] == 1 and figures["version"] == "1.6.18"
    assert fetch(server.metrics_port, "/nope")[0] == 404
    assert fetch(server.metrics_port, "/metrics", method="POST")[0] == 405
    status, headers, body = fetch(server.metrics_port, "/metrics", method="HEAD")
    assert status == 200 and body == "" and int(headers["Content-Length"]) > 1000
    with socket.create_connection(("127.0.0.1", server.metrics_port), timeout=5) as s:
        s.sendall(b"\x00\xffgarbage\r\n\r\n")
        reply, closed = read_until_idle(s, idle=2, timeout=5)
        assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n") and closed
    # memcached clients on the cache port see nothing of it.
    assert command(server, b"get a\r\n") == b"VALUE a 0 1\r\nx\r\nEND\r\n"


def test_status_page_in_a_headless_browser_shows_live_figures(server):
    for i in range(7):
        command(server, b"set page%d 0 0 3\r\nabc\r\n" % i, b"\r\n")
    command(server, b"get page0 page1 page2 missing\r\n")  # 3 hits, 1 miss: 75.0%
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=4000",
         "--dump-dom", f"http://127.0.0.1:{server.metrics_port}/"],
        capture_output=True, text=True, timeout=120).stdout

    def figure(name):
        match = re.search(rf'id="v-{name}">([^<]*)<', dom)
        assert match, f"{name} not on the page: {dom[:2000]}"
        return match.group(1)

    assert figure("curr_items") == "7"
    assert figure("hit_ratio") == "75.0%"
    assert figure("cmd_get") == "4"
    assert figure("l2_enabled") == "yes"
    assert figure("l1_items") == "7"
    assert figure("limit_maxbytes") == stats(server)["limit_maxbytes"]
    assert int(figure("curr_connections")) >= 0
    refreshes = re.search(r'data-refreshes="(\d+)"', dom)
    assert refreshes and int(refreshes.group(1)) >= 2, "the page did not refresh itself"


def test_metrics_port_errors():
    for value, message in [("70000", "--metrics-port"), ("x", "--metrics-port")]:
        result = subprocess.run([RMC_BINARY, "--metrics-port", value, "-p", str(free_port())],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode != 0 and message in result.stderr
    # A port already taken: the server says which address and exits.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([RMC_BINARY, "--no-l2", "--metrics-port", str(port), "-p", str(free_port())],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode != 0 and str(port) in result.stderr
