"""PostgreSQL-only behaviour: moving a database between engines, cross-engine mismatches,
surviving a database restart under load, and clear start-up failures.

These run in the PostgreSQL pass of ./test.sh, which starts a private cluster
(tests/pg_cluster.sh) and sets FF_TEST_POSTGRES_URL and FF_TEST_POSTGRES_DIR.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from anki.errors import SyncError

import conftest
from conftest import (NO_CHANGES, SERVER_BIN, ServerProcess, adminctl, add_user, clean_env,
                      expect_auth_error, free_port, query)
from test_reset_password import credential_state

pytestmark = pytest.mark.postgres_only
CLUSTER = Path(__file__).resolve().parent / "pg_cluster.sh"


def sqlite_url(path: Path) -> str:
    return f"sqlite://{path}"


def fill_sqlite_with_many_users(db: Path, n: int) -> None:
    """n users, each with a host key and a web session, written straight into the schema
    (hashing 10 000 real passwords would take an hour; the copy moves strings either way)."""
    now = int(time.time())
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO users VALUES (?,?,?,?,?,1,0,0,?,?)",
            [(10_000_000 + i, f"bulk{i}", f"bulk{i}@example.com", f"$argon2id$fake{i}",
              f"$pbkdf2-sha256$fake{i}", now, now) for i in range(n)])
        conn.executemany(
            "INSERT INTO sync_keys VALUES (?,?,?,?,?,0)",
            [(hashlib.sha256(f"key{i}".encode()).hexdigest(), 10_000_000 + i, now, now, "bulk")
             for i in range(n)])
        conn.executemany(
            "INSERT INTO web_sessions VALUES (?,?,?,?,?)",
            [(hashlib.sha256(f"session{i}".encode()).hexdigest(), 10_000_000 + i, now, now,
              now + 3600) for i in range(n)])


def table_counts(database) -> dict[str, int]:
    tables = ["users", "sync_keys", "web_sessions", "password_reset_tokens", "settings", "audit_log"]
    return {t: int(query(database, f"SELECT count(*) FROM {t}")[0][0]) for t in tables}


def test_db_copy_moves_ten_thousand_users_to_postgres_and_anki_keys_keep_working(workdir, anki):
    # Start on SQLite, with a real user whose Anki client is logged in.
    sqlite_file = workdir / "data" / "accounts.sqlite3"
    env_sqlite = {"DATABASE_URL": sqlite_url(sqlite_file)}
    srv = ServerProcess(data_dir=workdir / "data", port=free_port(), log_path=workdir / "s1.log",
                        extra_args=["--database-url", sqlite_url(sqlite_file)])
    srv.start()
    add = adminctl(srv.data_dir, "user", "add", "alice", "alice@example.com", "--password-stdin",
                   input="alice-password-1", env_extra=env_sqlite)
    assert add.returncode == 0, add.stderr
    profile = anki(srv.endpoint)
    profile.login("alice", "alice-password-1")
    assert profile.sync() == NO_CHANGES
    srv.stop()
    fill_sqlite_with_many_users(sqlite_file, 10_000)
    before = table_counts(sqlite_file)
    assert before["users"] == 10_001 and before["sync_keys"] == 10_001

    target = conftest.DATABASE_URL
    out = adminctl(workdir, "--json", "db", "copy", "--from", sqlite_url(sqlite_file), "--to", target,
                   timeout=600)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["users"] == 10_001 and report["sync_keys"] == 10_001
    assert report["web_sessions"] == 10_000
    assert table_counts(target) == before
    password = target.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    assert password not in out.stdout + out.stderr

    # Every row arrived whole.
    def rows(db):
        return (query(db, "SELECT * FROM users ORDER BY id"),
                query(db, "SELECT * FROM sync_keys ORDER BY digest"),
                query(db, "SELECT * FROM web_sessions ORDER BY digest"))
    assert rows(target) == rows(sqlite_file)

    # A second copy into the now non-empty target is refused, and changes nothing.
    again = adminctl(workdir, "db", "copy", "--from", sqlite_url(sqlite_file), "--to", target)
    assert again.returncode == 1 and "not empty" in again.stderr
    assert table_counts(target) == before

    # The server on the copy accepts the existing Anki key: no new login.
    pg = ServerProcess(data_dir=workdir / "data", port=free_port(), log_path=workdir / "s2.log")
    pg.start()
    try:
        profile.auth.endpoint = pg.endpoint
        assert profile.sync() == NO_CHANGES
        status = json.loads(adminctl(pg.data_dir, "--json", "status").stdout)
        assert status["database"]["engine"] == "postgresql"
        assert status["server"]["cached_host_keys"] == 10_001
    finally:
        pg.stop()

    # And back: PostgreSQL (where alice's key has since been used) to a fresh SQLite file.
    back = workdir / "back" / "accounts.sqlite3"
    out = adminctl(workdir, "db", "copy", "--from", target, "--to", sqlite_url(back), timeout=600)
    assert out.returncode == 0, out.stderr
    assert rows(back) == rows(target)


def test_db_copy_refuses_a_missing_source_and_the_same_database(workdir):
    missing = adminctl(workdir, "db", "copy", "--from", sqlite_url(workdir / "nope.sqlite3"),
                       "--to", conftest.DATABASE_URL)
    assert missing.returncode == 1 and "no database" in missing.stderr
    same = adminctl(workdir, "db", "copy", "--from", conftest.DATABASE_URL, "--to",
                    conftest.DATABASE_URL)
    assert same.returncode == 1 and "same database" in same.stderr


def test_adminctl_on_postgres_against_a_server_on_sqlite_exits_4(workdir):
    sqlite_file = workdir / "data" / "accounts.sqlite3"
    add_user(workdir / "data", "alice", "alice-password-1")  # into PostgreSQL (DATABASE_URL)
    srv = ServerProcess(data_dir=workdir / "data", port=free_port(), log_path=workdir / "s.log",
                        extra_args=["--database-url", sqlite_url(sqlite_file)])
    srv.start()
    try:
        before = credential_state(conftest.DATABASE_URL)
        out = adminctl(srv.data_dir, "reset-password", "alice", "--password-stdin",
                       input="alice-password-2")
        assert out.returncode == 4, out.stderr
        assert "different database" in out.stderr
        assert str(sqlite_file) in out.stderr and "postgresql" in out.stderr
        assert credential_state(conftest.DATABASE_URL) == before
    finally:
        srv.stop()


def health(endpoint: str) -> int:
    try:
        with urllib.request.urlopen(endpoint + "health", timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def test_a_postgres_restart_under_login_load_costs_failed_requests_and_nothing_more(server, anki):
    cluster_dir = os.environ["FF_TEST_POSTGRES_DIR"]
    users = [f"load{i}" for i in range(4)]
    for u in users:
        add_user(server.data_dir, u, f"{u}-password-xyz")
    before = credential_state(conftest.DATABASE_URL)
    pid = server.proc.pid

    stop = threading.Event()
    outcomes = {"ok": 0, "failed": 0, "auth": 0}
    lock = threading.Lock()

    def login_loop(user):
        while not stop.is_set():
            try:
                anki(server.endpoint).login(user, f"{user}-password-xyz")
                key = "ok"
            except SyncError as err:
                key = "auth" if err.kind.name == "AUTH" else "failed"
            except Exception:  # noqa: BLE001 - network errors during the outage
                key = "failed"
            with lock:
                outcomes[key] += 1

    threads = [threading.Thread(target=login_loop, args=(u,)) for u in users]
    for t in threads:
        t.start()
    cluster_stopped = False
    try:
        time.sleep(2)
        subprocess.run(["bash", str(CLUSTER), "stop", cluster_dir], check=True)
        cluster_stopped = True
        time.sleep(1)
        assert health(server.endpoint) == 503
        # Longer than the pool's 5 s connection wait, so requests really fail (shorter
        # outages are absorbed: requests just wait for the database to come back).
        time.sleep(7)
        subprocess.run(["bash", str(CLUSTER), "start-again", cluster_dir], check=True)
        cluster_stopped = False
        deadline = time.monotonic() + 60
        while health(server.endpoint) != 200:
            assert time.monotonic() < deadline, "server did not recover"
            time.sleep(0.2)
        ok_after_recovery = outcomes["ok"]
        time.sleep(3)
    finally:
        stop.set()
        if cluster_stopped:  # never leave the shared test cluster down
            subprocess.run(["bash", str(CLUSTER), "start-again", cluster_dir], check=False)
        for t in threads:
            t.join(timeout=60)

    assert server.proc.poll() is None and server.proc.pid == pid, "the server kept running"
    assert outcomes["failed"] > 0, f"the outage was not observed: {outcomes}"
    assert outcomes["auth"] == 0, f"a good password was refused: {outcomes}"
    assert outcomes["ok"] > ok_after_recovery, f"no login succeeded after recovery: {outcomes}"
    # No account row lost or half-written (logins only add host keys).
    after = credential_state(conftest.DATABASE_URL)
    assert after[0] == before[0]
    # Writes work again: a reset reaches the running server.
    out = adminctl(server.data_dir, "reset-password", "load0", "--password-stdin",
                   input="load0-new-password")
    assert out.returncode == 0, out.stderr
    expect_auth_error(lambda: anki(server.endpoint).login("load0", "load0-password-xyz"))
    fresh = anki(server.endpoint)
    fresh.login("load0", "load0-new-password")
    assert fresh.sync() == NO_CHANGES


def run_server_expecting_failure(workdir, database_url, wait_secs):
    config = workdir / "ff.toml"
    config.write_text(f"database_wait_secs = {wait_secs}\n")
    return subprocess.run(
        [str(SERVER_BIN), "--data-dir", str(workdir / "d"), "--listen", f"127.0.0.1:{free_port()}",
         "--config", str(config)],
        capture_output=True, text=True, timeout=120, env=clean_env(DATABASE_URL=database_url))


def test_an_unreachable_database_is_retried_then_reported_clearly(workdir):
    closed_port = free_port()
    url = f"postgres://ff:s3cret-pw@127.0.0.1:{closed_port}/ff"
    started = time.monotonic()
    out = run_server_expecting_failure(workdir, url, wait_secs=3)
    assert out.returncode != 0
    assert time.monotonic() - started >= 3, "gave up before the configured wait"
    assert out.stderr.count("database not answering yet; retrying") >= 2
    assert "cannot start" in out.stderr and f"127.0.0.1:{closed_port}" in out.stderr
    assert "s3cret-pw" not in out.stderr


def test_a_wrong_password_fails_at_once_without_retrying(workdir):
    base = conftest.DATABASE_URL
    wrong = base.replace(base.split("://", 1)[1].split("@", 1)[0], "ff:wrong-pw-" + secrets.token_hex(4))
    out = run_server_expecting_failure(workdir, wrong, wait_secs=30)
    assert out.returncode != 0
    assert "retrying" not in out.stderr
    assert "password authentication failed" in out.stderr
    assert "wrong-pw" not in out.stderr
