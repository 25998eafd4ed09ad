"""Snapshots with the real client: the collection a full upload replaces is kept (and
holds exactly what the server had), and the first sync of a day is followed by a daily
snapshot. Restoring is not built yet; these check what is kept."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import zstandard

from conftest import NO_CHANGES, add_user, adminctl
from test_full_sync import FULL_DOWNLOAD, FULL_UPLOAD, add_notes, download, upload

FULL_SYNC = 2  # "choose a full sync" (the client's required value for a conflict)


def user_dir(server) -> Path:
    users = sorted((server.data_dir / "users").iterdir())
    assert len(users) == 1, users
    return users[0]


def snapshots(server) -> list[dict]:
    backups = user_dir(server) / "backups"
    if not backups.exists():
        return []
    return sorted((json.loads(p.read_text()) for p in backups.glob("*.json")),
                  key=lambda s: s["id"])


def wait_for(predicate, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def notes_in_snapshot(server, snapshot_id: str) -> list[tuple]:
    data = user_dir(server) / "backups" / f"{snapshot_id}.anki2.zst"
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.anki2"
        with open(data, "rb") as src, open(path, "wb") as dst:
            zstandard.ZstdDecompressor().copy_stream(src, dst)
        con = sqlite3.connect(path)
        con.create_collation("unicase", lambda a, b: (a.casefold() > b.casefold()) - (a.casefold() < b.casefold()))
        try:
            assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
            return con.execute("select id, flds from notes order by id").fetchall()
        finally:
            con.close()


def uploaded_device(server, anki, notes: int):
    """alice's first device, with `notes` notes uploaded to a new account."""
    add_user(server.data_dir, "alice", "alice-password-1")
    device = anki(server.endpoint)
    device.login("alice", "alice-password-1")
    add_notes(device, notes, "first")
    assert device.sync() == FULL_UPLOAD
    upload(device)
    return device


def test_an_upload_that_replaces_the_collection_keeps_the_old_one(server, anki):
    first = uploaded_device(server, anki, 5)
    assert snapshots(server) == [], "nothing was replaced by the first upload"
    add_notes(first, 3, "later")
    assert first.sync() == NO_CHANGES  # a normal sync pushed the 3 notes
    # The normal sync's finish is followed by the day's snapshot.
    daily = wait_for(lambda: [s for s in snapshots(server) if s["reason"] == "daily"])
    assert len(daily) == 1 and daily[0]["notes"] == 8, daily
    server_notes = first.col.db.all("select id, flds from notes order by id")

    # A second device with an older, smaller collection forces a full upload.
    second = anki(server.endpoint)
    second.login("alice", "alice-password-1")
    add_notes(second, 2, "stale")
    assert second.sync() in (FULL_UPLOAD, FULL_SYNC)
    upload(second)
    replaced = [s for s in snapshots(server) if s["reason"] == "replaced"]
    assert len(replaced) == 1, snapshots(server)
    assert replaced[0]["notes"] == 8 and replaced[0]["cards"] == 8
    assert [tuple(n) for n in notes_in_snapshot(server, replaced[0]["id"])] == \
        [tuple(n) for n in server_notes]
    # No temporary file is left beside the snapshots.
    names = sorted(p.name for p in (user_dir(server) / "backups").iterdir())
    assert all(n.endswith((".json", ".anki2.zst")) for n in names), names
    assert len(names) == 2 * len(snapshots(server))

    # The operator sees the same list, newest first, and the space the files take.
    out = adminctl(server.data_dir, "backup", "list", "alice", "--json")
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    assert {s["id"] for s in listed["snapshots"]} == {s["id"] for s in snapshots(server)}
    times = [s["taken_at"] for s in listed["snapshots"]]
    assert times == sorted(times, reverse=True)
    assert listed["disk_bytes"]["snapshots"] == sum(
        p.stat().st_size for p in (user_dir(server) / "backups").iterdir())
    assert listed["disk_bytes"]["collection"] > 0
    # `status` reports the same for each user, and the totals.
    status = json.loads(adminctl(server.data_dir, "--json", "status").stdout)
    assert status["disk_bytes"]["users"]["alice"] == listed["disk_bytes"]
    assert status["disk_bytes"]["total"] == listed["disk_bytes"]  # alice is the only user
    status_text = adminctl(server.data_dir, "status").stdout
    assert f"snapshots {listed['disk_bytes']['snapshots']}" in status_text, status_text
    text = adminctl(server.data_dir, "backup", "list", "alice")
    assert replaced[0]["id"] in text.stdout and "replaced" in text.stdout
    unknown = adminctl(server.data_dir, "backup", "list", "nobody")
    assert unknown.returncode == 1 and "nobody" in unknown.stderr


def test_a_replaced_collection_is_restored_while_the_server_runs_and_devices_download_it(
        server, anki):
    first = uploaded_device(server, anki, 6)
    # Reviews too: they must come back with the collection.
    for card_id in first.col.find_cards("")[:3]:
        card = first.col.get_card(card_id)
        card.start_timer()
        states = first.col._backend.get_scheduling_states(card_id)
        first.col.sched.answer_card(first.col.sched.build_answer(card=card, states=states, rating=2))
    assert first.sync() == NO_CHANGES
    before = (first.col.db.all("select id, flds from notes order by id"),
              first.col.db.all("select id, cid, ease, ivl from revlog order by id"))

    second = anki(server.endpoint)
    second.login("alice", "alice-password-1")
    add_notes(second, 1, "stale")
    assert second.sync() in (FULL_UPLOAD, FULL_SYNC)
    upload(second)
    replaced = [s for s in snapshots(server) if s["reason"] == "replaced"]
    assert len(replaced) == 1

    # Path tricks and unknown ids are refused, and change nothing.
    for bad in ["../x", "nope", replaced[0]["id"] + "/.."]:
        out = adminctl(server.data_dir, "backup", "restore", "alice", bad)
        assert out.returncode == 1, (bad, out.stdout, out.stderr)
    out = adminctl(server.data_dir, "backup", "restore", "alice", replaced[0]["id"], "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    kept_as = result["kept_as"]
    assert kept_as and kept_as in {s["id"] for s in snapshots(server)}, result

    # The first device is asked to choose, downloads, and holds exactly what it had.
    assert first.sync() == FULL_SYNC
    download(first)
    after = (first.col.db.all("select id, flds from notes order by id"),
             first.col.db.all("select id, cid, ease, ivl from revlog order by id"))
    assert after == before
    assert first.col.fix_integrity()[1], "Check Database finds nothing to fix"
    assert first.sync() == NO_CHANGES

    # The restore itself can be undone: the collection it replaced comes back.
    out = adminctl(server.data_dir, "backup", "restore", "alice", kept_as)
    assert out.returncode == 0, out.stderr
    assert "Download" in out.stdout
    assert first.sync() == FULL_SYNC
    download(first)
    notes = first.col.db.list("select flds from notes")
    assert len(notes) == 1 and notes[0].startswith("stale"), notes


def test_a_restore_brings_back_the_media_its_notes_use_from_the_trash(server, anki):
    restore_brings_back_media(server, anki, server_running=True)


def test_a_restore_by_adminctl_with_no_server_running_brings_back_the_media_too(
        server, anki):
    restore_brings_back_media(server, anki, server_running=False)


def restore_brings_back_media(server, anki, server_running: bool) -> None:
    """A note with a picture, snapshotted, then deleted with its picture and synced; the
    restore (by the running server, or by adminctl on the files) brings the picture back
    from the media trash, and a device that downloads the collection gets it."""
    from test_media_sync import media_files, server_media, sync_media

    first = uploaded_device(server, anki, 2)
    col = first.col
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    col.media.write_data("map of europe.png", picture)
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"], note["Back"] = 'where? <img src="map of europe.png">', "here"
    col.add_note(note, 1)
    assert first.sync() == NO_CHANGES
    sync_media(first)
    out = adminctl(server.data_dir, "backup", "create", "alice", "--json")
    assert out.returncode == 0, out.stderr
    (taken,) = [s for s in snapshots(server) if s["reason"] == "manual"]

    # The note and its picture are deleted on the device, and the deletion synced.
    col.remove_notes([note.id])
    col.media.trash_files(["map of europe.png"])
    assert first.sync() == NO_CHANGES
    sync_media(first)
    assert "map of europe.png" not in server_media(server)

    if not server_running:
        server.stop()
    out = adminctl(server.data_dir, "backup", "restore", "alice", taken["id"])
    assert out.returncode == 0, out.stderr
    assert "map of europe.png" in server_media(server)
    if not server_running:
        server.start()

    # A device that downloads the restored collection gets the picture with it.
    fresh = anki(server.endpoint)
    fresh.login("alice", "alice-password-1")
    assert fresh.sync() == FULL_DOWNLOAD
    download(fresh)
    sync_media(fresh)
    assert fresh.col.db.scalar("select count() from notes where flds like '%map of europe%'") == 1
    assert media_files(fresh)["map of europe.png"] == hashlib.sha1(picture).hexdigest()
