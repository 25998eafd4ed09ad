"""Fixtures for the real-binary acceptance tests.

The binaries come from $FF_BIN_DIR (default: target/debug, built by test.sh); the Anki client
is the real one from the `anki` package. Every test gets its own data directory and port.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import sqlite3
import subprocess
import tempfile
import time
import uuid
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from anki.collection import Collection
from anki.errors import SyncError, SyncErrorKind

ROOT = Path(__file__).resolve().parent.parent
BIN_DIR = Path(os.environ.get("FF_BIN_DIR", ROOT / "target" / "debug"))
SERVER_BIN = BIN_DIR / "flashcard-flow-server"
ADMINCTL_BIN = BIN_DIR / "adminctl"


# The account database engine under test: SQLite in each test's data dir, or, with
# FF_TEST_POSTGRES_URL (a base URL like postgres://ff:pw@127.0.0.1:5432/), a fresh
# PostgreSQL database per test, handed to every server and adminctl through DATABASE_URL.
PG_BASE_URL = os.environ.get("FF_TEST_POSTGRES_URL", "")
ENGINE = "postgres" if PG_BASE_URL else "sqlite"
DATABASE_URL: str | None = None  # set per test by the `database` fixture


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: SQLite-specific behaviour")
    config.addinivalue_line("markers", "postgres_only: needs the PostgreSQL test cluster")


def pytest_collection_modifyitems(config, items):
    # Each engine's pass runs the tests that apply to it; say so rather than skip silently.
    other = "postgres_only" if ENGINE == "sqlite" else "sqlite_only"
    selected = [i for i in items if other not in i.keywords]
    deselected = [i for i in items if other in i.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def new_postgres_database() -> str:
    name = "ff_py_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", PG_BASE_URL + "postgres",
                    "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return PG_BASE_URL + name


@pytest.fixture(autouse=True)
def database():
    """The database of this test's server and adminctl runs (None: SQLite in the data dir)."""
    global DATABASE_URL
    DATABASE_URL = new_postgres_database() if ENGINE == "postgres" else None
    yield DATABASE_URL
    DATABASE_URL = None


def query(database: str | Path, sql: str) -> list[tuple]:
    """Rows of a query, as strings, from a SQLite file or a PostgreSQL URL."""
    if isinstance(database, Path):
        with sqlite3.connect(database) as db:
            return [tuple(str(v) for v in row) for row in db.execute(sql).fetchall()]
    out = subprocess.run(["psql", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", database, "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [tuple(line.split("\t")) for line in out.splitlines()]


def current_database(data_dir: Path) -> str | Path:
    return DATABASE_URL or data_dir / "accounts.sqlite3"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any flashcard-flow settings of the caller's."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FLASHCARD_FLOW_") and k != "DATABASE_URL"}
    if DATABASE_URL:
        env["DATABASE_URL"] = DATABASE_URL
    env.update(extra)
    return env


@dataclass
class ServerProcess:
    data_dir: Path
    port: int
    log_path: Path
    extra_args: list[str] = field(default_factory=list)
    run_as: list[str] = field(default_factory=list)  # e.g. setpriv prefix
    server_bin: Path = SERVER_BIN
    env_extra: dict = field(default_factory=dict)  # e.g. a time zone of its own
    https: bool = False  # the listener serves HTTPS (extra_args name the certificate)
    proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        scheme = "https" if self.https else "http"
        return f"{scheme}://127.0.0.1:{self.port}/"

    @property
    def socket_path(self) -> Path:
        return self.data_dir / "control.sock"

    def start(self) -> None:
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.run_as + [str(self.server_bin), "--data-dir", str(self.data_dir),
                           "--listen", f"127.0.0.1:{self.port}", *self.extra_args],
            stdout=log, stderr=log, env=clean_env(FLASHCARD_FLOW_LOG="info", **self.env_extra),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}:\n{self.log()}")
            try:
                # Start-up is checked without verifying the certificate; the tests of
                # HTTPS verify it themselves.
                unverified = ssl._create_unverified_context() if self.https else None
                with urllib.request.urlopen(self.endpoint + "health", timeout=1,
                                            context=unverified) as r:
                    if r.status == 200 and self.socket_path.exists():
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not become healthy:\n{self.log()}")

    def stop(self) -> int:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=40)
        code = self.proc.returncode if self.proc else 0
        self.proc = None
        return code

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def workdir():
    d = Path(tempfile.mkdtemp(prefix="ff-test-"))
    d.chmod(0o755)  # tests that run the server as another user need to reach it
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def server(workdir):
    srv = ServerProcess(data_dir=workdir / "data", port=free_port(), log_path=workdir / "server.log")
    srv.start()
    yield srv
    srv.stop()


def adminctl(data_dir: Path, *args: str, input: str | None = None, env_extra=None,
             prefix: list[str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = clean_env(**(env_extra or {}))
    return subprocess.run(
        (prefix or []) + [str(ADMINCTL_BIN), "--data-dir", str(data_dir), *args],
        input=input, capture_output=True, text=True, env=env, timeout=timeout,
    )


def add_user(data_dir: Path, username: str, password: str, email: str | None = None) -> None:
    out = adminctl(data_dir, "user", "add", username, email or f"{username}@example.com",
                   "--password-stdin", input=password)
    assert out.returncode == 0, out.stderr


class AnkiProfile:
    """One throw-away Anki profile driving the real sync client."""

    def __init__(self, root: Path, endpoint: str):
        self.dir = Path(tempfile.mkdtemp(dir=root, prefix="profile-"))
        self.col = Collection(str(self.dir / "collection.anki2"))
        self.endpoint = endpoint
        self.auth = None

    def login(self, user: str, password: str):
        self.auth = self.col.sync_login(user, password, self.endpoint)
        if not self.auth.endpoint:
            self.auth.endpoint = self.endpoint
        return self.auth

    def sync(self) -> int:
        return self.col.sync_collection(self.auth, False).required

    def close(self) -> None:
        self.col.close()


@pytest.fixture
def anki(workdir):
    profiles: list[AnkiProfile] = []

    def make(endpoint: str) -> AnkiProfile:
        p = AnkiProfile(workdir, endpoint)
        profiles.append(p)
        return p

    yield make
    for p in profiles:
        p.close()


def expect_auth_error(fn) -> None:
    try:
        fn()
    except SyncError as err:
        assert err.kind == SyncErrorKind.AUTH, f"expected AUTH, got {err.kind}: {err}"
        return
    raise AssertionError("expected the client's AUTH error, but the call succeeded")


NO_CHANGES = 0
