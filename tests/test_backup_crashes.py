"""Snapshots and restores when things go wrong. The server is killed with SIGKILL in the
middle of a snapshot and of a restore (aimed: the test watches the files and kills the
moment a step's file appears, a different step each round); after each restart the
collection is whole (the one before or, for a restore that got as far as the swap, the
restored one), every listed snapshot is complete and reads as a collection, no scratch file
is left, and the real client syncs. Then the snapshots' volume is full: the sync whose
daily snapshot fails still succeeds, the upload whose predecessor cannot be kept is
refused and replaces nothing, the log says why, and nothing half-written stays."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import zstandard

from conftest import NO_CHANGES, add_user, adminctl
from test_backups import FULL_SYNC
from test_crash_leftovers import integrity, leftovers, user_dir
from test_full_sync import FULL_UPLOAD, add_notes, download, upload

PASSWORD = "alice-password-1"
NOTES = 3000  # enough that each step of a snapshot takes long enough to be hit


class Command(threading.Thread):
    """adminctl in a thread of its own; the server may die under it."""

    def __init__(self, server, *args: str):
        super().__init__(daemon=True)
        self.server, self.args = server, args
        self.out: subprocess.CompletedProcess | None = None

    def run(self) -> None:
        self.out = adminctl(self.server.data_dir, *self.args)


def kill_the_moment(server, appeared, job: Command, limit: float = 30) -> bool:
    """SIGKILLs the server once `appeared()` holds (or the job has ended); whether it held."""
    deadline = time.monotonic() + limit
    hit = False
    while job.is_alive() and time.monotonic() < deadline:
        if appeared():
            hit = True
            break
        time.sleep(0.0002)
    server.proc.kill()
    server.proc.wait(timeout=10)
    server.proc = None
    job.join(timeout=30)
    return hit


def names(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except FileNotFoundError:
        return []


def listed(server) -> list[dict]:
    out = adminctl(server.data_dir, "backup", "list", "alice", "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["snapshots"]


def notes_in(path: Path) -> int:
    import sqlite3
    assert integrity(path) == "ok", path
    conn = sqlite3.connect(path)
    try:
        return conn.execute("select count() from notes").fetchone()[0]
    finally:
        conn.close()


def check_every_listed_snapshot(server, udir: Path) -> dict[str, int]:
    """Every listed snapshot decompresses (its checksum holds) and reads as a collection;
    its note count, by id."""
    counts = {}
    for snapshot in listed(server):
        data = udir / "backups" / f"{snapshot['id']}.anki2.zst"
        with tempfile.TemporaryDirectory() as d:
            copy = Path(d) / "c.anki2"
            with open(data, "rb") as src, open(copy, "wb") as dst:
                zstandard.ZstdDecompressor().copy_stream(src, dst)
            counts[snapshot["id"]] = notes_in(copy)
        assert counts[snapshot["id"]] == snapshot["notes"], snapshot
    return counts


def test_snapshots_and_restores_killed_mid_way_leave_whole_collections(server, anki):
    add_user(server.data_dir, "alice", PASSWORD)
    a = anki(server.endpoint)
    a.login("alice", PASSWORD)
    add_notes(a, NOTES, "big")
    assert a.sync() == FULL_UPLOAD
    upload(a)
    udir = user_dir(server)
    backups = udir / "backups"
    collection = udir / "collection.anki2"

    # Snapshots, killed while the copy is written, while it is compressed, and while it is
    # described.
    steps = [lambda: any(n.endswith(".anki2.tmp") for n in names(backups)),
             lambda: any(n.endswith(".zst.tmp") for n in names(backups)),
             lambda: any(n.endswith(".json.tmp") for n in names(backups))]
    hits = 0
    for appeared in steps:
        job = Command(server, "backup", "create", "alice")
        job.start()
        hits += kill_the_moment(server, appeared, job)
        server.start()
        assert leftovers(udir) == [], "the start-up sweep missed a snapshot's leftovers"
        assert notes_in(collection) == NOTES
        assert all(n == NOTES for n in check_every_listed_snapshot(server, udir).values())
        assert a.sync() == NO_CHANGES
    assert hits >= 1, "no kill landed inside a snapshot"

    # Restores: of a snapshot with fewer notes than the collection now has.
    out = adminctl(server.data_dir, "backup", "create", "alice", "--json")
    assert out.returncode == 0, out.stderr
    (taken,) = json.loads(out.stdout)["taken"]
    target = taken["snapshot"]
    def swapped() -> bool:
        try:
            return collection.stat().st_ino != live_inode
        except FileNotFoundError:
            return False

    # Killed while the snapshot is decompressed, while the collection it replaces is kept,
    # once that is kept, and just after the swap (before the media and caches are seen to).
    steps = [lambda: any(n.startswith("upload-restore-") for n in names(udir)),
             lambda: any(n.startswith(".snapshot-") for n in names(backups)),
             lambda: any(n.endswith("-before-restore.json") for n in names(backups)),
             swapped]
    restored = 0
    for appeared in steps:
        add_notes(a, 5, "later")
        assert a.sync() == NO_CHANGES
        now_notes = notes_in(collection)
        live_inode = collection.stat().st_ino
        job = Command(server, "backup", "restore", "alice", target)
        job.start()
        kill_the_moment(server, appeared, job)
        server.start()
        assert leftovers(udir) == [], "the start-up sweep missed a restore's leftovers"
        held = notes_in(collection)
        assert held in (now_notes, NOTES), (held, now_notes)
        check_every_listed_snapshot(server, udir)
        # The device agrees with whichever collection the server holds.
        if held == NOTES:
            restored += 1
            assert a.sync() == FULL_SYNC
            download(a)
        assert a.sync() == NO_CHANGES
        assert a.col.note_count() == held
    assert restored >= 1, "no restore got as far as the swap"
    print(f"kills inside a snapshot: {hits} of 3; restores that got to the swap: {restored} of 4")


@pytest.fixture
def small_volume():
    """Mounts tmpfs volumes of a given size; unmounts them at the end."""
    mounted: list[Path] = []

    def mount(at: Path, size: str) -> None:
        at.mkdir(parents=True, exist_ok=True)
        out = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700",
                              "tmpfs", str(at)], capture_output=True, text=True)
        assert out.returncode == 0, f"this test mounts a small tmpfs (as root): {out.stderr}"
        mounted.append(at)

    def unmount(at: Path) -> None:
        subprocess.run(["umount", str(at)], check=True)
        mounted.remove(at)

    mount.unmount = unmount
    yield mount
    for at in mounted:
        subprocess.run(["umount", "-l", str(at)])


def test_a_full_snapshot_volume_fails_the_snapshot_cleanly_and_loses_nothing(
        server, anki, small_volume):
    add_user(server.data_dir, "alice", PASSWORD)
    a = anki(server.endpoint)
    a.login("alice", PASSWORD)
    add_notes(a, 300, "first")
    assert a.sync() == FULL_UPLOAD
    upload(a)
    udir = user_dir(server)
    backups = udir / "backups"
    # The snapshots' folder on a volume far too small for one.
    small_volume(backups, "48k")

    # A normal sync with changes succeeds; its daily snapshot fails, and the log says why.
    add_notes(a, 3, "more")
    assert a.sync() == NO_CHANGES
    deadline = time.monotonic() + 20
    while "daily snapshot failed" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    failed = [line for line in server.log().splitlines() if "daily snapshot failed" in line]
    assert failed and ("full" in failed[0] or "No space" in failed[0]), failed
    assert names(backups) == [], "a failed snapshot left files"

    # A second device's full upload would replace a collection that cannot be kept: it is
    # refused, and the server's collection is the first device's still.
    b = anki(server.endpoint)
    b.login("alice", PASSWORD)
    add_notes(b, 1, "stale")
    assert b.sync() in (FULL_UPLOAD, FULL_SYNC)
    with pytest.raises(Exception):
        upload(b)
    assert "upload refused" in server.log()
    assert names(backups) == []
    assert notes_in(udir / "collection.anki2") == 303
    assert a.sync() == NO_CHANGES

    # With room again, the same upload keeps the collection it replaces.
    small_volume.unmount(backups)
    upload(b)
    replaced = [s for s in listed(server) if s["reason"] == "replaced"]
    assert len(replaced) == 1 and replaced[0]["notes"] == 303, listed(server)
