"""`adminctl reset-password` against a running (or stopped) server and the real Anki client.

The headline: a reset reaches the running server with no restart. The old host key gets the
client's AUTH error, the old password no longer logs in, the new one does.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import termios
import time

from conftest import (ADMINCTL_BIN, NO_CHANGES, SERVER_BIN, adminctl, add_user, clean_env,
                      current_database, expect_auth_error, query)

OLD = "alice-password-1"
NEW = "alice-password-2"
RUNBOOK_LINES = [
    "Password reset for 'alice' (alice@example.com)",
    "In-memory credentials refreshed — Anki Desktop sync works immediately.",
]


def logged_in_profile(anki, server, password=OLD):
    profile = anki(server.endpoint)
    profile.login("alice", password)
    assert profile.sync() == NO_CHANGES
    return profile


def assert_new_password_in_force(anki, server, stale_profile, new=NEW, old=OLD):
    expect_auth_error(stale_profile.sync)
    expect_auth_error(lambda: anki(server.endpoint).login("alice", old))
    fresh = anki(server.endpoint)
    fresh.login("alice", new)
    assert fresh.sync() == NO_CHANGES


def ps_output() -> str:
    return subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout


def test_reset_with_password_stdin_reaches_the_running_server_without_restart(server, anki):
    add_user(server.data_dir, "alice", OLD)
    before = logged_in_profile(anki, server)
    pid = server.proc.pid

    out = adminctl(server.data_dir, "reset-password", "alice@example.com", "--password-stdin",
                   input=NEW + "\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == RUNBOOK_LINES

    assert server.proc.pid == pid and server.proc.poll() is None, "no restart"
    assert_new_password_in_force(anki, server, before)


def test_reset_with_the_server_stopped_applies_at_start(server, anki):
    add_user(server.data_dir, "alice", OLD)
    before = logged_in_profile(anki, server)
    server.stop()

    out = adminctl(server.data_dir, "reset-password", "alice", "--password-stdin", input=NEW)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == RUNBOOK_LINES[0]
    assert "applies when the server starts" in out.stdout

    server.start()
    assert_new_password_in_force(anki, server, before)


def test_reset_with_a_positional_password_works_and_warns(server, anki):
    add_user(server.data_dir, "alice", OLD)
    before = logged_in_profile(anki, server)
    out = adminctl(server.data_dir, "reset-password", "alice@example.com", NEW)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == RUNBOOK_LINES
    assert "command line" in out.stderr and "ps" in out.stderr
    assert_new_password_in_force(anki, server, before)


def test_reset_with_generate_prints_a_password_that_works(server, anki):
    add_user(server.data_dir, "alice", OLD)
    before = logged_in_profile(anki, server)
    out = adminctl(server.data_dir, "reset-password", "alice", "--generate")
    assert out.returncode == 0, out.stderr
    match = re.search(r"^New password: (\S+)$", out.stdout, re.M)
    assert match, out.stdout
    generated = match.group(1)
    assert len(generated) >= 20
    assert RUNBOOK_LINES[1] in out.stdout
    assert_new_password_in_force(anki, server, before, new=generated)


def read_until(fd: int, screen: bytearray, marker: bytes, timeout: float = 30) -> None:
    """Reads the terminal into `screen` until `marker` shows up."""
    deadline = time.monotonic() + timeout
    while marker not in screen:
        assert time.monotonic() < deadline, f"no {marker!r} in {bytes(screen)!r}"
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                screen += os.read(fd, 1024)
            except OSError:
                break


def answer_prompt(fd: int, screen: bytearray, prompt: bytes, answer: str) -> None:
    read_until(fd, screen, prompt)
    wait_for_echo_off(fd)
    os.write(fd, answer.encode() + b"\n")


def wait_for_echo_off(fd: int, timeout: float = 30) -> None:
    """The prompt is printed a moment before adminctl turns echo off; typing in between
    would be echoed by the terminal itself, not by adminctl, so wait for the flag."""
    deadline = time.monotonic() + timeout
    while termios.tcgetattr(fd)[3] & termios.ECHO:
        assert time.monotonic() < deadline, "adminctl never turned echo off"
        time.sleep(0.01)


def test_reset_by_prompt_on_a_terminal_never_shows_the_password_in_ps(server, anki):
    add_user(server.data_dir, "alice", OLD)
    before = logged_in_profile(anki, server)

    pid, fd = pty.fork()
    if pid == 0:  # child: adminctl on a real pseudo-terminal, as an operator would run it
        os.execve(str(ADMINCTL_BIN),
                  [str(ADMINCTL_BIN), "--data-dir", str(server.data_dir), "reset-password", "alice"],
                  clean_env())
    screen = bytearray()
    answer_prompt(fd, screen, b"New password:", NEW)
    read_until(fd, screen, b"Repeat new password:")
    wait_for_echo_off(fd)
    assert NEW not in ps_output(), "the password is visible in ps"
    os.write(fd, NEW.encode() + b"\n")
    read_until(fd, screen, b"Anki Desktop sync works immediately.")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert NEW.encode() not in screen, "the password was echoed"
    assert_new_password_in_force(anki, server, before)


def test_mismatched_prompt_answers_change_nothing(server, anki):
    add_user(server.data_dir, "alice", OLD)
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(str(ADMINCTL_BIN),
                  [str(ADMINCTL_BIN), "--data-dir", str(server.data_dir), "reset-password", "alice"],
                  clean_env())
    screen = bytearray()
    answer_prompt(fd, screen, b"New password:", "first-password-123")
    answer_prompt(fd, screen, b"Repeat new password:", "other-password-123")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 1
    logged_in_profile(anki, server, password=OLD)


def test_the_password_given_on_stdin_never_shows_in_ps(server):
    add_user(server.data_dir, "alice", OLD)
    proc = subprocess.Popen(
        [str(ADMINCTL_BIN), "--data-dir", str(server.data_dir), "reset-password", "alice",
         "--password-stdin"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=clean_env())
    proc.stdin.write(NEW)
    proc.stdin.flush()
    # adminctl is now holding the password and waiting for end of input.
    assert NEW not in ps_output()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err


def test_the_runbook_server_subcommand_is_the_same_reset(server, anki):
    add_user(server.data_dir, "alice", OLD)
    before = logged_in_profile(anki, server)
    out = subprocess.run(
        [str(SERVER_BIN), "--data-dir", str(server.data_dir), "reset-password",
         "alice@example.com", NEW],
        capture_output=True, text=True, env=clean_env(), timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == RUNBOOK_LINES
    assert_new_password_in_force(anki, server, before)


def credential_state(database):
    """Everything a password change touches, from a SQLite file or a PostgreSQL URL."""
    users = query(database, "SELECT username, password_hash, pbkdf2_hash, credential_generation "
                            "FROM users ORDER BY username")
    keys = query(database, "SELECT count(*) FROM sync_keys")
    audit = query(database, "SELECT count(*) FROM audit_log")
    return users, keys, audit


def test_unknown_users_and_weak_passwords_exit_1_and_write_nothing(server, anki):
    add_user(server.data_dir, "alice", OLD)
    logged_in_profile(anki, server)
    before = credential_state(current_database(server.data_dir))

    unknown = adminctl(server.data_dir, "reset-password", "nobody@example.com", "--password-stdin",
                       input=NEW)
    assert unknown.returncode == 1
    assert "no user" in unknown.stderr

    weak = adminctl(server.data_dir, "reset-password", "alice", "--password-stdin", input="short")
    assert weak.returncode == 1
    assert "too short" in weak.stderr

    huge = adminctl(server.data_dir, "reset-password", "alice", "--password-stdin", input="x" * 200)
    assert huge.returncode == 1
    assert "too long" in huge.stderr

    assert credential_state(current_database(server.data_dir)) == before
    logged_in_profile(anki, server, password=OLD)


def test_no_password_source_off_a_terminal_is_a_clear_error(server):
    add_user(server.data_dir, "alice", OLD)
    out = adminctl(server.data_dir, "reset-password", "alice", input="")
    assert out.returncode == 1
    assert "--password-stdin" in out.stderr


def test_json_output_for_scripts(server):
    add_user(server.data_dir, "alice", OLD)
    out = adminctl(server.data_dir, "--json", "reset-password", "alice", "--password-stdin",
                   input=NEW)
    assert out.returncode == 0, out.stderr
    import json
    doc = json.loads(out.stdout)
    assert doc["username"] == "alice" and doc["server"] == "refreshed"
    assert doc["credential_generation"] == 2
    assert "generated_password" not in doc
