"""The web pages end to end, as a user, an admin and a German speaker live them: headless
Chromium against the real server (the frame, the forgotten-password path, the deck list of a
collection the real Anki client uploaded, the account and admin pages, desktop and phone), a
real SMTP server (aiosmtpd) capturing the mail, and the real Anki client before and after.
Screenshots of every step, light and dark, land in ci-artifacts/."""

from __future__ import annotations

import email
import email.policy
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from conftest import (NO_CHANGES, ROOT, ServerProcess, adminctl, add_user, expect_auth_error,
                      free_port)
from test_full_sync import FULL_UPLOAD, add_notes, upload

E2E = ROOT / "tests" / "e2e"
ARTIFACTS = ROOT / "ci-artifacts" / "screenshots"
REQUIRED = bool(os.environ.get("CI"))
OLD, NEW = "alice-password-1", "a fresh password from the link"


class Capture:
    """aiosmtpd handler: each message's decoded text body to MAIL_DIR/NNN.txt."""

    def __init__(self, folder: Path):
        self.folder, self.count = folder, 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body else ""
        self.count += 1
        (self.folder / f"{self.count:03}.txt").write_text(
            f"To: {message['To']}\nSubject: {message['Subject']}\n\n{text}")
        return "250 OK"


def have_browser() -> bool:
    return (E2E / "node_modules" / "playwright-core").exists() and Path("/usr/bin/chromium").exists() \
        and shutil.which("node") is not None


@pytest.mark.skipif(not have_browser() and not REQUIRED, reason="chromium / node_modules missing")
def test_a_forgotten_password_is_reset_by_email_in_a_browser_and_anki_follows(workdir, anki):
    assert have_browser(), "CI installs chromium and tests/e2e/node_modules"
    mail_dir = workdir / "mail"
    mail_dir.mkdir()
    capture = Controller(Capture(mail_dir), hostname="127.0.0.1", port=free_port())
    capture.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = ServerProcess(
        data_dir=workdir / "data", port=port, log_path=workdir / "server.log",
        extra_args=["--public-url", base, "--smtp-host", "127.0.0.1",
                    "--smtp-port", str(capture.port), "--smtp-security", "none",
                    "--smtp-from", "flashcard-flow <noreply@example.com>"])
    try:
        server.start()
        add_user(server.data_dir, "alice", OLD)
        admin = adminctl(server.data_dir, "user", "add", "admin", "admin@example.com", "--admin",
                         "--password-stdin", input="admin-password-12")
        assert admin.returncode == 0, admin.stderr

        # Anki logged in before the reset, with a collection on the server.
        a = anki(server.endpoint)
        a.login("alice", OLD)
        add_notes(a, 10, "a")
        assert a.sync() == FULL_UPLOAD
        upload(a)
        assert a.sync() == NO_CHANGES

        if ARTIFACTS.exists():
            shutil.rmtree(ARTIFACTS)
        run = subprocess.run(
            ["node", str(E2E / "reset_flow.mjs")], cwd=E2E, capture_output=True, text=True,
            timeout=300,
            env={**os.environ, "BASE_URL": base, "MAIL_DIR": str(mail_dir), "OUT_DIR": str(ARTIFACTS),
                 "USER_EMAIL": "alice@example.com", "NEW_PASSWORD": NEW,
                 "ADMIN_LOGIN": "admin", "ADMIN_PASSWORD": "admin-password-12"})
        print(run.stderr)
        result = json.loads(run.stdout.strip().splitlines()[-1]) if run.stdout.strip() else {}
        assert run.returncode == 0 and result.get("ok"), result.get("error") or run.stderr
        print("screenshots:", *result["shots"], sep="\n  ")
        assert len(result["shots"]) == 2 * len(result["steps"]) >= 38
        # Post/Redirect/Get: the reset answers 303 to /login, which says what happened.
        assert result["reset_banner"].startswith("Your password has been reset")

        # Anki: the device that logged in before the reset must log in again; the new
        # password works at once, with no restart.
        expect_auth_error(a.sync)
        a.login("alice", NEW)
        assert a.sync() == NO_CHANGES

        # Nothing secret in the server's log: not the token, not either password.
        log = server.log()
        for secret in (result["token"], OLD, NEW):
            assert secret not in log
        # And the notice of the change reached the owner.
        notices = [p.read_text() for p in sorted(mail_dir.glob("*.txt"))]
        assert any("password was changed" in n and "alice@example.com" in n for n in notices)
    finally:
        server.stop()
        capture.stop()
