"""Moving over from the official sync server: the official server (`python -m
anki.syncserver`, from the same `anki` package) serves two users with real client data
(notes, reviews, media); `adminctl import-anki-server` takes its users file and data
directory; the same client profiles then sync against flashcard-flow with NO_CHANGES and no
new login, and their media is complete on the new server."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from anki.sync import SyncAuth

from conftest import (NO_CHANGES, ServerProcess, adminctl, current_database, expect_auth_error,
                      free_port, query)
from test_full_sync import FULL_DOWNLOAD, FULL_UPLOAD, add_notes

USERS = {"alice": "alice-pw", "bob": "bob-short"}  # official passwords need not meet our policy


class OfficialServer:
    def __init__(self, base: Path, users: dict[str, str], hashed: bool = False):
        self.base, self.port = base, free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}/"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNC_")}
        env.update(SYNC_HOST="127.0.0.1", SYNC_PORT=str(self.port), SYNC_BASE=str(base))
        for i, (user, secret) in enumerate(users.items(), 1):
            env[f"SYNC_USER{i}"] = f"{user}:{secret}"
        if hashed:
            env["PASSWORDS_HASHED"] = "1"
        self.proc = subprocess.Popen([sys.executable, "-m", "anki.syncserver"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.endpoint + "health", timeout=1):
                    return
            except OSError:
                assert self.proc.poll() is None, "official server exited"
                assert time.monotonic() < deadline, "official server did not start"
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def media_sync(profile) -> None:
    profile.col.sync_media(profile.auth)
    while profile.col.media_sync_status().active:  # raises if the media sync failed
        time.sleep(0.1)


def fill_profile(profile, user: str) -> None:
    """Notes, a review and media, fully synced to the official server."""
    profile.login(user, USERS[user])
    add_notes(profile, 15, user)
    col = profile.col
    for i in range(3):
        name = col.media.write_data(f"{user}-pic-{i}.png", os.urandom(2000 + i))
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"], note["Back"] = f"{user} picture {i}", f'<img src="{name}">'
        col.add_note(note, col.decks.id("Default"))
    assert profile.sync() == FULL_UPLOAD
    col.close_for_full_sync()
    try:
        col.full_upload_or_download(auth=profile.auth, server_usn=None, upload=True)
    finally:
        col.reopen(after_full_sync=True)
    card = col.get_card(col.find_cards("")[0])
    card.start_timer()
    col.sched.answerCard(card, 3)
    assert profile.sync() == NO_CHANGES  # a normal sync with the official server
    media_sync(profile)


def move_to(profile, endpoint: str) -> None:
    """What a user does in Anki's preferences: a new server URL, the same stored key."""
    profile.endpoint = endpoint
    profile.auth = SyncAuth(hkey=profile.auth.hkey, endpoint=endpoint, io_timeout_secs=60)


def server_media(data_dir: Path, user_id: str) -> dict[str, bytes]:
    folder = data_dir / "users" / user_id / "media"
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def profile_media(profile) -> dict[str, bytes]:
    folder = Path(profile.col.media.dir())
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_official_users_and_data_move_over_and_devices_keep_syncing(workdir, anki):
    base = workdir / "official"
    official = OfficialServer(base, USERS)
    profiles = {}
    try:
        for user in USERS:
            profiles[user] = anki(official.endpoint)
            fill_profile(profiles[user], user)
    finally:
        official.stop()

    users_file = workdir / "official.env"
    users_file.write_text("# the official server's settings\n" + "".join(
        f"SYNC_USER{i}={u}:{p}\n" for i, (u, p) in enumerate(USERS.items(), 1)))
    data_dir = workdir / "data"
    args = ["import-anki-server", "--base", str(base), "--users-file", str(users_file),
            "--email-domain", "example.org", "--keep-anki-logins"]

    dry = adminctl(data_dir, *args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "alice <alice@example.org>: collection, 3 media file(s)" in dry.stdout
    assert not data_dir.exists(), "a dry run writes nothing"

    done = adminctl(data_dir, *args)
    assert done.returncode == 0, done.stderr
    assert "alice-pw" not in done.stdout + done.stderr
    again = adminctl(data_dir, *args)
    assert again.returncode == 1 and "already exists" in again.stderr

    server = ServerProcess(data_dir=data_dir, port=free_port(), log_path=workdir / "server.log")
    server.start()
    try:
        for user, profile in profiles.items():
            move_to(profile, server.endpoint)
            assert profile.sync() == NO_CHANGES  # no login, nothing to transfer
            media_sync(profile)
            (user_id,) = query(current_database(data_dir),
                               f"select id from users where username = '{user}'")[0]
            assert server_media(data_dir, user_id) == profile_media(profile)

            # The account works on its own too: a new device logs in with the old password.
            fresh = anki(server.endpoint)
            fresh.login(user, USERS[user])
            assert fresh.sync() == FULL_DOWNLOAD
            fresh.col.close_for_full_sync()
            try:
                fresh.col.full_upload_or_download(auth=fresh.auth, server_usn=None, upload=False)
            finally:
                fresh.col.reopen(after_full_sync=True)
            assert fresh.col.db.all("select id, flds from notes order by id") == \
                profile.col.db.all("select id, flds from notes order by id")
            assert fresh.col.db.scalar("select count() from revlog") == 1

        # And changes keep flowing: a normal sync on the moved profile.
        alice = profiles["alice"]
        note = alice.col.get_note(alice.col.find_notes("")[0])
        note["Front"] = "edited after the move"
        alice.col.update_note(note)
        assert alice.sync() == NO_CHANGES
    finally:
        server.stop()
    assert "alice-pw" not in server.log()


def pbkdf2_phc(password: str, rounds: int = 1000) -> str:
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, rounds)
    b64 = lambda b: base64.b64encode(b).decode().rstrip("=")
    return f"$pbkdf2-sha256$i={rounds},l=32${b64(salt)}${b64(digest)}"


def test_hashed_official_users_import_and_log_in_with_their_password(workdir, anki):
    base = workdir / "official"
    hashed = {"carol": pbkdf2_phc("carol-pass")}
    official = OfficialServer(base, hashed, hashed=True)
    try:
        carol = anki(official.endpoint)
        carol.login("carol", "carol-pass")
        add_notes(carol, 5, "carol")
        assert carol.sync() == FULL_UPLOAD
        carol.col.close_for_full_sync()
        try:
            carol.col.full_upload_or_download(auth=carol.auth, server_usn=None, upload=True)
        finally:
            carol.col.reopen(after_full_sync=True)
    finally:
        official.stop()

    data_dir = workdir / "data"
    env = {"SYNC_USER1": f"carol:{hashed['carol']}", "PASSWORDS_HASHED": "1"}
    done = adminctl(data_dir, "import-anki-server", "--base", str(base),
                    "--email-domain", "example.org", env_extra=env)
    assert done.returncode == 0, done.stderr

    server = ServerProcess(data_dir=data_dir, port=free_port(), log_path=workdir / "server.log")
    server.start()
    try:
        # Without --keep-anki-logins the old key is not accepted: the device logs in again,
        # with the same password, and finds its collection unchanged.
        move_to(carol, server.endpoint)
        expect_auth_error(carol.sync)
        carol.login("carol", "carol-pass")
        assert carol.sync() == NO_CHANGES
        wrong = anki(server.endpoint)
        expect_auth_error(lambda: wrong.login("carol", "not-carols-password"))

        # The web login accepts the imported hash once and writes an Argon2id hash for it.
        def web_hash() -> str:
            return query(current_database(data_dir),
                         "select password_hash from users where username = 'carol'")[0][0]
        assert web_hash().startswith("$pbkdf2-sha256$")
        login = urllib.request.Request(
            server.endpoint + "api/login", method="POST",
            data=json.dumps({"login": "carol", "password": "carol-pass"}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(login, timeout=30) as reply:
            assert reply.status == 200
        assert web_hash().startswith("$argon2id$")
    finally:
        server.stop()
