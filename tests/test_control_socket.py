"""The control socket seen from outside: database mismatch, an unreachable server, other uids,
and root acting as the database owner."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import (ADMINCTL_BIN, NO_CHANGES, SERVER_BIN, ServerProcess, adminctl, add_user,
                      clean_env, current_database, expect_auth_error, free_port)
from test_reset_password import credential_state

NOBODY = 65534


def test_a_server_on_a_different_database_exits_4_and_nothing_is_written(server, workdir):
    # adminctl on a SQLite file of its own; the server on the test's database (another SQLite
    # file, or PostgreSQL: the original runbook's case).
    other_file = workdir / "other" / "accounts.sqlite3"
    other = ["--database-url", f"sqlite://{other_file}", "--control-socket", str(server.socket_path)]
    assert adminctl(workdir, *other, "user", "add", "alice", "alice@example.com",
                    "--password-stdin", input="alice-password-1").returncode == 4
    assert adminctl(workdir, "--database-url", f"sqlite://{other_file}", "user", "add", "alice",
                    "alice@example.com", "--password-stdin", input="alice-password-1").returncode == 0
    add_user(server.data_dir, "alice", "alice-password-1")
    server_db = current_database(server.data_dir)
    before_other = credential_state(other_file)
    before_server = credential_state(server_db)

    out = adminctl(workdir, *other, "reset-password", "alice", "--password-stdin",
                   input="alice-password-2")
    assert out.returncode == 4, out.stderr
    assert "different database" in out.stderr
    assert str(other_file) in out.stderr
    if isinstance(server_db, Path):
        assert str(server_db) in out.stderr
    else:
        assert "postgresql" in out.stderr
        password = server_db.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
        assert password not in out.stderr + out.stdout, "the database password leaked"
    assert credential_state(other_file) == before_other
    assert credential_state(server_db) == before_server

    for cmd in (["user", "disable", "alice"], ["user", "delete", "alice"]):
        assert adminctl(workdir, *other, *cmd).returncode == 4
    assert credential_state(other_file) == before_other


def test_a_server_that_cannot_be_told_exits_3_loudly_and_the_change_stands(workdir, anki):
    data = workdir / "data"
    add_user(data, "alice", "alice-password-1")
    # Something listens on the socket but hangs up at once (a wedged or foreign process).
    sock_path = data / "control.sock"
    data.mkdir(exist_ok=True)  # with PostgreSQL, nothing has created it yet
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(sock_path))
    listener.listen()
    stop = threading.Event()

    def hang_up():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                conn.close()
            except OSError:
                pass

    t = threading.Thread(target=hang_up)
    t.start()
    try:
        out = adminctl(data, "reset-password", "alice", "--password-stdin", input="alice-password-2")
    finally:
        stop.set()
        t.join()
        listener.close()
        sock_path.unlink()
    assert out.returncode == 3, out.stderr
    assert "WARNING" in out.stderr and "could not be told" in out.stderr
    assert out.stdout.splitlines()[0] == "Password reset for 'alice' (alice@example.com)"

    srv = ServerProcess(data_dir=data, port=free_port(), log_path=workdir / "server.log")
    srv.start()
    try:
        expect_auth_error(lambda: anki(srv.endpoint).login("alice", "alice-password-1"))
        anki(srv.endpoint).login("alice", "alice-password-2")
    finally:
        srv.stop()


def connect_as_nobody(sock_path: Path) -> subprocess.CompletedProcess:
    probe = (
        "import socket,sys\n"
        "s=socket.socket(socket.AF_UNIX)\n"
        "try:\n"
        f"    s.connect({str(sock_path)!r})\n"
        "except OSError as e:\n"
        "    print('connect-error', e.errno); sys.exit(0)\n"
        "hello=bytes([0,1,4])+b'evil'\n"
        "s.settimeout(5)\n"
        "try:\n"
        "    s.sendall(len(hello).to_bytes(4,'big')+hello)\n"
        "    print('reply', len(s.recv(100)))\n"
        "except (ConnectionResetError, BrokenPipeError):\n"
        "    print('reply 0 (closed)')\n"
    )
    return subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
         # The system Python: a pyenv under /root is out of reach for nobody.
         "/usr/bin/python3", "-c", probe],
        capture_output=True, text=True, timeout=30)


@pytest.mark.skipif(os.geteuid() != 0 and not os.environ.get("CI"), reason="needs root for setpriv")
def test_another_uid_is_refused_by_file_mode_and_by_the_peer_check(server):
    assert os.geteuid() == 0, "this check runs as root in CI"
    assert (server.socket_path.stat().st_mode & 0o777) == 0o600
    # First line: the 0600 mode keeps nobody out before the server sees anything.
    denied = connect_as_nobody(server.socket_path)
    assert "connect-error 13" in denied.stdout, denied.stdout + denied.stderr

    # Second line: even with the mode loosened by mistake, the peer check drops the
    # connection before reading a byte, and the server logs it.
    os.chmod(server.socket_path, 0o666)
    refused = connect_as_nobody(server.socket_path)
    assert "reply 0" in refused.stdout, refused.stdout + refused.stderr
    deadline = time.monotonic() + 5
    while "unauthorised uid refused" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "unauthorised uid refused" in server.log()
    assert f"uid={NOBODY}" in server.log()
    # The server is unharmed.
    assert adminctl(server.data_dir, "status").returncode == 0


@pytest.mark.sqlite_only
@pytest.mark.skipif(os.geteuid() != 0 and not os.environ.get("CI"), reason="needs root")
def test_root_acts_as_the_owner_of_the_sqlite_database(workdir, anki):
    assert os.geteuid() == 0, "this check runs as root in CI"
    # Binaries where the unprivileged server user can execute them.
    bin_dir = workdir / "bin"
    bin_dir.mkdir()
    for b in (SERVER_BIN, ADMINCTL_BIN):
        shutil.copy2(b, bin_dir / b.name)
    data = workdir / "data"
    data.mkdir()
    os.chown(data, NOBODY, NOBODY)
    srv = ServerProcess(data_dir=data, port=free_port(), log_path=workdir / "server.log",
                        run_as=["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"],
                        server_bin=bin_dir / "flashcard-flow-server")
    srv.start()
    try:
        run = lambda *a, **kw: subprocess.run(  # noqa: E731
            [str(bin_dir / "adminctl"), "--data-dir", str(data), *a],
            capture_output=True, text=True, env=clean_env(), timeout=60, **kw)
        added = run("user", "add", "alice", "alice@example.com", "--password-stdin",
                    input="alice-password-1")
        assert added.returncode == 0, added.stderr
        profile = anki(srv.endpoint)
        profile.login("alice", "alice-password-1")
        reset = run("reset-password", "alice", "--password-stdin", input="alice-password-2")
        assert reset.returncode == 0, reset.stderr
        assert "refreshed" in reset.stdout
        expect_auth_error(profile.sync)
        fresh = anki(srv.endpoint)
        fresh.login("alice", "alice-password-2")
        assert fresh.sync() == NO_CHANGES
        owners = {p.name: (p.stat().st_uid, p.stat().st_gid) for p in data.rglob("*")}
        assert owners and all(o == (NOBODY, NOBODY) for o in owners.values()), owners
    finally:
        srv.stop()
