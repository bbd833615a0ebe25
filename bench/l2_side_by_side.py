#!/usr/bin/env python3
"""Side-by-side benchmark of the persistent tiers: rat_memcached (RAM + RocksDB L2) against
memcached with extstore (RAM + flash file), both with the same RAM (-m), threads (-t) and
connection limit, the server pinned to one CPU and bench's rmc_load to another. Rounds
alternate the order (A/B, B/A, ...); medians are reported with ratios rat/memcached
(> 1 is better for throughput, < 1 for latency).

  python3 bench/l2_side_by_side.py [--rounds 3] [--duration 10] [--quick] [--out FILE]

Workloads (issue #3):
  l2_reads     store every key once with a 1-byte value (see presize(); --no-presize),
               fill a working set of --keys values of --value-size bytes with rmc_load
               (default 40,000 x 4 KB = 160 MB, 10x the 16 MB of RAM), wait until both
               servers settled (rat: stats l2_write_behind_items 0; memcached: extstore
               counters still, io queue empty), read every key back byte for byte over a
               raw socket (keys lost during the fill are stored again, whole check
               repeated), then uniform random gets over all keys for --duration seconds
  l2_mixed     then, on the same server, 50% get / 50% set over the same keys
  restart      rat_memcached only, per round in a fresh data folder: fill --restart-items
               small items (20-byte keys, 100-byte values), stop with SIGTERM, start again
               on the same --data-dir and measure the time from starting the process until
               a connect succeeds and until the first get of a stored key returns its
               value (polled every millisecond), check a few hundred random keys; then the
               same once more (a restart with nothing left to recover). memcached without
               its warm restart (-e) starts empty, so it has no equivalent.

rmc_load checks every value it reads byte for byte (values are a function of the key) and
stops at the first wrong byte, which fails the run.

memcached runs as `memcached -u root -U 0 -m M -o ext_path=DIR/extstore:SIZE,...`: values
above ext_item_size (512 bytes by default) are moved to the flash file by the storage
thread once RAM runs low; ext_threads is memcached's default, 1, as rat_memcached has one
blocking-read thread per worker thread (--ext-threads N to change it).
"""

import argparse
import atexit
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("RMC_BUILD", os.path.join(ROOT, "build"))
RAT = os.path.join(BUILD, "rat_memcached")
LOAD = next((p for p in (os.path.join(BUILD, "bench", "rmc_load"), os.path.join(BUILD, "rmc_load"))
             if os.path.exists(p)), os.path.join(BUILD, "bench", "rmc_load"))
MEMCACHED = shutil.which("memcached") or "/usr/bin/memcached"
SERVER_CPU = "1"
CLIENT_CPU = "0"

LIVE = []  # servers to kill and folders to remove on exit


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def key_name(n, key_size=0):
    """The key rmc_load uses for n ("key:<n>", zero-padded after "key:" to key_size)."""
    key = f"key:{n}"
    if key_size > len(key):
        key = key[:4] + "0" * (key_size - len(key)) + key[4:]
    return key.encode()


_ALPHABET = b"abcdefghijklmnopqrstuvwxyz"


INCOMPRESSIBLE = False  # --incompressible: rmc_load stores splitmix64 bytes
_MASK = (1 << 64) - 1


def value_for(n, size):
    """The value rmc_load stores under key n: byte i is 'a' + (n * 31 + i) % 26, or with
    --incompressible the splitmix64 stream seeded by n (rmc_load's ValueFor)."""
    if INCOMPRESSIBLE:
        state = (n * 0x9E3779B97F4A7C15 + 1) & _MASK
        out = bytearray()
        for _ in range(0, size, 8):
            state = (state + 0x9E3779B97F4A7C15) & _MASK
            z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
            out += (z ^ (z >> 31)).to_bytes(8, "little")
        return bytes(out[:size])
    start = (n * 31) % 26
    return (_ALPHABET * (size // 26 + 2))[start:start + size]


class Client:
    """A minimal memcached text-protocol client over one raw socket."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed")
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def get(self, key):
        """Returns (value or None, flags) and checks the reply's framing."""
        self.sock.sendall(b"get " + key + b"\r\n")
        line = self._line()
        if line == b"END":
            return None, None
        parts = line.split()
        if len(parts) < 4 or parts[0] != b"VALUE" or parts[1] != key:
            raise ValueError(f"unexpected reply {line[:200]!r}")
        value = self._exact(int(parts[3]) + 2)
        if not value.endswith(b"\r\n") or self._line() != b"END":
            raise ValueError(f"bad framing after the value of {key!r}")
        return value[:-2], int(parts[2])

    def get_many(self, keys):
        """One multi-key get; returns {key: (value, flags)} for the hits."""
        self.sock.sendall(b"get " + b" ".join(keys) + b"\r\n")
        out = {}
        while True:
            line = self._line()
            if line == b"END":
                return out
            parts = line.split()
            if len(parts) < 4 or parts[0] != b"VALUE":
                raise ValueError(f"unexpected reply {line[:200]!r}")
            value = self._exact(int(parts[3]) + 2)
            if not value.endswith(b"\r\n"):
                raise ValueError(f"bad framing after the value of {parts[1]!r}")
            out[parts[1]] = (value[:-2], int(parts[2]))

    def set_many(self, items):
        """Pipelined sets of (key, value) pairs; every reply must be STORED."""
        self.sock.sendall(b"".join(b"set %s 0 0 %d\r\n%s\r\n" % (k, len(v), v) for k, v in items))
        for k, _ in items:
            line = self._line()
            if line != b"STORED":
                raise ValueError(f"set {k!r}: {line[:200]!r}")

    def stats(self):
        self.sock.sendall(b"stats\r\n")
        out = {}
        while True:
            line = self._line()
            if line == b"END":
                return out
            parts = line.decode(errors="replace").split(" ", 2)
            if parts[0] != "STAT" or len(parts) < 3:
                raise ValueError(f"unexpected stats line {line!r}")
            try:
                out[parts[1]] = int(parts[2])
            except ValueError:
                try:
                    out[parts[1]] = float(parts[2])
                except ValueError:
                    out[parts[1]] = parts[2]


class Server:
    def __init__(self, kind, cfg, memory_mb=None, data_dir=None):
        self.kind = kind
        self.cfg = cfg
        self.port = free_port()
        self.own_dir = data_dir is None
        self.dir = data_dir or tempfile.mkdtemp(prefix=f"rmc_l2sbs_{kind}_", dir=cfg.tmp_dir)
        memory = memory_mb or cfg.memory
        common = ["-p", str(self.port), "-l", "127.0.0.1", "-t", str(cfg.threads), "-m", str(memory),
                  "-c", "1024"]
        if kind == "memcached":
            ext = [f"ext_path={os.path.join(self.dir, 'extstore')}:{cfg.ext_size}",
                   f"ext_item_size={cfg.ext_item_size}", f"ext_wbuf_size={cfg.ext_wbuf_size}",
                   f"ext_threads={cfg.ext_threads}"]
            self.argv = [MEMCACHED, "-u", "root", "-U", "0"] + common + ["-o", ",".join(ext)]
        else:
            self.argv = [RAT, "--data-dir", os.path.join(self.dir, "data"), "--l2-size", cfg.l2_size] + common
            if cfg.rat_config:
                self.argv += ["--config", cfg.rat_config]
        self.process = None
        LIVE.append(self)

    def start(self, wait=True):
        # stderr to a file, not a pipe: a chatty server must never block on it.
        self.stderr = open(os.path.join(self.dir, f"{self.kind}.stderr"), "ab")
        self.process = subprocess.Popen(["taskset", "-c", SERVER_CPU] + self.argv,
                                        stdout=subprocess.DEVNULL, stderr=self.stderr)
        if wait:
            deadline = time.time() + 30
            while time.time() < deadline:
                if self.process.poll() is not None:
                    with open(self.stderr.name, "rb") as f:
                        err = f.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(f"{self.kind} exited at start: {err}"
                                       f"\nargv: {' '.join(self.argv)}")
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.02)
            else:
                raise RuntimeError(f"{self.kind} did not listen within 30 s")
            time.sleep(0.2)
        return self

    def stats(self):
        c = Client(self.port)
        try:
            return c.stats()
        finally:
            c.close()

    def rss_kib(self, field="VmRSS"):
        """A line of /proc/PID/status in KiB: VmRSS (everything resident, including
        file pages mapped from the L2's files) or RssAnon (the process's own memory)."""
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def cpu_seconds(self):
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def disk_mib(self):
        total = 0
        for root, _, files in os.walk(self.dir):
            for name in files:
                try:
                    total += os.stat(os.path.join(root, name)).st_blocks * 512
                except OSError:
                    pass
        return total / 2**20

    def terminate(self, timeout=300):
        """SIGTERM and wait; returns the seconds the process took to exit."""
        start = time.perf_counter()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise RuntimeError(f"{self.kind} did not exit within {timeout} s of SIGTERM")
        return time.perf_counter() - start

    def stop(self, remove=True):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process:
            self.stderr.close()
        if remove and self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        if remove and self in LIVE:
            LIVE.remove(self)


def cleanup():
    for server in list(LIVE):
        server.stop()


def load(server, *args):
    argv = ["taskset", "-c", CLIENT_CPU, LOAD, "--server", f"127.0.0.1:{server.port}"] + [str(a) for a in args]
    if INCOMPRESSIBLE:
        argv.append("--incompressible")
    run = subprocess.run(argv, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"rmc_load failed against {server.kind} ({' '.join(argv[3:])}): {run.stderr.strip()[-2000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def settle(server, timeout):
    """Waits until the server moved everything it is going to move to its persistent tier."""
    start = time.time()
    previous, still = None, 0
    while time.time() - start < timeout:
        s = server.stats()
        if server.kind == "rat_memcached":
            done = s.get("l2_write_behind_items", 0) == 0
            marker = (s.get("l2_write_behind_items"), s.get("l2_writes"))
            need = 3
        else:
            done = s.get("extstore_io_queue", 0) == 0
            marker = (s.get("extstore_objects_written"), s.get("extstore_bytes_written"), s.get("curr_items"))
            need = 5  # the storage thread sleeps up to ext_max_sleep between passes
        still = still + 1 if (done and marker == previous) else 0
        previous = marker
        if still >= need:
            return time.time() - start, s
        time.sleep(0.2)
    return time.time() - start, server.stats()


def spot_check(server, keys, value_size, count, key_size=0, seed=7):
    """Reads `count` random keys over a raw socket; returns (right, missing, wrong)."""
    rng = random.Random(seed)
    right = missing = wrong = 0
    client = Client(server.port)
    try:
        for n in rng.sample(range(keys), min(count, keys)):
            value, flags = client.get(key_name(n, key_size))
            if value is None:
                missing += 1
            elif value == value_for(n, value_size) and flags == 0:
                right += 1
            else:
                wrong += 1
    finally:
        client.close()
    return right, missing, wrong


def presize(server, keys, batch=1000):
    """Stores every key once with a 1-byte value. memcached keeps each key of a value on
    flash in a small header item in RAM (a 96-byte chunk here: 40,000 keys need 4 of the
    16 MB); a fill with 4 KB values alone gives every slab page to the 4 KB class, and new
    headers then evict other headers, losing their values (the slab automover would move
    pages back only after its 30 s window). Done on both servers alike."""
    client = Client(server.port, timeout=60)
    try:
        for start in range(0, keys, batch):
            client.set_many([(key_name(n), b"x") for n in range(start, min(keys, start + batch))])
    finally:
        client.close()


def check_all(server, keys, value_size, cfg, batch=100):
    """Reads every key back (multi-key gets over a raw socket) and checks the bytes; keys
    that are missing are stored again, and after a settle the whole check repeats, up to
    cfg.refill_passes times. Returns (missing in the first pass, wrong values over all
    passes, missing in the last pass, passes)."""
    client = Client(server.port, timeout=60)
    first_missing = None
    wrong = 0
    passes = 0
    try:
        while True:
            passes += 1
            missing = []
            for start in range(0, keys, batch):
                chunk = range(start, min(keys, start + batch))
                got = client.get_many([key_name(n) for n in chunk])
                for n in chunk:
                    hit = got.get(key_name(n))
                    if hit is None:
                        missing.append(n)
                    elif hit[0] != value_for(n, value_size) or hit[1] != 0:
                        wrong += 1
            if first_missing is None:
                first_missing = len(missing)
            if not missing or passes > cfg.refill_passes:
                return first_missing, wrong, len(missing), passes
            log(f"{server.kind}: {len(missing)} of {keys} keys missing (pass {passes}); storing them again")
            for start in range(0, len(missing), batch):
                client.set_many([(key_name(n), value_for(n, value_size)) for n in missing[start:start + batch]])
            settle(server, cfg.settle_timeout)
    finally:
        client.close()


def flash_reads(kind, stats):
    """Gets that were served from the persistent tier (counter)."""
    if kind == "memcached":
        return stats.get("get_extstore", 0)
    return stats.get("l2_get_hits", 0) + stats.get("l2_get_misses", 0)


def flash_items(kind, stats):
    if kind == "memcached":
        return stats.get("extstore_objects_used", 0)
    return stats.get("l2_items", 0)


def measured_run(server, cfg, get_ratio):
    before_stats = server.stats()
    cpu_before = server.cpu_seconds()
    r = load(server, "--keys", cfg.keys, "--value-size", cfg.value_size, "--duration", cfg.duration,
             "--connections", cfg.connections, "--depth", cfg.depth, "--get-ratio", get_ratio)
    cpu = server.cpu_seconds() - cpu_before
    after_stats = server.stats()
    gets = max(r["gets"], 1)
    return {
        "ops_per_sec": r["ops_per_sec"], "p50_us": r["p50_us"], "p99_us": r["p99_us"], "p999_us": r["p999_us"],
        "hit_pct": 100.0 * r["hits"] / gets,
        "from_flash_pct": 100.0 * (flash_reads(server.kind, after_stats) - flash_reads(server.kind, before_stats)) / gets,
        "server_cpu_us_per_op": cpu * 1e6 / max(r["ops"], 1),
    }


def l2_round(kind, cfg):
    """One server: fill, settle, read every key back (storing lost ones again), l2_reads, l2_mixed."""
    server = Server(kind, cfg).start()
    try:
        if cfg.presize:
            presize(server, cfg.keys)
        t = time.perf_counter()  # fill_s: rmc_load's fill alone
        load(server, "--populate-only", "--keys", cfg.keys, "--value-size", cfg.value_size)
        fill_s = time.perf_counter() - t
        settle_s, s = settle(server, cfg.settle_timeout)
        fill = {"fill_s": fill_s, "settle_s": settle_s, "items_in_persistent_tier": flash_items(kind, s),
                "rss_mib_after_fill": server.rss_kib() / 1024, "disk_mib_after_fill": server.disk_mib()}
        if kind == "memcached":
            fill["evictions"] = s.get("evictions", 0)
            fill["extstore_objects_written"] = s.get("extstore_objects_written", 0)
            if s.get("extstore_objects_written", 0) == 0:
                log("WARNING: memcached wrote nothing to extstore: the values stayed in RAM or were evicted")
        else:
            fill["evictions"] = s.get("evictions", 0)
            fill["l2_write_behind_items"] = s.get("l2_write_behind_items", 0)
        t = time.perf_counter()
        lost, wrong, still_missing, passes = check_all(server, cfg.keys, cfg.value_size, cfg)
        _, s = settle(server, cfg.settle_timeout)
        fill.update(missing_after_fill=lost, wrong_values=wrong, missing_after_refill=still_missing,
                    check_passes=passes, check_s=time.perf_counter() - t,
                    items_in_persistent_tier_at_start=flash_items(kind, s))
        if wrong:
            log(f"ERROR: {kind} returned {wrong} wrong values in the read-back check")
        reads = measured_run(server, cfg, 1.0)
        mixed = measured_run(server, cfg, 0.5)
        mixed["rss_mib"] = server.rss_kib() / 1024
        mixed["rss_anon_mib"] = server.rss_kib("RssAnon") / 1024
        return fill, reads, mixed
    finally:
        server.stop()


def first_hit(port, key, expected, timeout):
    """Polls connect + get every millisecond; returns (seconds to first connect, seconds to the
    first get that returns `expected`, misses seen before), measured from the caller's t0."""
    connected_at = None
    misses = 0
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        try:
            client = Client(port, timeout=timeout)
        except OSError:
            time.sleep(0.001)
            continue
        if connected_at is None:
            connected_at = time.perf_counter()
        try:
            while time.perf_counter() < deadline:
                value, _ = client.get(key)
                if value == expected:
                    return connected_at, time.perf_counter(), misses
                if value is not None:
                    raise RuntimeError(f"wrong value for {key!r} after the restart")
                misses += 1
                time.sleep(0.001)
        except (OSError, ConnectionError):
            time.sleep(0.001)
        finally:
            client.close()
    raise RuntimeError(f"no hit for {key!r} within {timeout} s of the restart")


def timed_start(cfg, data_dir, key, expected, spot_items, spot_seed):
    """Starts rat_memcached on data_dir; returns its first-connect and first-hit times (ms
    from starting the process), a spot check, and the SIGTERM time of the stop after it."""
    server = Server("rat_memcached", cfg, data_dir=data_dir)
    try:
        t0 = time.perf_counter()
        server.start(wait=False)
        connected, hit, misses = first_hit(server.port, key, expected, cfg.restart_timeout)
        right, missing, wrong = spot_check(server, spot_items, 100, cfg.spot_check, 20, seed=spot_seed)
        r = {"first_connect_ms": (connected - t0) * 1e3, "first_hit_ms": (hit - t0) * 1e3,
             "misses_before_hit": misses, "rss_mib": server.rss_kib() / 1024,
             "spot_right": right, "spot_missing": missing, "spot_wrong": wrong}
        r["stop_s"] = server.terminate()
        return r
    finally:
        server.stop(remove=False)
        if server in LIVE:
            LIVE.remove(server)


def restart_round(cfg, round_index):
    """Fresh data folder: fill, SIGTERM, timed start (the restart after a fill), SIGTERM,
    timed start again (a restart with nothing left to recover)."""
    items, key_size, value_size = cfg.restart_items, 20, 100
    data_dir = tempfile.mkdtemp(prefix="rmc_l2sbs_restart_", dir=cfg.tmp_dir)
    server = None
    try:
        server = Server("rat_memcached", cfg, data_dir=data_dir).start()
        t = time.perf_counter()
        load(server, "--populate-only", "--keys", items, "--key-size", key_size, "--value-size", value_size)
        r = {"fill_s": time.perf_counter() - t,
             "write_behind_at_sigterm": server.stats().get("l2_write_behind_items", 0)}
        r["stop_after_fill_s"] = server.terminate()
        server.stop(remove=False)
        r["disk_mib"] = server.disk_mib()
        rng = random.Random(1000 + round_index)
        for label in ("restart", "second_restart"):
            n = rng.randrange(items)
            t = timed_start(cfg, data_dir, key_name(n, key_size), value_for(n, value_size), items,
                            rng.randrange(1 << 30))
            r.update({f"{label}_{k}": v for k, v in t.items()})
        return r
    finally:
        if server:
            server.stop(remove=False)
            if server in LIVE:
                LIVE.remove(server)
        shutil.rmtree(data_dir, ignore_errors=True)


def fmt(x):
    if isinstance(x, str):
        return x
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=None, help="default 3 (--quick: 1)")
    parser.add_argument("--duration", type=float, default=None, help="seconds per measured run (default 10; --quick: 2)")
    parser.add_argument("--threads", type=int, default=1, help="-t for both servers")
    parser.add_argument("--memory", type=int, default=16, help="-m (MB of RAM) for both servers")
    parser.add_argument("--keys", type=int, default=None, help="default 40,000 (--quick: 10,000)")
    parser.add_argument("--value-size", type=int, default=4096)
    parser.add_argument("--incompressible", action="store_true",
                        help="pseudo-random values (default: rmc_load's letter pattern, which LZ4 shrinks "
                             "to a few percent; memcached stores it as it is, rat_memcached compresses it)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--depth", type=int, default=1)
    parser.add_argument("--spot-check", type=int, default=None,
                        help="keys read back after a restart (default 300; --quick: 200)")
    parser.add_argument("--refill-passes", type=int, default=5,
                        help="times keys lost during the fill are stored again (0: never)")
    parser.add_argument("--no-presize", dest="presize", action="store_false",
                        help="fill without first storing every key with a 1-byte value (see presize())")
    parser.add_argument("--restart-items", type=int, default=None, help="default 1,000,000 (--quick: 50,000)")
    parser.add_argument("--restart-timeout", type=float, default=120)
    parser.add_argument("--settle-timeout", type=float, default=120)
    parser.add_argument("--ext-size", default="1G", help="memcached extstore file size")
    parser.add_argument("--ext-threads", type=int, default=1)
    parser.add_argument("--ext-wbuf-size", type=int, default=4, help="MB (memcached's default: 4)")
    parser.add_argument("--ext-item-size", type=int, default=512, help="bytes (memcached's default: 512)")
    parser.add_argument("--l2-size", default="1g", help="rat_memcached --l2-size")
    parser.add_argument("--rat-config", default=None, help="a TOML file for rat_memcached --config")
    parser.add_argument("--tmp-dir", default=None, help="where the data folders go (default: $TMPDIR or /tmp)")
    parser.add_argument("--only", default="", help="comma-separated: l2 (reads and mixed), restart")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 round of 2 s, 10,000 keys (40 MB), 50,000 restart items (explicit flags win)")
    parser.add_argument("--out", default="")
    cfg = parser.parse_args()
    global INCOMPRESSIBLE
    INCOMPRESSIBLE = cfg.incompressible
    # --quick shrinks what was not given explicitly.
    cfg.keys = cfg.keys or (10000 if cfg.quick else 40000)
    cfg.restart_items = cfg.restart_items or (50000 if cfg.quick else 1000000)
    cfg.spot_check = cfg.spot_check or (200 if cfg.quick else 300)
    cfg.rounds = cfg.rounds or (1 if cfg.quick else 3)
    cfg.duration = cfg.duration or (2 if cfg.quick else 10)
    for path in (RAT, LOAD, MEMCACHED):
        if not os.path.exists(path):
            sys.exit(f"missing {path}: build first (make build)")
    selected = cfg.only.split(",") if cfg.only else ["l2", "restart"]

    atexit.register(cleanup)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    try:  # keep this script's own polling off the server's CPU
        os.sched_setaffinity(0, {int(CLIENT_CPU)})
    except (AttributeError, OSError):
        pass

    mc_version = subprocess.run([MEMCACHED, "-V"], capture_output=True, text=True).stdout.strip()
    working_set = cfg.keys * cfg.value_size / 2**20
    lines = [f"# rat_memcached (L2) vs {mc_version} (extstore)", "",
             f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs; server pinned to CPU {SERVER_CPU} "
             f"(-t {cfg.threads}, -m {cfg.memory}), rmc_load to CPU {CLIENT_CPU}. memcached: "
             f"`-o ext_path=DIR/extstore:{cfg.ext_size},ext_item_size={cfg.ext_item_size},"
             f"ext_wbuf_size={cfg.ext_wbuf_size},ext_threads={cfg.ext_threads}`; "
             f"rat_memcached: `--data-dir DIR --l2-size {cfg.l2_size}` (its L2 on). Data folders in "
             f"{cfg.tmp_dir or tempfile.gettempdir()}, a fresh one per server start (buffered I/O: the OS "
             f"page cache serves both).", ""]

    if "l2" in selected:
        lines += [f"{cfg.rounds} alternating round(s), one server start per round and server: fill, "
                  f"settle, read-back check, then l2_reads (100% get) and l2_mixed (50% get / 50% set) "
                  f"for {cfg.duration:g} s each, {cfg.connections} connections at depth {cfg.depth}; "
                  f"medians. Working set {cfg.keys:,} keys x {cfg.value_size:,} B = {working_set:,.0f} MiB "
                  f"({working_set / cfg.memory:.1f}x RAM), uniform random keys, "
                  f"{'incompressible (pseudo-random) values' if cfg.incompressible else 'values of a repeating letter pattern (compressible)'}.", ""]
        results = {"memcached": [], "rat_memcached": []}
        for round_index in range(cfg.rounds):
            order = ["memcached", "rat_memcached"] if round_index % 2 == 0 else ["rat_memcached", "memcached"]
            for kind in order:
                r = l2_round(kind, cfg)
                results[kind].append(r)
                log("l2", kind, json.dumps({"fill": r[0], "l2_reads": r[1], "l2_mixed": r[2]}))
        lines += ["| workload | metric | memcached | rat_memcached | ratio (rat/mc) |", "|---|---|---|---|---|"]
        sections = [
            ("fill", 0, ["fill_s", "settle_s", "items_in_persistent_tier", "evictions", "rss_mib_after_fill",
                         "disk_mib_after_fill", "missing_after_fill", "wrong_values", "missing_after_refill",
                         "check_passes", "items_in_persistent_tier_at_start"]),
            ("l2_reads", 1, ["ops_per_sec", "p50_us", "p99_us", "p999_us", "hit_pct", "from_flash_pct",
                             "server_cpu_us_per_op"]),
            ("l2_mixed", 2, ["ops_per_sec", "p50_us", "p99_us", "p999_us", "hit_pct", "from_flash_pct",
                             "server_cpu_us_per_op", "rss_mib", "rss_anon_mib"]),
        ]
        for name, index, metrics in sections:
            for metric in metrics:
                mc = statistics.median(r[index].get(metric, 0) for r in results["memcached"])
                rat = statistics.median(r[index].get(metric, 0) for r in results["rat_memcached"])
                ratio = f"{rat / mc:.2f}" if mc else "-"
                lines.append(f"| {name} | {metric} | {fmt(mc)} | {fmt(rat)} | {ratio} |")
        lines += ["",
                  "fill: `items_in_persistent_tier` is memcached's extstore_objects_used and rat_memcached's "
                  "l2_items (a RocksDB estimate); `evictions` are RAM evictions (memcached: values lost, "
                  "not moved to flash; rat_memcached: items leaving RAM, already or then in L2). "
                  + ("Before the fill every key was stored once with a 1-byte value, so that memcached's "
                     "96-byte slab class for the RAM headers of flash values has its pages (without it, "
                     "the 4 KB class takes all 16 and most keys are lost; `--no-presize`). "
                     if cfg.presize else "No presize (`--no-presize`). ") +
                  "After the fill every key is read back over a raw socket "
                  "and its bytes checked (`wrong_values`); keys missing then (`missing_after_fill`: lost "
                  "while filling, e.g. evicted before the storage thread moved them to flash) are stored "
                  "again and the whole check repeats (`check_passes`), so that the measured runs start with "
                  "the whole working set (`missing_after_refill` should be 0). rmc_load also checks every value it reads. "
                  "`from_flash_pct`: gets served by the persistent tier (memcached get_extstore, "
                  "rat_memcached l2_get_hits + l2_get_misses) per get. `rss_mib` is VmRSS, which "
                  "includes the file pages rat_memcached maps from its L2 files (OS page cache); "
                  "`rss_anon_mib` is the process's own memory (RssAnon).", ""]

    if "restart" in selected:
        runs = []
        for round_index in range(cfg.rounds):
            runs.append(restart_round(cfg, round_index))
            log("restart", "rat_memcached", json.dumps(runs[-1]))
        lines += [f"Restart of rat_memcached (-m {cfg.memory}, L2 on) holding {cfg.restart_items:,} items "
                  f"(20-byte keys, 100-byte values): per round a fresh data folder, fill, SIGTERM, start "
                  f"again on the same --data-dir and time from starting the process (fork/exec included) "
                  f"until a connect succeeds and until `get` of a random stored key returns its value "
                  f"(polled every millisecond); then {cfg.spot_check} random keys are read back and "
                  f"checked. `second_restart`: SIGTERM and the same once more (nothing left to recover). "
                  f"The page cache is warm (the files were just written). Medians of {len(runs)}.", "",
                  "| metric | rat_memcached | memcached |", "|---|---|---|"]
        for metric in runs[0]:
            lines.append(f"| {metric} | {fmt(statistics.median(r[metric] for r in runs))} | n/a |")
        lines += ["", "memcached has no equivalent: a restarted memcached starts empty, extstore included "
                  "(its warm restart, `-e` on a memory file in tmpfs, is not measured here), so a key "
                  "stored before the restart is never hit.", ""]

    report = "\n".join(lines)
    print(report)
    if cfg.out:
        with open(cfg.out, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
