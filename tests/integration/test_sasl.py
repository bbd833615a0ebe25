"""SASL PLAIN authentication for the binary protocol (-S). The reference memcached gets
its users from a Cyrus sasldb made with saslpasswd2 (Debian's memcached has no pwdb
support); rat_memcached from a user:password file (--sasl-pwdb or MEMCACHED_SASL_PWDB).
The same bytes go to both and the replies must be identical."""

import os
import subprocess
import tempfile

import pylibmc
import pytest

from binary_protocol import parse, request, set_extras
from conftest import MEMCACHED, Server, free_port, read_until_idle, start_rat

USER = "alice"
PASSWORD = "s3cret pass"


def plain(user, password, authzid=""):
    return f"{authzid}\0{user}\0{password}".encode()


@pytest.fixture(scope="module")
def servers():
    folder = tempfile.mkdtemp(prefix="rmc_sasl_")
    with open(os.path.join(folder, "memcached.conf"), "w") as conf:
        conf.write(f"mech_list: plain\nsasldb_path: {folder}/sasldb2\n")
    subprocess.run(["saslpasswd2", "-p", "-a", "memcached", "-c", "-f", f"{folder}/sasldb2", USER],
                   input=PASSWORD.encode(), check=True)
    pwdb = os.path.join(folder, "pwdb")
    with open(pwdb, "w") as f:
        f.write(f"bob:other\n{USER}:{PASSWORD}\n")
    port = free_port()
    mc = Server([MEMCACHED, "-u", "root", "-p", str(port), "-l", "127.0.0.1", "-U", "0", "-S"], port,
                "memcached")
    os.environ["SASL_CONF_PATH"] = folder
    try:
        mc.start()
    finally:
        del os.environ["SASL_CONF_PATH"]
    rat = start_rat("-S", "--sasl-pwdb", pwdb)
    yield mc, rat
    mc.stop()
    rat.stop()


def exchange(server, data):
    with server.connect(timeout=10) as s:
        s.sendall(data)
        return read_until_idle(s, idle=0.7, timeout=10)


GOOD = request("sasl_auth", "PLAIN", value=plain(USER, PASSWORD), opaque=1)
CASES = {
    "unauthenticated_get_closes": request("get", "k") + request("noop"),
    "unauthenticated_noop_closes": request("noop"),
    "version_allowed": request("version", opaque=3) + request("get", "k"),
    "list_mechanisms": request("sasl_list", opaque=4),
    "good_password": GOOD + request("set", "sasl_k", set_extras(7), b"v") + request("getk", "sasl_k"),
    "wrong_password": request("sasl_auth", "PLAIN", value=plain(USER, "nope")) + request("get", "k"),
    "unknown_user": request("sasl_auth", "PLAIN", value=plain("carol", PASSWORD)) + request("noop"),
    "retry_after_failure": request("sasl_auth", "PLAIN", value=plain(USER, "nope")) + GOOD +
    request("noop", opaque=9),
    "authzid_same_user": request("sasl_auth", "PLAIN", value=plain(USER, PASSWORD, USER)) + request("noop"),
    "authzid_other_user": request("sasl_auth", "PLAIN", value=plain(USER, PASSWORD, "bob")) + request("noop"),
    "plain_without_nuls": request("sasl_auth", "PLAIN", value=b"alice") + request("noop"),
    "unknown_mechanism": request("sasl_auth", "CRAM-MD5", value=b"x") + request("noop"),
    "long_mechanism_name": request("sasl_auth", "M" * 40, value=b"abc") + request("version"),
    "step_without_start": request("sasl_step", "PLAIN", value=plain(USER, PASSWORD)) + request("noop"),
    "plain_in_two_steps": request("sasl_auth", "PLAIN") +
    request("sasl_step", "PLAIN", value=plain(USER, PASSWORD)) + request("noop", opaque=5),
    "text_protocol_refused": b"version\r\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_replies_as_memcached(servers, name):
    mc, rat = servers
    expected = exchange(mc, CASES[name])
    got = exchange(rat, CASES[name])
    assert parse(got[0]) == parse(expected[0])
    assert got == expected


def test_auth_stats(servers):
    _, rat = servers
    exchange(rat, request("sasl_auth", "PLAIN", value=plain(USER, "bad")))
    with rat.connect(timeout=10) as s:
        s.sendall(GOOD + request("stat"))
        reply, _ = read_until_idle(s, idle=0.7, timeout=10)
    packets, _ = parse(reply)
    stats = {p.key.decode(): p.value.decode() for p in packets[1:-1]}
    assert int(stats["auth_cmds"]) >= 2
    assert int(stats["auth_errors"]) >= 1


def test_settings_show_sasl(servers):
    _, rat = servers
    with rat.connect(timeout=10) as s:
        s.sendall(GOOD + request("stat", "settings"))
        reply, _ = read_until_idle(s, idle=0.7, timeout=10)
    stats = {p.key.decode(): p.value.decode() for p in parse(reply)[0][1:-1]}
    assert stats["auth_enabled_sasl"] == "yes"
    assert stats["binding_protocol"] == "binary"


def test_pylibmc_with_sasl(servers):
    _, rat = servers
    client = pylibmc.Client([rat.address], binary=True, username=USER, password=PASSWORD)
    client.set("sasl_pylibmc", "value")
    assert client.get("sasl_pylibmc") == "value"
    assert client.incr("sasl_counter", 1) if client.add("sasl_counter", "1") else True
    bad = pylibmc.Client([rat.address], binary=True, username=USER, password="wrong")
    with pytest.raises(pylibmc.Error):
        bad.set("sasl_pylibmc", "other")
    assert client.get("sasl_pylibmc") == "value"


def test_password_file_is_read_at_each_authentication(tmp_path):
    pwdb = tmp_path / "pwdb"
    pwdb.write_text("dave:first\n")
    rat = start_rat("-S", "--sasl-pwdb", str(pwdb))
    try:
        auth = lambda pw: parse(exchange(rat, request("sasl_auth", "PLAIN", value=plain("dave", pw)))[0])[0][0]
        assert auth("first").status == 0
        pwdb.write_text("dave:second:extra-field\n")
        assert auth("first").status == 0x20
        assert auth("second").status == 0
        pwdb.unlink()  # gone: nobody gets in, as with memcached's pwdb
        assert auth("second").status == 0x20
    finally:
        rat.stop()


@pytest.mark.parametrize("args, message", [
    (["-S"], "no password file"),
    (["-S", "-B", "ascii", "--sasl-pwdb", "/dev/null"], "ASCII protocol while using SASL"),
    (["-S", "--sasl-pwdb", "/nonexistent/pwdb"], "cannot be read"),
    (["-Y", "/dev/null", "-B", "binary"], "BINARY protocol while using ascii"),
    (["-B", "udp"], "not a protocol"),
])
def test_bad_sasl_configuration_is_refused(args, message):
    env = dict(os.environ)
    env.pop("MEMCACHED_SASL_PWDB", None)
    result = subprocess.run([rat_binary()] + args + ["-p", str(free_port())], capture_output=True,
                            text=True, timeout=30, env=env)
    assert result.returncode != 0
    assert message in result.stderr


def test_sasl_pwdb_from_the_environment(tmp_path):
    pwdb = tmp_path / "pwdb"
    pwdb.write_text("erin:pw\n")
    os.environ["MEMCACHED_SASL_PWDB"] = str(pwdb)
    try:
        rat = start_rat("-S")
    finally:
        del os.environ["MEMCACHED_SASL_PWDB"]
    try:
        packets, _ = parse(exchange(rat, request("sasl_auth", "PLAIN", value=plain("erin", "pw")))[0])
        assert packets[0].status == 0 and packets[0].value == b"Authenticated"
    finally:
        rat.stop()


def rat_binary():
    from conftest import RMC_BINARY
    return RMC_BINARY
