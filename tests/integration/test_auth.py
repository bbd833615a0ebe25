"""memcached's ASCII authentication (-Y/--auth-file): the same bytes to memcached 1.6.18
and rat_memcached, both started with the same password file, byte-identical replies."""

import os
import signal
import subprocess
import tempfile
import time

import pytest
from pymemcache.client.base import Client

from conftest import RMC_BINARY, read_until_idle, start_memcached, start_rat

SENTINEL = b"version\r\n"
SENTINEL_REPLY = b"VERSION 1.6.18\r\n"


@pytest.fixture(scope="module")
def auth_file():
    handle = tempfile.NamedTemporaryFile("w", suffix=".auth", delete=False)
    handle.write("alice:wonderland\nbob:builder\r\n")
    handle.close()
    yield handle.name
    os.unlink(handle.name)


def stop(server):
    # memcached takes a second to stop gracefully; its shutdown is not under test.
    server.stop(sig=signal.SIGKILL if server.name == "memcached" else signal.SIGTERM)


def exchange(server, data, until=SENTINEL_REPLY):
    with server.connect() as s:
        s.sendall(data)
        reply, closed = read_until_idle(s, idle=0.5, timeout=10, until=until)
    return reply, closed


CASES = {
    "refused_before_auth": b"get a\r\nversion\r\nstats\r\nset a 0 0\r\n",
    "good_login_then_normal_protocol": b"set x 0 0 16\r\nalice wonderland\r\nset a 0 0 1\r\n1\r\nget a\r\n",
    "second_user_crlf_file": b"set x 0 0 11\r\nbob builder\r\nget a\r\n",
    "wrong_password_then_retry": b"set x 0 0 10\r\nalice nope\r\nget a\r\nset x 0 0 16\r\nalice wonderland\r\n",
    "bad_termination": b"set x 0 0 3\r\nabcde\r\n",
    "one_token": b"set x 0 0 5\r\nalice\r\nget a\r\n",
    "extra_tokens_ignored": b"set x 0 0 20\r\nalice wonderland zzz\r\n",
    "length_not_a_number": b"set x 0 0 abc\r\nget a\r\n",
    "unknown_user": b"set x 0 0 9\r\nmallory x\r\n",
}


def both_servers(auth_file, talk):
    """(memcached's, rat_memcached's) result of `talk(server)`, each server started with
    `-Y auth_file`."""
    replies = []
    for start in (start_memcached, start_rat):
        server = start("-Y", auth_file)
        try:
            replies.append(talk(server))
        finally:
            stop(server)
    return replies


def exchange_packets(server, packets):
    """Sends each packet separately (memcached answers once per read before login)."""
    import time
    with server.connect() as s:
        for packet in packets:
            s.sendall(packet)
            time.sleep(0.15)
        reply, closed = read_until_idle(s, idle=0.5, timeout=10)
    return reply, closed


PACKETS = {
    "one_reply_per_read": [b"get a\r\n", b"version\r\n", b"get a\r\nversion\r\n"],
    "fail_then_login": [b"set x 0 0 10\r\nalice nope\r\n", b"set x 0 0 16\r\nalice wonderland\r\n",
                        b"get a\r\n"],
    "split_login": [b"set x 0 0 16\r\n", b"alice wonderland\r\n", b"get a\r\nversion\r\n"],
    "token_format_then_refused": [b"set x 0 0 5\r\nalice\r\n", b"get a\r\n"],
}


@pytest.mark.parametrize("name", sorted(PACKETS))
def test_same_replies_packet_by_packet(auth_file, name):
    expected, actual = both_servers(auth_file, lambda server: exchange_packets(server, PACKETS[name]))
    assert actual == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_replies_as_memcached(auth_file, name):
    data = CASES[name] + SENTINEL
    # Before a login memcached may answer only the last line of a read: wait for silence,
    # not for the sentinel's reply.
    expected, actual = both_servers(auth_file, lambda server: exchange(server, data, until=None))
    assert actual == expected


def test_counters_and_settings(auth_file):
    rat = start_rat("-Y", auth_file)
    try:
        exchange(rat, b"set x 0 0 10\r\nalice nope\r\nset x 0 0 16\r\nalice wonderland\r\n" + SENTINEL)
        with rat.connect() as s:
            s.sendall(b"set x 0 0 11\r\nbob builder\r\nstats\r\n")
            stats, _ = read_until_idle(s, idle=0.5, timeout=10, until=b"END\r\n")
            s.sendall(b"stats settings\r\n")
            settings, _ = read_until_idle(s, idle=0.5, timeout=10, until=b"END\r\n")
        assert b"STAT auth_cmds 3\r\n" in stats and b"STAT auth_errors 1\r\n" in stats
        assert b"STAT auth_enabled_ascii " + auth_file.encode() + b"\r\n" in settings
    finally:
        rat.stop()


def test_pymemcache_cannot_use_the_cache_unauthenticated(auth_file):
    rat = start_rat("-Y", auth_file)
    try:
        client = Client(("127.0.0.1", rat.port), timeout=5)
        with pytest.raises(Exception):
            client.get("a")
        client.close()
    finally:
        rat.stop()


def test_long_junk_line_closes_like_memcached(auth_file):
    expected, actual = both_servers(auth_file, lambda server: exchange(server, b"x" * 3000, until=None))
    assert actual == expected == (b"", True)


@pytest.mark.parametrize("text, fragment", [("nocolon\n", "malformed"), ("", "no user:password")])
def test_bad_auth_file_is_a_config_error(text, fragment):
    handle = tempfile.NamedTemporaryFile("w", suffix=".auth", delete=False)
    handle.write(text)
    handle.close()
    try:
        result = subprocess.run([RMC_BINARY, "-Y", handle.name, "--no-l2", "-p", "0"],
                                capture_output=True, text=True, timeout=10)
        assert result.returncode == 2
        assert handle.name in result.stderr and fragment in result.stderr
    finally:
        os.unlink(handle.name)


def test_sighup_reloads_the_password_file_and_keeps_it_on_errors():
    handle = tempfile.NamedTemporaryFile("w", suffix=".auth", delete=False)
    handle.write("alice:wonderland\n")
    handle.close()
    rat = start_rat("-Y", handle.name)
    login_bob = b"set x 0 0 11\r\nbob builder\r\n"
    try:
        assert exchange(rat, login_bob, until=None)[0] == b"CLIENT_ERROR authentication failure\r\n"
        with open(handle.name, "w") as f:
            f.write("bob:builder\n")
        rat.process.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while exchange(rat, login_bob, until=None)[0] != b"STORED\r\n":
            assert time.time() < deadline, "SIGHUP did not reload the file"
            time.sleep(0.1)
        with open(handle.name, "w") as f:
            f.write("malformed line\n")
        rat.process.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert rat.alive()
        assert exchange(rat, login_bob, until=None)[0] == b"STORED\r\n", "a bad edit keeps the old entries"
    finally:
        rat.stop()
        os.unlink(handle.name)


def test_sighup_without_auth_file_does_not_stop_the_server():
    rat = start_rat()
    try:
        rat.process.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        assert rat.alive()
        assert exchange(rat, SENTINEL)[0] == SENTINEL_REPLY
    finally:
        rat.stop()
