"""The shared real-client acceptance suite (../shared/acceptance/anki_client_check.py), every
scenario, run against the built server: login, full upload and download, normal sync both
ways, media, 8 concurrent clients, and a stale host key after `adminctl reset-password`."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ADMINCTL_BIN, ROOT, add_user, clean_env

CHECK = ROOT.parent / "shared" / "acceptance" / "anki_client_check.py"
SCENARIOS = ["login_ok", "login_bad_password", "full_upload_then_download",
             "incremental_both_ways", "media_roundtrip", "stale_hkey_after_password_change",
             "concurrent_clients"]


@pytest.mark.skipif(not CHECK.exists(), reason="../shared/acceptance is not next to this checkout")
def test_every_shared_scenario_passes(server):
    add_user(server.data_dir, "alice", "alice-password-1")
    for i in range(1, 9):
        add_user(server.data_dir, f"ccuser{i}", f"ccpass{i}-long-enough")
    change = (f"printf %s {{new}} | {shlex.quote(str(ADMINCTL_BIN))} --data-dir "
              f"{shlex.quote(str(server.data_dir))} reset-password {{user}} --password-stdin")
    out = subprocess.run(
        [sys.executable, str(CHECK), "--endpoint", server.endpoint, "--user", "alice",
         "--password", "alice-password-1", "--new-password", "alice-password-2",
         "--change-password-cmd", change,
         *[arg for name in SCENARIOS for arg in ("--scenario", name)]],
        capture_output=True, text=True, timeout=600, env=clean_env())
    print(out.stdout, out.stderr)
    assert out.returncode == 0, out.stdout + out.stderr
    for name in SCENARIOS:
        assert f"PASS {name}" in out.stdout
