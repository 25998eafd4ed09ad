"""Starting and stopping the server: defaults, configuration, signals, stale sockets."""

from __future__ import annotations

import os
import signal

import pytest
import socket
import subprocess
import time
import urllib.request

from conftest import (NO_CHANGES, SERVER_BIN, ServerProcess, adminctl, add_user, clean_env,
                      free_port)


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited"
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("not healthy")


@pytest.mark.sqlite_only
def test_with_no_arguments_it_serves_sqlite_in_data_on_loopback_8080(workdir, anki):
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", 8080)) != 0, "port 8080 is taken on this machine"
    log = workdir / "first-run.log"
    proc = subprocess.Popen([str(SERVER_BIN)], cwd=workdir, env=clean_env(),
                            stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
    try:
        wait_healthy("http://127.0.0.1:8080/health", proc)
        # A newcomer is told how to create the first account, with the command to type.
        assert "no account exists yet" in log.read_text()
        data_dir = (workdir / "data").resolve()
        assert f"adminctl --data-dir {data_dir} user add --admin NAME EMAIL" in log.read_text()
        assert (workdir / "data" / "accounts.sqlite3").exists()
        assert (workdir / "data" / "control.sock").exists()
        # adminctl with no flags, from the same directory, finds the same database and server.
        out = subprocess.run([str(os.environ.get("FF_ADMINCTL", SERVER_BIN.parent / "adminctl")),
                              "user", "add", "alice", "alice@example.com", "--password-stdin"],
                             cwd=workdir, input="alice-password-1", capture_output=True, text=True,
                             env=clean_env())
        assert out.returncode == 0, out.stderr
        profile = anki("http://127.0.0.1:8080/")
        profile.login("alice", "alice-password-1")
        assert profile.sync() == NO_CHANGES
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=40)


def test_sigterm_stops_cleanly_and_removes_the_socket(server):
    assert server.socket_path.exists()
    assert server.stop() == 0
    assert not server.socket_path.exists()
    assert "stopped" in server.log()


def test_a_stale_socket_left_by_a_crash_is_replaced(server, anki):
    add_user(server.data_dir, "alice", "alice-password-1")
    server.proc.kill()
    server.proc.wait()
    assert server.socket_path.exists(), "a killed server leaves its socket behind"
    server.start()
    assert "removing stale control socket" in server.log()
    profile = anki(server.endpoint)
    profile.login("alice", "alice-password-1")
    assert profile.sync() == NO_CHANGES


def test_a_second_server_on_the_same_socket_refuses_to_start(server, workdir):
    second = subprocess.run(
        [str(SERVER_BIN), "--data-dir", str(server.data_dir), "--listen", f"127.0.0.1:{free_port()}"],
        capture_output=True, text=True, env=clean_env(), timeout=30)
    assert second.returncode != 0
    assert "already listening" in second.stderr
    assert server.proc.poll() is None


def test_the_config_file_and_environment_are_read(workdir, anki):
    port = free_port()
    data = workdir / "cfg-data"
    config = workdir / "flashcard-flow.toml"
    config.write_text(f'data_dir = "{data}"\nlisten = "127.0.0.1:{port}"\nmin_password_length = 10\n')
    proc = subprocess.Popen([str(SERVER_BIN)], env=clean_env(FLASHCARD_FLOW_CONFIG=str(config)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/health", proc)
        # adminctl reads the same file: the lowered minimum applies, and the server is found.
        out = adminctl(data, "--config", str(config), "user", "add", "alice", "alice@example.com",
                       "--password-stdin", input="ten-chars!")
        assert out.returncode == 0, out.stderr
        status = adminctl(data, "--config", str(config), "--json", "status")
        assert '"running":true' in status.stdout.replace(" ", "")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=40)


def test_a_broken_config_file_is_a_clear_error(workdir):
    config = workdir / "bad.toml"
    config.write_text('lisen = "127.0.0.1:1"\n')
    out = subprocess.run([str(SERVER_BIN), "--config", str(config)], capture_output=True, text=True,
                         env=clean_env(), timeout=30)
    assert out.returncode != 0
    assert "invalid config file" in out.stderr and "lisen" in out.stderr
