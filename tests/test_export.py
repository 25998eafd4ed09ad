"""A person downloads their collection from the account page as a `.colpkg`, and their
own Anki opens it: the real client's importer (`import_collection_package`, what File >
Import runs) restores every note, card and review and every media file the device
synced, and Check Database finds nothing to fix."""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from anki._backend import RustBackend
from anki.collection import Collection
from anki.scheduler.v3 import CardAnswer

from conftest import NO_CHANGES, add_user
from test_full_sync import FULL_UPLOAD, upload
from test_media_sync import media_files, sync_media
from test_web_study import PASSWORD, Web, answer_offline

ROWS = {
    "notes": "select id, guid, mid, mod, tags, flds from notes order by id",
    "cards": "select id, nid, did, ord, type, queue, due, ivl, factor, reps, lapses, data "
             "from cards order by id",
    "revlog": "select id, cid, ease, ivl, lastIvl, factor, time, type from revlog order by id",
    "decks": "select id, name from decks order by id",
}


def import_package(package: Path, target: Path) -> Collection:
    """A fresh profile's collection made from the `.colpkg` by Anki's own importer, as
    File > Import runs it."""
    target.mkdir()
    RustBackend().import_collection_package(
        col_path=str(target / "collection.anki2"), backup_path=str(package),
        media_folder=str(target / "collection.media"), media_db=str(target / "media.db"))
    return Collection(str(target / "collection.anki2"))


def export(web: Web) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(web.endpoint + "account/export",
                                     headers={"cookie": web.cookie})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def test_the_exported_collection_opens_in_anki_with_everything_the_device_synced(
        server, anki, workdir):
    add_user(server.data_dir, "alice", PASSWORD)
    web = Web(server.endpoint)
    status, headers, body = export(web)
    assert status == 404 and b"Sync from Anki first" in body, status

    device = anki(server.endpoint)
    device.login("alice", PASSWORD)
    col = device.col
    deck = col.decks.id("Exported::Sub")
    wanted = {"map of europe.png": b"\x89PNG\r\n\x1a\n" + os.urandom(3000),
              "日本語.mp3": b"ID3" + os.urandom(5000)}
    for name, data in wanted.items():
        col.media.write_data(name, data)
    for i in range(6):
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"] = f'question {i} <img src="map of europe.png">'
        note["Back"] = f"answer {i} [sound:日本語.mp3]"
        note.tags = ["exported", f"n{i}"]
        col.add_note(note, deck)
        if i < 2:
            answer_offline(device, note.card_ids()[0], CardAnswer.GOOD)
    assert device.sync() == FULL_UPLOAD
    upload(device)
    sync_media(device)
    assert device.sync() == NO_CHANGES

    status, headers, body = export(web)
    assert status == 200, body[:300]
    assert headers["content-type"] == "application/octet-stream"
    assert headers["content-disposition"].startswith('attachment; filename="collection-')
    assert headers["content-disposition"].endswith('.colpkg"')
    package = workdir / "exported.colpkg"
    package.write_bytes(body)
    names = zipfile.ZipFile(package).namelist()
    assert names[:2] == ["meta", "collection.anki21b"] and names[-1] == "media", names
    # Nothing is left behind in the user's folder.
    assert not list((server.data_dir / "users").glob("*/upload-export-*")), "scratch files left"

    imported = import_package(package, workdir / "imported")
    try:
        for what, sql in ROWS.items():
            assert imported.db.all(sql) == col.db.all(sql), what
        assert len(imported.db.all(ROWS["revlog"])) == 2
        folder = Path(imported.media.dir())
        assert {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in folder.iterdir()} \
            == media_files(device)
        problems, ok = imported.fix_integrity()
        assert ok, problems
    finally:
        imported.close()
