"""TLS as memcached does it (-Z with -o ssl_chain_cert/ssl_key/...): clients with Python's
ssl module and pymemcache against certificates made by the test with openssl; the same
byte sequences against the real memcached (Debian's is built with TLS) over TLS."""

import os
import socket
import ssl
import subprocess
import time

import pytest
from pymemcache.client.base import Client

from conftest import RMC_BINARY, free_port, read_until_idle, start_memcached, start_rat, stats_of


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_key_and_cert(folder, name, subject, ca=None):
    """A P-256 key and a certificate for `subject`, self-signed or signed by `ca`
    (a (cert, key) pair). Returns (cert path, key path)."""
    key, cert = os.path.join(folder, name + ".key"), os.path.join(folder, name + ".pem")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key, cwd=folder)
    if ca is None:
        openssl("req", "-x509", "-new", "-key", key, "-out", cert, "-days", "2", "-subj", subject, cwd=folder)
    else:
        csr = os.path.join(folder, name + ".csr")
        openssl("req", "-new", "-key", key, "-out", csr, "-subj", subject, cwd=folder)
        openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
                "-out", cert, "-days", "2", cwd=folder)
    return cert, key


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("tls"))
    ca = make_key_and_cert(folder, "ca", "/CN=rmc test CA")
    server = make_key_and_cert(folder, "server", "/CN=localhost", ca=ca)
    other = make_key_and_cert(folder, "other", "/CN=second server certificate", ca=ca)
    client = make_key_and_cert(folder, "client", "/CN=a client", ca=ca)
    stranger = make_key_and_cert(folder, "stranger", "/CN=not from the CA")
    return {"dir": folder, "ca": ca, "server": server, "other": other, "client": client,
            "stranger": stranger}


def client_context(certs=None, client=None, maximum=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    if certs is None:
        context.verify_mode = ssl.CERT_NONE
    else:
        context.load_verify_locations(certs["ca"][0])
    if client is not None:
        context.load_cert_chain(*client)
    if maximum is not None:
        context.maximum_version = maximum
    return context


def tls_connect(server, context=None, timeout=5.0):
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    return (context or client_context()).wrap_socket(raw)


def tls_args(certs, extra=""):
    cert, key = certs["server"]
    return ["-Z", "-o", f"ssl_chain_cert={cert},ssl_key={key}" + extra]


def converse_tls(server, data, until=None):
    with tls_connect(server) as s:
        s.sendall(data)
        reply, _ = read_until_idle(s, until=until)
        return reply


def tls_stats(server, sub=b""):
    return stats_of(server, sub, connect=lambda: tls_connect(server))


SEQUENCES = [
    b"set a 5 0 3\r\nabc\r\nget a\r\n",
    b"add a 0 0 1\r\nx\r\nappend a 0 0 2\r\nde\r\ngets a\r\n",
    b"incr n 1\r\nset n 0 0 1\r\n7\r\nincr n 5\r\ndecr n 100\r\n",
    b"mn\r\nms m 2 T0\r\nhi\r\nmg m v f t\r\nmd m q\r\nmg m v\r\nmn\r\n",
    b"get " + b"k" * 251 + b"\r\n",
    b"bogus command\r\n",
    b"refresh_certs noreply\r\nversion\r\n",
]


@pytest.fixture(scope="module")
def pair(certs):
    """rat_memcached and memcached, both with -Z and the same certificate."""
    rat = start_rat("--no-l2", *tls_args(certs))
    memcached = start_memcached(*tls_args(certs))
    yield rat, memcached
    rat.stop()
    memcached.stop()


@pytest.mark.parametrize("sequence", SEQUENCES)
def test_same_replies_as_memcached_over_tls(pair, sequence):
    rat, memcached = pair
    ours = converse_tls(rat, sequence)
    theirs = converse_tls(memcached, sequence)
    assert ours == theirs


def test_values_of_every_size_round_trip_with_pymemcache(pair):
    rat, _ = pair
    client = Client(("127.0.0.1", rat.port), tls_context=client_context(), timeout=10)
    values = {f"key{n}": os.urandom(n) for n in (0, 1, 100, 16383, 16384, 16385, 100000, 1000000)}
    for key, value in values.items():
        assert client.set(key, value, noreply=False)
    assert client.get_many(list(values)) == {k: v for k, v in values.items()}
    client.close()


def test_pipelined_requests_split_across_records(pair):
    rat, _ = pair
    with tls_connect(rat) as s:
        request = b"".join(b"set p%d 0 0 5\r\nvalue\r\n" % i for i in range(300)) + b"get p299\r\n"
        for i in range(0, len(request), 7):  # one TLS record per 7 bytes
            s.sendall(request[i:i + 7])
        reply, _ = read_until_idle(s, until=b"END\r\n", timeout=10)
    assert reply == b"STORED\r\n" * 300 + b"VALUE p299 0 5\r\nvalue\r\nEND\r\n"


def test_settings_and_stats_name_tls_as_memcached(pair):
    rat, memcached = pair
    ours, theirs = tls_stats(rat, b"settings"), tls_stats(memcached, b"settings")
    for name in ("ssl_enabled", "ssl_chain_cert", "ssl_key", "ssl_verify_mode", "ssl_keyformat",
                 "ssl_ciphers", "ssl_ca_cert", "ssl_session_cache", "ssl_min_version"):
        assert ours[name] == theirs[name], name
    assert {"ssl_handshake_errors", "time_since_server_cert_refresh"} <= set(tls_stats(rat))


def test_plain_text_client_on_a_tls_port_is_closed_without_a_reply(pair):
    rat, _ = pair
    before = int(tls_stats(rat)["ssl_handshake_errors"])
    with socket.create_connection(("127.0.0.1", rat.port), timeout=5) as plain:
        plain.sendall(b"version\r\n")
        reply, closed = read_until_idle(plain, timeout=5, until=b"\n")
    assert reply == b"" and closed
    assert int(tls_stats(rat)["ssl_handshake_errors"]) == before + 1
    assert converse_tls(rat, b"set ok 0 0 1\r\n1\r\n") == b"STORED\r\n"


def test_refresh_certs_serves_the_new_certificate_and_keeps_the_old_on_failure(certs, tmp_path):
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    for source, target in zip(certs["server"], (cert, key)):
        with open(source, "rb") as f, open(target, "wb") as g:
            g.write(f.read())
    rat = start_rat("--no-l2", "-Z", "-o", f"ssl_chain_cert={cert},ssl_key={key}")
    try:
        def served_certificate():
            with tls_connect(rat) as s:
                return s.getpeercert(binary_form=True)

        first = served_certificate()
        old_connection = tls_connect(rat)
        for source, target in zip(certs["other"], (cert, key)):
            with open(source, "rb") as f, open(target, "wb") as g:
                g.write(f.read())
        assert converse_tls(rat, b"refresh_certs\r\n") == b"OK\r\n"
        second = served_certificate()
        assert second != first
        assert int(tls_stats(rat)["time_since_server_cert_refresh"]) <= 2
        # Open connections keep working across the refresh.
        old_connection.sendall(b"version\r\n")
        assert read_until_idle(old_connection, until=b"\r\n")[0].startswith(b"VERSION ")
        old_connection.close()

        os.remove(cert)
        reply = converse_tls(rat, b"refresh_certs noreply\r\n")
        assert reply.startswith(b"Error loading the certificate chain: " + cert.encode() + b" : error:")
        assert reply.endswith(b"\r\n") and reply.count(b"\r\n") == 1
        assert served_certificate() == second
    finally:
        rat.stop()


def test_refresh_certs_without_tls_answers_as_memcached():
    rat = start_rat("--no-l2")
    memcached = start_memcached()
    try:
        ours = read_until_idle_reply(rat, b"refresh_certs\r\n")
        assert ours == read_until_idle_reply(memcached, b"refresh_certs\r\n") == b"Error TLS not enabled\r\n"
    finally:
        rat.stop()
        memcached.stop()


def read_until_idle_reply(server, data):
    with server.connect() as c:
        c.sendall(data)
        return read_until_idle(c, until=b"\r\n")[0]


def test_client_certificates_are_required_with_verify_mode_2(certs):
    rat = start_rat("--no-l2", *tls_args(certs, f",ssl_verify_mode=2,ssl_ca_cert={certs['ca'][0]}"))
    try:
        with tls_connect(rat, client_context(certs, client=certs["client"])) as s:
            s.sendall(b"version\r\n")
            assert read_until_idle(s, until=b"\r\n")[0].startswith(b"VERSION ")
        for client in (None, certs["stranger"]):
            with pytest.raises((ssl.SSLError, ConnectionError)):
                with tls_connect(rat, client_context(certs, client=client)) as s:
                    s.sendall(b"version\r\n")
                    if not s.recv(100):
                        raise ConnectionResetError("closed")
    finally:
        rat.stop()


def test_min_version_refuses_older_clients(certs):
    rat = start_rat("--no-l2", *tls_args(certs, ",ssl_min_version=3"))
    try:
        with pytest.raises(ssl.SSLError):
            tls_connect(rat, client_context(maximum=ssl.TLSVersion.TLSv1_2)).close()
        with tls_connect(rat) as s:
            assert s.version() == "TLSv1.3"
    finally:
        rat.stop()


@pytest.mark.parametrize("args, fragment", [
    (["-Z"], "ssl_chain_cert=FILE,ssl_key=FILE"),
    (["-o", "ssl_chain_cert=/nonexistent.pem,ssl_key=/nonexistent.key"], "TLS is off"),
    (["-Z", "-o", "ssl_chain_cert=/nonexistent.pem,ssl_key=/nonexistent.key"],
     "Error loading the certificate chain: /nonexistent.pem"),
    (["-o", "ssl_verify_mode=4"], "ssl_verify_mode"),
    (["-o", "ssl_min_version=tls1.2"], "ssl_min_version"),
])
def test_tls_configuration_errors_name_the_option(args, fragment):
    result = subprocess.run([RMC_BINARY, "--no-l2", "-p", str(free_port()), *args],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 2
    assert fragment in result.stderr


def test_tls_from_the_configuration_file(certs, tmp_path):
    cert, key = certs["server"]
    config = tmp_path / "tls.toml"
    config.write_text(f'[tls]\nenabled = true\nchain_cert = "{cert}"\nkey = "{key}"\nmin_version = 3\n')
    rat = start_rat("--no-l2", "--config", str(config))
    try:
        with tls_connect(rat) as s:
            assert s.version() == "TLSv1.3"
        assert tls_stats(rat, b"settings")["ssl_min_version"] == "tlsv1.3"
    finally:
        rat.stop()
