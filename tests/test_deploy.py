"""Deployment: the systemd unit, the readiness protocol, graceful shutdown, SIGHUP, and the
container image's runtime layout, exercised with the real binaries outside any container
engine (there is none on this machine: the image itself is only linted)."""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import (ADMINCTL_BIN, ENGINE, NO_CHANGES, ROOT, SERVER_BIN, ServerProcess,
                      add_user, clean_env, free_port)
from test_full_sync import FULL_UPLOAD, add_notes, upload

UNIT = ROOT / "systemd" / "flashcard-flow.service"
DOCKERFILE = ROOT / "Dockerfile"
NOBODY = 65534
REQUIRED = bool(os.environ.get("CI"))  # in CI every tool must be there; locally they may not


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


# --- systemd -------------------------------------------------------------------------------

def verify_unit(text: str, workdir: Path) -> subprocess.CompletedProcess:
    unit = workdir / "flashcard-flow.service"
    unit.write_text(text)
    return subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not shutil.which("systemd-analyze") and not REQUIRED, reason="no systemd-analyze")
def test_the_unit_passes_systemd_analyze_verify(workdir):
    text = UNIT.read_text()
    assert "Type=notify" in text and "ProtectSystem=strict" in text
    # The unit names the installed path; verify checks that the binary exists.
    local = re.sub(r"(?m)^ExecStart=\S+", f"ExecStart={SERVER_BIN}", text)
    good = verify_unit(local, workdir)
    assert good.returncode == 0 and "flashcard-flow.service" not in good.stderr, good.stderr
    # The check can fail: a broken copy is reported.
    bad = verify_unit(local.replace("Type=notify", "Type=telepathy"), workdir)
    assert "telepathy" in bad.stderr, bad.stderr
    # The stop bound sits above the server's own shutdown bound (30 s by default).
    stop = int(re.search(r"(?m)^TimeoutStopSec=(\d+)", text).group(1))
    assert stop > 30


class NotifySocket:
    """What systemd listens on for sd_notify datagrams."""

    def __init__(self, path: Path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))

    def receive(self, timeout: float) -> str | None:
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(4096).decode()
        except socket.timeout:
            return None


def systemd_like_env(workdir: Path, notify: NotifySocket, port: int, **extra) -> dict:
    state, runtime = workdir / "state", workdir / "run"
    state.mkdir(exist_ok=True)
    runtime.mkdir(exist_ok=True)
    return clean_env(STATE_DIRECTORY=str(state), RUNTIME_DIRECTORY=str(runtime),
                     NOTIFY_SOCKET=str(notify.path), FLASHCARD_FLOW_LISTEN=f"127.0.0.1:{port}",
                     **extra)


def test_ready_is_sent_once_it_can_serve_and_stopping_at_sigterm(workdir):
    notify = NotifySocket(workdir / "notify.sock")
    port = free_port()
    env = systemd_like_env(workdir, notify, port)
    proc = subprocess.Popen([str(SERVER_BIN)], env=env, stderr=open(workdir / "log", "wb"))
    try:
        assert notify.receive(30) == "READY=1"
        # At READY everything is in place: HTTP, the socket in RUNTIME_DIRECTORY, the
        # database in STATE_DIRECTORY.
        assert healthy(port)
        assert (workdir / "run" / "control.sock").exists()
        if ENGINE == "sqlite":
            assert (workdir / "state" / "accounts.sqlite3").exists()
        proc.send_signal(signal.SIGTERM)
        assert notify.receive(10) == "STOPPING=1"
        assert proc.wait(timeout=40) == 0
        assert not (workdir / "run" / "control.sock").exists(), "the socket file is removed"
    finally:
        proc.kill()


def test_no_ready_while_the_database_does_not_answer(workdir):
    notify = NotifySocket(workdir / "notify.sock")
    port, dead = free_port(), free_port()
    env = systemd_like_env(workdir, notify, port,
                           DATABASE_URL=f"postgres://ff:pw@127.0.0.1:{dead}/ff")
    proc = subprocess.Popen([str(SERVER_BIN)], env=env, stderr=open(workdir / "log", "wb"))
    try:
        assert notify.receive(4) is None
        assert proc.poll() is None, "it waits for the database"
        assert not healthy(port)
    finally:
        proc.kill()
        proc.wait()


def test_sighup_reloads_the_log_filter(workdir):
    config = workdir / "config.toml"
    config.write_text('log = "warn"\n')
    log = workdir / "server.log"
    port = free_port()
    env = clean_env(FLASHCARD_FLOW_CONFIG=str(config))
    proc = subprocess.Popen([str(SERVER_BIN), "--data-dir", str(workdir / "data"), "--listen",
                             f"127.0.0.1:{port}"], env=env, stderr=open(log, "wb"))
    try:
        deadline = time.monotonic() + 30
        while not healthy(port):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert "ready" not in log.read_text()  # info lines are filtered out at warn
        config.write_text('log = "info"\n')
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "log filter reloaded" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        assert proc.poll() is None, "SIGHUP does not stop the server"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=40)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sigterm_during_a_full_upload_leaves_the_old_collection_intact(workdir, anki):
    config = workdir / "config.toml"
    config.write_text("shutdown_timeout_secs = 1\n")
    data = workdir / "data"
    server = ServerProcess(data_dir=data, port=free_port(), log_path=workdir / "server.log",
                           extra_args=["--config", str(config)])
    server.start()
    add_user(data, "alice", "alice-password-1")
    a = anki(server.endpoint)
    a.login("alice", "alice-password-1")
    add_notes(a, 50, "a")
    assert a.sync() == FULL_UPLOAD
    upload(a)
    (stored,) = (data / "users").glob("*/collection.anki2")
    before = sha256(stored)

    # A second, different upload, sent slowly, cut off by SIGTERM half way.
    import zstandard
    body = zstandard.ZstdCompressor().compress(os.urandom(4 << 20))
    header = ('{"v":11,"k":"%s","c":"26.09.3,test,linux","s":""}' % a.auth.hkey)
    sent = threading.Event()

    def slow_body():
        yield body[: len(body) // 2]
        sent.set()
        time.sleep(30)
        yield body[len(body) // 2:]

    def post():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            conn.request("POST", "/sync/upload", body=slow_body(), encode_chunked=True,
                         headers={"anki-sync": header, "Transfer-Encoding": "chunked"})
            conn.getresponse().read()
        except OSError:
            pass

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    assert sent.wait(30)
    time.sleep(0.5)
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=40) == 0
    assert time.monotonic() - started < 20, "the shutdown bound held"
    server.proc = None

    assert sha256(stored) == before
    conn = sqlite3.connect(stored)
    conn.create_collation("unicase", lambda x, y: (x.lower() > y.lower()) - (x.lower() < y.lower()))
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    conn.close()
    server.start()
    try:
        assert a.sync() == NO_CHANGES
    finally:
        server.stop()


# --- the container image -------------------------------------------------------------------

def dockerfile_env() -> dict[str, str]:
    """The runtime ENV of the image, as the Dockerfile sets it."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    env = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            for pair in line[4:].split():
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def test_the_dockerfile_lints_clean():
    lint = shutil.which("dockerfile-utils") or os.environ.get("FF_DOCKERFILE_LINT")
    if not lint:
        if REQUIRED:
            raise AssertionError("dockerfile-utils is missing (CI installs it from npm)")
        pytest.skip("dockerfile-utils not installed")
    out = subprocess.run([lint, "lint", str(DOCKERFILE)], capture_output=True, text=True)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr
    text = DOCKERFILE.read_text()
    for needle in ("USER flashcard-flow", 'VOLUME ["/data"]', "EXPOSE 8080",
                   'CMD ["flashcard-flow-server", "healthcheck"]'):
        assert needle in text


@pytest.mark.skipif(os.geteuid() != 0 and not REQUIRED, reason="needs root to run as another uid")
def test_the_image_layout_runs_as_non_root_with_adminctl_defaults(workdir, anki):
    """The image's environment, with /data mapped to a temp dir and 8080 to a free port,
    the server and adminctl run as an unprivileged uid (the image's user is uid 10001;
    nobody stands in), adminctl and the healthcheck with no flags at all."""
    image = dockerfile_env()
    assert image["FLASHCARD_FLOW_DATA_DIR"] == "/data"
    data, port = workdir / "data", free_port()
    data.mkdir()
    os.chown(data, NOBODY, NOBODY)
    os.chmod(workdir, 0o755)
    env = clean_env(FLASHCARD_FLOW_DATA_DIR=str(data),
                    FLASHCARD_FLOW_LISTEN=image["FLASHCARD_FLOW_LISTEN"].replace("8080", str(port)))
    as_user = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    bins = workdir / "bin"  # outside /root, where nobody can reach them
    bins.mkdir()
    for b in (SERVER_BIN, ADMINCTL_BIN):
        shutil.copy(b, bins / b.name)
    run = lambda *cmd, **kw: subprocess.run(as_user + [str(bins / cmd[0]), *cmd[1:]],  # noqa: E731
                                            env=env, capture_output=True, text=True, timeout=60, **kw)

    assert run("flashcard-flow-server", "healthcheck").returncode == 1  # nothing running yet
    proc = subprocess.Popen(as_user + [str(bins / "flashcard-flow-server")], env=env,
                            stderr=open(workdir / "log", "wb"))
    try:
        deadline = time.monotonic() + 30
        while run("flashcard-flow-server", "healthcheck").returncode != 0:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        added = run("adminctl", "user", "add", "alice", "alice@example.com", "--password-stdin",
                    input="alice-password-1")
        assert added.returncode == 0, added.stderr
        if ENGINE == "sqlite":  # the embedded database belongs to the image's user
            assert (data / "accounts.sqlite3").stat().st_uid == NOBODY
        a = anki(f"http://127.0.0.1:{port}/")
        a.login("alice", "alice-password-1")
        reset = run("adminctl", "reset-password", "alice@example.com", "--password-stdin",
                    input="alice-password-2")
        assert reset.returncode == 0, reset.stderr  # and the running server was told
        b = anki(f"http://127.0.0.1:{port}/")
        b.login("alice", "alice-password-2")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=40)
    assert run("flashcard-flow-server", "healthcheck").returncode == 1
