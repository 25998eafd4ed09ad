"""Crash leftovers: the server is killed with SIGKILL in the middle of a media upload
(`msync/uploadChanges`) and of a full upload's integrity check, again and again. After each
start no scratch file remains in the user's directory, none survives the next upload either,
and the collection the real client uploaded is intact and still syncs.

The kills are aimed (the test watches the user's directory and kills the moment a scratch
file appears), but nothing depends on where one lands: a kill that finds no scratch file,
or comes after the upload has ended, leaves a directory the assertions hold for just the
same."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import zstandard

from conftest import NO_CHANGES, add_user
from test_full_sync import FULL_DOWNLOAD, FULL_UPLOAD, add_notes, download, fields, upload
from test_media_sync import media_files, sync_media

PASSWORD = "alice-password-1"
ROUNDS = 3  # of each kind of kill

# What a user's directory holds for good. Anything else there, and anything at all in
# media-incoming/, is a leftover.
KEPT = {"collection.anki2", "collection.anki2-wal", "collection.anki2-shm",
        "media.db", "media.db-wal", "media.db-shm", "media", "media-incoming", "backups"}


def user_dir(server) -> Path:
    (path,) = (server.data_dir / "users").glob("*/collection.anki2")
    return path.parent


def leftovers(udir: Path) -> list[str]:
    scratch = udir / "media-incoming"
    found = [p.name for p in udir.iterdir() if p.name not in KEPT]
    if scratch.is_dir():
        found += [f"media-incoming/{p.name}" for p in scratch.iterdir()]
    # Snapshots are kept; a snapshot's temporary files are not.
    backups = udir / "backups"
    if backups.is_dir():
        found += [f"backups/{p.name}" for p in backups.iterdir()
                  if not p.name.endswith((".anki2.zst", ".json"))]
    return sorted(found)


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    conn.create_collation("unicase", lambda a, b: (a.lower() > b.lower()) - (a.lower() < b.lower()))
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


class Raw:
    """Speaks the wire protocol directly, so the test controls what is in flight when it kills."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.hkey = ""

    def post(self, path: str, body: bytes, timeout: float = 60) -> tuple[int, bytes]:
        header = json.dumps({"v": 11, "k": self.hkey, "c": "26.09.3,test,linux", "s": ""})
        req = urllib.request.Request(self.endpoint + path, method="POST", headers={"anki-sync": header},
                                     data=zstandard.ZstdCompressor(level=1).compress(body))
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, zstandard.ZstdDecompressor().decompressobj().decompress(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, b""

    def login(self, user: str, password: str) -> None:
        status, body = self.post("sync/hostKey", json.dumps({"u": user, "p": password}).encode())
        assert status == 200, status
        self.hkey = json.loads(body)["key"]


class InFlight(threading.Thread):
    """One request in a thread of its own; the server may die under it."""

    def __init__(self, raw: Raw, path: str, body: bytes):
        super().__init__(daemon=True)
        self.raw, self.path, self.body = raw, path, body
        self.reply: tuple[int, bytes] | None = None

    def run(self) -> None:
        try:
            self.reply = self.raw.post(self.path, self.body)
        except OSError:
            pass  # the server was killed mid-request


def media_upload_zip(round_no: int) -> bytes:
    """Ten 8 MiB files under new names (names already on the server would not be written)."""
    buf = io.BytesIO()
    meta = []
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for i in range(10):
            zf.writestr(str(i), f"round {round_no} file {i}\n".encode() + bytes(8 << 20))
            meta.append([f"crash-{round_no}-{i}.bin", str(i)])
        zf.writestr("_meta", json.dumps(meta))
    return buf.getvalue()


def slow_to_check_collection(workdir: Path) -> bytes:
    """A large WAL-mode SQLite file whose integrity check takes a while, with a `col` row of
    schema 99: the server checks all of it, then refuses it, so even an upload that
    finishes before the kill leaves the stored collection alone."""
    path = workdir / "slow-to-check.anki2"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(
        "CREATE TABLE col (id INTEGER PRIMARY KEY, crt, mod, scm, ver, dty, usn, ls, conf, "
        "models, decks, dconf, tags);"
        "INSERT INTO col VALUES (1, 0, 0, 0, 99, 0, 0, 0, '', '', '', '', '');"
        "CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT);"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400000) "
        "INSERT INTO filler SELECT i, printf('%08d', i * 7919 % 400000) || hex(zeroblob(60)) FROM n;"
        "CREATE INDEX filler_body ON filler (body);")
    conn.commit()
    conn.close()
    return path.read_bytes()


def kill_when(server, appeared, request: InFlight, limit: float = 20) -> None:
    """SIGKILLs the server the moment `appeared()` holds, or once the request has ended."""
    deadline = time.monotonic() + limit
    while request.is_alive() and not appeared() and time.monotonic() < deadline:
        time.sleep(0.0002)
    server.proc.kill()
    server.proc.wait(timeout=10)
    server.proc = None
    request.join(timeout=30)
    if request.reply is not None:
        # It ended before the kill: then it must have been a request the server took.
        assert request.reply[0] == 200, request.reply


def names_in(folder: Path, suffix: str = "") -> bool:
    try:
        return any(name.endswith(suffix) for name in os.listdir(folder))
    except FileNotFoundError:
        return False


def test_uploads_killed_mid_way_leave_nothing_behind_once_restarted(server, anki, workdir):
    add_user(server.data_dir, "alice", PASSWORD)
    a = anki(server.endpoint)
    a.login("alice", PASSWORD)
    add_notes(a, 40, "a")
    assert a.col.media.write_data("before.jpg", b"before the crashes") == "before.jpg"
    assert a.sync() == FULL_UPLOAD
    upload(a)
    sync_media(a)
    udir = user_dir(server)
    collection = udir / "collection.anki2"
    raw = Raw(server.endpoint)
    raw.login("alice", PASSWORD)
    slow = slow_to_check_collection(workdir)

    seen: list[str] = []
    for round_no in range(ROUNDS):
        upload_media = InFlight(raw, "msync/uploadChanges", media_upload_zip(round_no))
        upload_media.start()
        kill_when(server, lambda: names_in(udir / "media-incoming"), upload_media)
        seen += leftovers(udir)
        server.start()
        assert leftovers(udir) == [], "the start-up sweep missed a media upload's leftovers"

        upload_full = InFlight(raw, "sync/upload", slow)
        upload_full.start()
        kill_when(server, lambda: names_in(udir, ".tmp-shm"), upload_full)
        seen += leftovers(udir)
        server.start()
        assert leftovers(udir) == [], "the start-up sweep missed a full upload's leftovers"
    print(f"leftovers the kills left (each gone after the next start): {seen}")

    # What the kills leave, planted while the server runs: the next upload, media or full,
    # clears it first.
    planted = ["upload-incoming-0011223344556677.anki2.tmp",
               "upload-incoming-0011223344556677.anki2.tmp-wal",
               "upload-incoming-0011223344556677.anki2.tmp-shm",
               "upload-incoming-8899aabbccddeeff.anki2.tmp-journal",
               "upload-retired-0123456789abcdef.anki2.tmp",
               "media-incoming/0123456789abcdef"] + seen

    def plant() -> None:
        (udir / "media-incoming").mkdir(exist_ok=True)
        for name in planted:
            (udir / name).write_bytes(b"partial")

    plant()
    assert a.col.media.write_data("after.jpg", b"after the crashes") == "after.jpg"
    sync_media(a)
    assert leftovers(udir) == [], "a media upload did not sweep first"
    plant()
    add_notes(a, 5, "after")
    upload(a)
    # The upload's own retired collection is deleted in the background after the reply (the
    # client need not wait for its blocks to be freed): every planted leftover must be gone
    # at once, and the retired file soon after.
    assert not set(planted) & set(leftovers(udir)), "a full upload did not sweep first"
    assert all(name.startswith("upload-retired-") for name in leftovers(udir)), leftovers(udir)
    deadline = time.monotonic() + 10
    while leftovers(udir) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftovers(udir) == [], "the replaced collection was never deleted"

    # The collection is whole, and the real client syncs with it.
    assert integrity(collection) == "ok"
    assert integrity(udir / "media.db") == "ok"
    assert a.sync() == NO_CHANGES
    b = anki(server.endpoint)
    b.login("alice", PASSWORD)
    assert b.sync() == FULL_DOWNLOAD
    download(b)
    assert b.sync() == NO_CHANGES
    assert fields(b) == fields(a)
    sync_media(b)
    assert media_files(b) == media_files(a)
    assert set(media_files(b)) == {"before.jpg", "after.jpg"}
