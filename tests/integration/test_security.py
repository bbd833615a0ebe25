"""The security defaults docs/security.md promises: loopback only, no UDP, no remote
shutdown, TLS and authentication off until asked for, no HTTP port."""

import socket
import subprocess
import time

from conftest import RMC_BINARY, Server, free_port, read_until_idle, stats_of


def listening_sockets(port, table):
    """Local addresses of the sockets in /proc/net/<table> bound to `port`: listening ones
    for TCP (connections to the server share its address), any for UDP."""
    found = []
    with open(f"/proc/net/{table}") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, state = fields[1], fields[3]
            if table.startswith("tcp") and state != "0A":  # TCP_LISTEN
                continue
            address, hex_port = local.split(":")
            if int(hex_port, 16) == port:
                octets = bytes.fromhex(address)[::-1] if len(address) == 8 else bytes.fromhex(address)
                found.append(socket.inet_ntop(socket.AF_INET if len(address) == 8 else socket.AF_INET6, octets))
    return found


def test_defaults_are_loopback_tcp_only_without_remote_shutdown():
    port = free_port()
    # No -l, no --config: the built-in defaults.
    server = Server([RMC_BINARY, "-p", str(port), "--no-l2"], port, "rat_memcached").start()
    try:
        assert listening_sockets(port, "tcp") == ["127.0.0.1"]
        assert listening_sockets(port, "tcp6") == []
        assert listening_sockets(port, "udp") == [] and listening_sockets(port, "udp6") == []
        settings = stats_of(server, b"settings")
        assert settings["inter"] == "127.0.0.1"
        assert settings["udpport"] == "0"
        assert settings["shutdown_command"] == "no"
        assert settings["auth_enabled_sasl"] == "no" and settings["auth_enabled_ascii"] == "no"
        assert settings["ssl_enabled"] == "no"
        with server.connect() as s:
            s.sendall(b"shutdown\r\n")
            assert read_until_idle(s, until=b"\r\n")[0] == b"ERROR: shutdown not enabled\r\n"
        assert server.alive()
    finally:
        server.stop()


def test_udp_cannot_be_turned_on():
    result = subprocess.run([RMC_BINARY, "-p", str(free_port()), "-U", "11211", "--no-l2"],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 2
    assert "UDP is not supported" in result.stderr
