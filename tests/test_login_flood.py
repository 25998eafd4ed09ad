"""A login flood against the real server binary (SECURITY.md T10, T18).

500 parallel sign-ins at one account are limited like a serial run; 500 parallel sign-ins
from 500 addresses for 500 accounts (credential stuffing) go to the bounded hashing pool,
which sheds what its queue cannot hold. Through both, the server's resident memory stays
within the pool's Argon2 memory plus a small constant, is given back afterwards, and
another user's real Anki client keeps syncing.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from conftest import ServerProcess, add_user, free_port

MIB = 1024 * 1024
ARGON2_MIB = 19
# What a flood may add beyond the hashing threads' Argon2 blocks: connections, buffers,
# the limiter's records.
CONSTANT_MIB = 48


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def api_login(endpoint: str, login: str, password: str, client: str) -> tuple[int, object, str]:
    request = urllib.request.Request(
        endpoint + "api/login",
        data=json.dumps({"login": login, "password": password}).encode(),
        headers={"content-type": "application/json", "x-forwarded-for": client},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def flood_server(workdir) -> ServerProcess:
    config = workdir / "config.toml"
    config.write_text('trusted_proxies = ["127.0.0.1"]\n')
    srv = ServerProcess(data_dir=workdir / "data", port=free_port(),
                        log_path=workdir / "server.log", extra_args=["--config", str(config)])
    srv.start()
    return srv


class RssSampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                self.peak = max(self.peak, rss_bytes(self.pid))
            except FileNotFoundError:  # the server is gone; the test says why
                return
            time.sleep(0.02)


def test_a_login_flood_is_limited_keeps_memory_bounded_and_other_users_sync(workdir, anki):
    srv = flood_server(workdir)
    try:
        add_user(srv.data_dir, "alice", "alice-password-1")
        add_user(srv.data_dir, "bob", "bob-password-12345")
        bob = anki(srv.endpoint)
        bob.login("bob", "bob-password-12345")
        bob.sync()
        threads = os.cpu_count() or 2
        # Warm the pool once, so "idle" includes what any hash leaves behind.
        assert api_login(srv.endpoint, "alice", "alice-password-1", "192.0.2.1")[0] == 200
        time.sleep(0.5)
        idle = rss_bytes(srv.proc.pid)
        sampler = RssSampler(srv.proc.pid)
        sampler.start()
        pool = ThreadPoolExecutor(max_workers=100)

        # 1. One address, one account: 499 wrong and the right one, all at once.
        attempts = [("alice", "wrong password %d" % i) for i in range(499)]
        attempts.insert(250, ("alice", "alice-password-1"))
        started = time.monotonic()
        one = list(pool.map(lambda a: api_login(srv.endpoint, a[0], a[1], "203.0.113.7"),
                            attempts))
        took = time.monotonic() - started
        statuses = [s for s, _, _ in one]
        checked = statuses.count(401) + statuses.count(200)
        # A serial guesser gets 5 free tries, then turns 0.25, 0.75, 1.75 and 3.75 s in,
        # then one every 4 s: the burst may have no more checks than that in its time.
        serial = 9 + math.ceil(max(0.0, took - 3.75) / 4)
        assert checked <= serial, f"{checked} checked in {took:.1f} s, a serial run {serial}"
        assert statuses.count(429) == 500 - checked
        for status, headers, body in one:
            if status == 429:
                secs = int(headers["Retry-After"])
                assert f"{secs} seconds" in json.loads(body)["error"]

        # 2. 500 addresses, 500 accounts, while bob syncs with the real client.
        stuffing = [("user%d" % i, "guess %d" % i, "198.18.%d.%d" % (i // 250, i % 250 + 1))
                    for i in range(500)]
        syncs_ok = []

        def bob_syncs():
            for _ in range(3):
                bob.sync()
                syncs_ok.append(True)

        syncing = threading.Thread(target=bob_syncs)
        syncing.start()
        two = list(pool.map(lambda a: api_login(srv.endpoint, *a), stuffing))
        syncing.join(timeout=120)
        sampler.done.set()
        sampler.join()
        statuses = [s for s, _, _ in two]
        assert set(statuses) <= {401, 503}, set(statuses)
        assert statuses.count(503) > 0, "the hashing queue never shed"
        for status, headers, body in two:
            if status == 503:
                assert headers.get("Retry-After") == "1"
                assert "busy" in json.loads(body)["error"]
        assert syncs_ok == [True] * 3, "bob's syncs during the flood"

        bound = idle + threads * ARGON2_MIB * MIB + CONSTANT_MIB * MIB
        print(f"rss idle {idle / MIB:.1f} MiB, peak {sampler.peak / MIB:.1f} MiB, "
              f"bound {bound / MIB:.1f} MiB, checked {checked} of 500 at one account in "
              f"{took:.1f} s, "
              f"shed {statuses.count(503)} of 500 stuffing")
        assert sampler.peak <= bound, f"peak {sampler.peak / MIB:.1f} MiB > {bound / MIB:.1f}"

        # Afterwards the memory is given back.
        time.sleep(1.0)
        after = rss_bytes(srv.proc.pid)
        print(f"rss after {after / MIB:.1f} MiB")
        assert after <= idle + 16 * MIB, f"after {after / MIB:.1f} MiB, idle {idle / MIB:.1f}"
        # And the owner, from another address, still signs in.
        assert api_login(srv.endpoint, "alice", "alice-password-1", "198.51.100.20")[0] == 200
        refused = [line for line in srv.log().splitlines() if "web login refused" in line]
        assert any('login="user7"' in line and "198.18.0.8" in line for line in refused), \
            "failed logins are logged with the name as given and the client address"
        assert not any("guess 7" in line for line in srv.log().splitlines())
    finally:
        srv.stop()
