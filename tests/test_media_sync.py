"""Media sync with the real Anki client: files travel between profiles, deletions
propagate, and fresh clients see exactly the surviving files."""

from __future__ import annotations

import hashlib
import os
import time
import unicodedata
from pathlib import Path

from conftest import add_user


def sync_media(profile, timeout: float = 60) -> None:
    profile.col.sync_media(profile.auth)
    deadline = time.monotonic() + timeout
    while profile.col.media_sync_status().active:  # raises if the media sync failed
        assert time.monotonic() < deadline, "media sync did not finish"
        time.sleep(0.1)


def media_files(profile) -> dict[str, str]:
    folder = Path(profile.col.media.dir())
    return {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


def server_media(server) -> dict[str, str]:
    folders = list((server.data_dir / "users").glob("*/media"))
    if not folders:
        return {}
    return {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in folders[0].iterdir()}


def test_media_travels_between_profiles_and_deletions_propagate(server, anki):
    add_user(server.data_dir, "alice", "alice-password-1")
    wanted = {
        "big.jpg": os.urandom(1536 * 1024),  # over the 1 MiB mark: batches split
        unicodedata.normalize("NFC", "日本語-ñandú.png"): b"\x89PNG\r\n\x1a\n" + os.urandom(2048),
        "sound file.mp3": b"ID3" + os.urandom(4096),
    }
    expected = {name: hashlib.sha1(data).hexdigest() for name, data in wanted.items()}

    a = anki(server.endpoint)
    a.login("alice", "alice-password-1")
    for name, data in wanted.items():
        assert a.col.media.write_data(name, data) == name
    sync_media(a)
    assert server_media(server) == expected

    b = anki(server.endpoint)
    b.login("alice", "alice-password-1")
    sync_media(b)
    assert media_files(b) == expected

    gone = unicodedata.normalize("NFC", "日本語-ñandú.png")
    a.col.media.trash_files([gone])
    sync_media(a)
    del expected[gone]
    sync_media(b)
    assert media_files(b) == expected
    assert server_media(server) == expected

    c = anki(server.endpoint)
    c.login("alice", "alice-password-1")
    sync_media(c)
    assert media_files(c) == expected

    a.col.media.trash_files(list(expected))
    sync_media(a)
    d = anki(server.endpoint)
    d.login("alice", "alice-password-1")
    sync_media(d)
    assert media_files(d) == {}
    assert server_media(server) == {}


def test_media_of_two_users_stays_apart(server, anki):
    add_user(server.data_dir, "alice", "alice-password-1")
    add_user(server.data_dir, "bob", "bob-password-123")
    a = anki(server.endpoint)
    a.login("alice", "alice-password-1")
    a.col.media.write_data("alice-only.txt", b"private to alice")
    sync_media(a)
    b = anki(server.endpoint)
    b.login("bob", "bob-password-123")
    sync_media(b)
    assert media_files(b) == {}


def test_deleted_and_replaced_media_are_kept_in_the_users_trash(server, anki):
    add_user(server.data_dir, "alice", "alice-password-1")
    a = anki(server.endpoint)
    a.login("alice", "alice-password-1")
    first = {"kept.png": b"\x89PNG" + os.urandom(500), "changed.mp3": b"ID3" + os.urandom(800),
             "gone.jpg": b"\xff\xd8" + os.urandom(700)}
    for name, data in first.items():
        a.col.media.write_data(name, data)
    sync_media(a)

    # One file deleted on the device, one written anew under the same name.
    days = {time.strftime("%Y%m%d", time.gmtime())}  # the UTC day of the deletion
    a.col.media.trash_files(["gone.jpg"])
    folder = Path(a.col.media.dir())
    changed = folder / "changed.mp3"
    changed.write_bytes(b"ID3" + os.urandom(900))
    # The client rescans a folder whose time moved, and rehashes a file whose time did.
    later = time.time() + 10
    os.utime(changed, (later, later))
    os.utime(folder, (later, later))
    sync_media(a)
    days.add(time.strftime("%Y%m%d", time.gmtime()))
    assert server_media(server) == media_files(a)
    assert "gone.jpg" not in server_media(server)

    (trash,) = server.data_dir.glob("users/*/media-trash")
    (day,) = trash.iterdir()
    assert day.name in days
    kept = {p.name: p.read_bytes() for p in day.iterdir()}
    assert kept == {"gone.jpg": first["gone.jpg"], "changed.mp3": first["changed.mp3"]}
