"""The account's backups page with the real client: a second device's upload replaces
alice's collection; the page lists the replaced collection with its date, reason and
counts (in English and German); its download is a `.colpkg` Anki's importer restores with
the notes, reviews and media of that time (a picture deleted since comes from the media
trash); the restore, after a confirmation page and only with the form's token, makes it
the collection again, the first device is asked to choose a full sync, downloads it and
holds exactly what it had. Another user's snapshot, and ids that are paths, are not
found for bob; nothing of alice's changes."""

from __future__ import annotations

import hashlib
import html
import re
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

from anki.scheduler.v3 import CardAnswer

from conftest import NO_CHANGES, add_user
from test_backups import FULL_SYNC, snapshots, wait_for
from test_export import import_package
from test_full_sync import FULL_UPLOAD, add_notes, download, upload
from test_media_sync import media_files, server_media, sync_media
from test_web_study import PASSWORD, Web, answer_offline

NOTES = "select id, guid, mid, mod, tags, flds from notes order by id"
REVLOG = "select id, cid, ease, ivl, lastIvl, factor, time, type from revlog order by id"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(web: Web, path: str, form: dict | None = None, lang: str = "en"):
    """status, headers, body of a page as a browser without JavaScript gets it."""
    headers = {"cookie": web.cookie, "accept-language": lang}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["content-type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(web.endpoint + path, data=data, headers=headers)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def csrf_of(page: bytes) -> str:
    found = re.search(rb'name="csrf" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1).decode()


def text_of(page: bytes) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page.decode()))


def test_the_backups_page_downloads_and_restores_a_replaced_collection(server, anki, workdir):
    add_user(server.data_dir, "alice", PASSWORD)
    add_user(server.data_dir, "bob", "bob-password-123")
    web = Web(server.endpoint)
    status, _, page = fetch(web, "account/backups")
    assert status == 200 and "There are no snapshots yet" in text_of(page)

    first = anki(server.endpoint)
    first.login("alice", PASSWORD)
    col = first.col
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 12
    col.media.write_data("map of europe.png", picture)
    add_notes(first, 4, "kept")
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"], note["Back"] = 'where? <img src="map of europe.png">', "here"
    col.add_note(note, 1)
    assert first.sync() == FULL_UPLOAD
    upload(first)
    sync_media(first)
    for card_id in col.find_cards("")[:2]:
        answer_offline(first, card_id, CardAnswer.GOOD)
    assert first.sync() == NO_CHANGES
    wait_for(lambda: [s for s in snapshots(server) if s["reason"] == "daily"])
    # The picture leaves the media folder (a device cleared unused media, say); it goes
    # to the trash.
    col.media.trash_files(["map of europe.png"])
    sync_media(first)
    assert "map of europe.png" not in server_media(server)
    before = (col.db.all(NOTES), col.db.all(REVLOG))

    second = anki(server.endpoint)
    second.login("alice", PASSWORD)
    add_notes(second, 1, "stale")
    assert second.sync() in (FULL_UPLOAD, FULL_SYNC)
    upload(second)
    (replaced,) = [s for s in snapshots(server) if s["reason"] == "replaced"]
    assert replaced["notes"] == 5
    kept = [s["id"] for s in snapshots(server)]  # the day's and the replaced one

    # The list: date, reason, counts, in both languages.
    status, _, page = fetch(web, "account/backups")
    shown = text_of(page)
    assert status == 200
    assert "before an upload from a device replaced it" in shown, shown
    assert "5 notes, 5 cards, 2 reviews" in shown, shown
    assert f"/account/backups/{replaced['id']}/download" in page.decode()
    status, _, page = fetch(web, "account/backups", lang="de")
    assert status == 200 and "5 Notizen, 5 Karten, 2 Wiederholungen" in text_of(page)

    # The download opens in Anki with the notes, reviews and media of that time.
    status, headers, body = fetch(web, f"account/backups/{replaced['id']}/download")
    assert status == 200, body[:300]
    assert headers["content-disposition"] == \
        f'attachment; filename="collection-{replaced["id"]}.colpkg"'
    package = workdir / "snapshot.colpkg"
    package.write_bytes(body)
    assert zipfile.ZipFile(package).namelist()[:2] == ["meta", "collection.anki21b"]
    imported = import_package(package, workdir / "imported")
    try:
        assert (imported.db.all(NOTES), imported.db.all(REVLOG)) == before
        folder = Path(imported.media.dir())
        assert hashlib.sha1((folder / "map of europe.png").read_bytes()).digest() == \
            hashlib.sha1(picture).digest()
        assert imported.fix_integrity()[1]
    finally:
        imported.close()

    # Bob finds none of alice's snapshots, and ids that are paths are not snapshots.
    bob = Web(server.endpoint, "bob", "bob-password-123")
    status, _, bobs_page = fetch(bob, "account/backups")
    assert status == 200 and replaced["id"] not in bobs_page.decode()
    bob_token = csrf_of(bobs_page)
    for path in [f"account/backups/{replaced['id']}/download",
                 f"account/backups/{replaced['id']}/restore"]:
        assert fetch(bob, path)[0] == 404, path
    assert fetch(bob, f"account/backups/{replaced['id']}/restore",
                 {"csrf": bob_token})[0] == 404
    for bad in ["..%2F..%2Fusers", "%2E%2E", replaced["id"] + "%2F.."]:
        assert fetch(web, f"account/backups/{bad}/download")[0] == 404, bad
    assert [s["id"] for s in snapshots(server)] == kept

    # The confirmation says what the devices do; without the form's token nothing happens.
    status, _, page = fetch(web, f"account/backups/{replaced['id']}/restore")
    assert status == 200
    confirm = text_of(page)
    assert "Download" in confirm and "kept as a snapshot first" in confirm, confirm
    token = csrf_of(page)
    status, _, _ = fetch(web, f"account/backups/{replaced['id']}/restore", {"csrf": "x"})
    assert status == 403
    assert [s["id"] for s in snapshots(server)] == kept, "a refused form changed nothing"
    status, headers, _ = fetch(web, f"account/backups/{replaced['id']}/restore",
                               {"csrf": token})
    assert status == 303 and headers["location"] == "/account/backups"
    added = [s["reason"] for s in snapshots(server) if s["id"] not in kept]
    assert added == ["before_restore"], added
    assert "map of europe.png" in server_media(server), "the picture is back from the trash"

    # The first device is asked to choose, downloads, and holds exactly what it had.
    assert first.sync() == FULL_SYNC
    download(first)
    assert (first.col.db.all(NOTES), first.col.db.all(REVLOG)) == before
    sync_media(first)
    assert media_files(first)["map of europe.png"] == hashlib.sha1(picture).hexdigest()
    assert first.sync() == NO_CHANGES
