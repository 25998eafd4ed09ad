"""The shared real-client acceptance suite (../shared/acceptance), run against the built
server. Only the scenarios this server supports so far run here: login, and full upload
and download. The normal-sync and media scenarios join them with those endpoints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, add_user

CHECK = ROOT.parent / "shared" / "acceptance" / "anki_client_check.py"
SCENARIOS = ["login_ok", "login_bad_password", "full_upload_then_download"]


@pytest.mark.skipif(not CHECK.exists(), reason="../shared/acceptance is not next to this checkout")
def test_shared_login_scenarios_pass(server):
    add_user(server.data_dir, "alice", "alice-password-1")
    out = subprocess.run(
        [sys.executable, str(CHECK), "--endpoint", server.endpoint, "--user", "alice",
         "--password", "alice-password-1",
         *[arg for name in SCENARIOS for arg in ("--scenario", name)]],
        capture_output=True, text=True, timeout=300)
    print(out.stdout, out.stderr)
    assert out.returncode == 0, out.stdout + out.stderr
    for name in SCENARIOS:
        assert f"PASS {name}" in out.stdout
