"""`adminctl db backup` while the server runs and Anki devices sign in, on the engine under
test: SQLite gets a checked, private copy that adminctl can use as the account database;
PostgreSQL gets a pg_dump whose restore into an empty database holds the same users (the
password never in pg_dump's argv). The copy never overwrites a file."""

from __future__ import annotations

import json
import stat
import subprocess
import threading

import conftest
from conftest import add_user, adminctl, current_database, new_postgres_database, query


def users_listed(data_dir, **env) -> list[str]:
    out = adminctl(data_dir, "--json", "user", "list", env_extra=env)
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    rows = listed["users"] if isinstance(listed, dict) else listed
    return sorted(u["username"] for u in rows)


def test_a_backup_of_the_account_database_while_the_server_runs(server, anki, workdir):
    for name in ("alice", "bob", "carol"):
        add_user(server.data_dir, name, f"{name}-password-123")
    # Devices sign in (writing host keys) while the copy is made.
    stop = threading.Event()

    def sign_ins() -> None:
        while not stop.is_set():
            profile = anki(server.endpoint)
            profile.login("alice", "alice-password-123")

    busy = threading.Thread(target=sign_ins, daemon=True)
    busy.start()
    try:
        target = workdir / "backups" / "accounts-copy"
        target.parent.mkdir()
        out = adminctl(server.data_dir, "--json", "db", "backup", "--to", str(target))
    finally:
        stop.set()
        busy.join(timeout=60)
    assert out.returncode == 0, out.stderr
    made = json.loads(out.stdout)
    assert made["file"] == str(target) and made["engine"] == conftest.ENGINE
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["accounts-copy"], \
        "nothing but the copy is left beside it"

    if conftest.ENGINE == "sqlite":
        assert made["users"] == 3
        assert query(target, "PRAGMA integrity_check") == [("ok",)]
        assert users_listed(server.data_dir, DATABASE_URL=f"sqlite://{target}") == \
            ["alice", "bob", "carol"]
    else:
        restored = new_postgres_database()
        subprocess.run(["pg_restore", "--no-owner", "--dbname", restored, str(target)],
                       check=True, capture_output=True)
        assert users_listed(server.data_dir, DATABASE_URL=restored) == ["alice", "bob", "carol"]
        target_db = restored
    copied = target if conftest.ENGINE == "sqlite" else target_db
    users = "SELECT id, username, email FROM users ORDER BY id"
    assert query(copied, users) == query(current_database(server.data_dir), users)

    # A second backup to the same name is refused and leaves the first alone.
    before = target.read_bytes()
    again = adminctl(server.data_dir, "db", "backup", "--to", str(target))
    assert again.returncode == 1 and "exists already" in again.stderr, again.stderr
    assert target.read_bytes() == before
