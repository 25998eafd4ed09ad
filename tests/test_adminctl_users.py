"""`adminctl user ...` and `status`, with the running server told about each change."""

from __future__ import annotations

import json
import re

from conftest import NO_CHANGES, adminctl, add_user, expect_auth_error


def test_user_add_list_and_duplicates(server):
    add_user(server.data_dir, "alice", "alice-password-1", email="Alice@Example.com")
    out = adminctl(server.data_dir, "user", "add", "bob", "bob@example.com", "--admin", "--generate")
    assert out.returncode == 0, out.stderr
    assert re.search(r"^Password: \S{20,}$", out.stdout, re.M)

    listed = adminctl(server.data_dir, "--json", "user", "list")
    users = {u["username"]: u for u in json.loads(listed.stdout)}
    assert users["alice"]["email"] == "alice@example.com"
    assert users["bob"]["admin"] is True and users["alice"]["admin"] is False

    dup = adminctl(server.data_dir, "user", "add", "alice2", "ALICE@example.com", "--password-stdin",
                   input="alice-password-1")
    assert dup.returncode == 1 and "already exists" in dup.stderr
    bad = adminctl(server.data_dir, "user", "add", "al:ice", "x@example.com", "--password-stdin",
                   input="alice-password-1")
    assert bad.returncode == 1 and "username" in bad.stderr
    text = adminctl(server.data_dir, "user", "list")
    assert "alice@example.com" in text.stdout and "USERNAME" in text.stdout


def test_disable_takes_effect_at_once_and_enable_restores(server, anki):
    add_user(server.data_dir, "alice", "alice-password-1")
    profile = anki(server.endpoint)
    profile.login("alice", "alice-password-1")
    assert profile.sync() == NO_CHANGES

    out = adminctl(server.data_dir, "user", "disable", "alice")
    assert out.returncode == 0, out.stderr
    assert "refreshed" in out.stdout
    expect_auth_error(profile.sync)
    expect_auth_error(lambda: anki(server.endpoint).login("alice", "alice-password-1"))

    assert adminctl(server.data_dir, "user", "enable", "alice@example.com").returncode == 0
    again = anki(server.endpoint)
    again.login("alice", "alice-password-1")
    assert again.sync() == NO_CHANGES


def test_delete_removes_the_account_and_its_devices(server, anki):
    add_user(server.data_dir, "alice", "alice-password-1")
    profile = anki(server.endpoint)
    profile.login("alice", "alice-password-1")
    out = adminctl(server.data_dir, "user", "delete", "alice")
    assert out.returncode == 0, out.stderr
    expect_auth_error(profile.sync)
    assert json.loads(adminctl(server.data_dir, "--json", "user", "list").stdout) == []
    assert adminctl(server.data_dir, "user", "delete", "alice").returncode == 1


def test_status_reports_the_database_and_the_running_server(server, anki):
    add_user(server.data_dir, "alice", "alice-password-1")
    anki(server.endpoint).login("alice", "alice-password-1")
    out = adminctl(server.data_dir, "--json", "status")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    from conftest import ENGINE
    if ENGINE == "sqlite":
        assert doc["database"]["engine"] == "sqlite"
        assert doc["database"]["location"] == str(server.data_dir / "accounts.sqlite3")
    else:
        assert doc["database"]["engine"] == "postgresql"
        assert doc["database"]["location"].startswith("ff@127.0.0.1:")
    assert doc["users"] == 1
    assert doc["server"]["running"] is True
    assert doc["server"]["pid"] == server.proc.pid
    assert doc["server"]["cached_host_keys"] == 1
    server.stop()
    stopped = adminctl(server.data_dir, "status")
    assert stopped.returncode == 0 and "not running" in stopped.stdout


def test_environment_variables_select_the_data_dir(server):
    add_user(server.data_dir, "alice", "alice-password-1")
    import subprocess
    from conftest import ADMINCTL_BIN, clean_env
    out = subprocess.run([str(ADMINCTL_BIN), "--json", "user", "list"], capture_output=True,
                         text=True, env=clean_env(FLASHCARD_FLOW_DATA_DIR=str(server.data_dir)))
    assert out.returncode == 0, out.stderr
    assert [u["username"] for u in json.loads(out.stdout)] == ["alice"]


def test_help_documents_the_interface_and_exit_codes():
    import subprocess
    from conftest import ADMINCTL_BIN
    top = subprocess.run([str(ADMINCTL_BIN), "--help"], capture_output=True, text=True).stdout
    for word in ("reset-password", "user", "status", "--data-dir", "--database-url",
                 "--control-socket", "--config", "--json", "DATABASE_URL",
                 "FLASHCARD_FLOW_DATA_DIR", "FLASHCARD_FLOW_CONTROL_SOCKET", "Exit codes"):
        assert word in top, word
    reset = subprocess.run([str(ADMINCTL_BIN), "reset-password", "--help"], capture_output=True,
                           text=True).stdout
    for word in ("--password-stdin", "--generate", "EMAIL-OR-USERNAME", "NEW-PASSWORD"):
        assert word in reset, word
