"""Normal (incremental) sync with the real Anki client, and its bad paths over raw HTTP.

The good paths check what ends up on both sides, including what the server computed itself
(`sfld`/`csum`, compared with what Anki computes for the same notes) and what it stored
through the schema bridge (a fresh profile downloads it and Anki reads every notetype, deck
and deck config back as the client that made them sees them). The bad paths check the
status codes of protocol §3.10 and that nothing on disk changed."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

import zstandard

from conftest import NO_CHANGES, add_user
from test_full_sync import FULL_DOWNLOAD, FULL_UPLOAD, add_notes, download, upload

PASSWORD = "alice-password-1"


def server_collection(data_dir: Path) -> Path:
    (path,) = (data_dir / "users").glob("*/collection.anki2")
    return path


def server_rows(data_dir: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{server_collection(data_dir)}?mode=ro", uri=True)
    conn.create_collation("unicase", lambda a, b: (a.lower() > b.lower()) - (a.lower() < b.lower()))
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def uploaded_pair(server, anki, notes: int = 20):
    """Profile a uploads a collection, profile b downloads it: both in step with the server."""
    add_user(server.data_dir, "alice", PASSWORD)
    a = anki(server.endpoint)
    a.login("alice", PASSWORD)
    add_notes(a, notes, "a")
    assert a.sync() == FULL_UPLOAD
    upload(a)
    b = anki(server.endpoint)
    b.login("alice", PASSWORD)
    assert b.sync() == FULL_DOWNLOAD
    download(b)
    return a, b


def notes_of(profile) -> list[tuple]:
    return profile.col.db.all("select id, guid, mid, flds, tags from notes order by id")


def test_changes_flow_both_ways_and_both_sides_end_identical(server, anki):
    a, b = uploaded_pair(server, anki)
    col = b.col
    # On b: edit, add, delete, review, a new deck, a new tag, a deck option change.
    first, second = col.find_notes("")[:2]
    note = col.get_note(first)
    note["Front"] = "edited on b <b>bold</b> &amp; more"
    col.update_note(note)
    col.remove_notes([second])
    add_notes(b, 5, "b")
    card = col.get_card(col.find_cards("")[0])
    card.start_timer()
    col.sched.answerCard(card, 3)
    col.decks.id("From B::Nested")
    conf = col.decks.get_config(1)
    conf["new"]["perDay"] = 33
    col.decks.update_config(conf)
    assert b.sync() == NO_CHANGES  # a completed normal sync reports NO_CHANGES
    assert b.sync() == NO_CHANGES

    assert a.sync() == NO_CHANGES
    assert notes_of(a) == notes_of(b)
    assert a.col.card_count() == b.col.card_count()
    assert a.col.db.scalar("select count() from revlog") == 1
    assert a.col.decks.id_for_name("From B::Nested")
    assert a.col.decks.get_config(1)["new"]["perDay"] == 33
    assert a.col.get_note(first)["Front"] == "edited on b <b>bold</b> &amp; more"

    # And back: an edit on a reaches b.
    note = a.col.get_note(first)
    note["Back"] = "edited on a"
    a.col.update_note(note)
    a.col.tags.bulk_add([first], "from-a")
    assert a.sync() == NO_CHANGES
    assert b.sync() == NO_CHANGES
    assert notes_of(a) == notes_of(b)
    assert "from-a" in b.col.tags.all()

    # The server computed sfld/csum itself: they match what Anki computed for the same notes.
    ours = dict((r[0], (str(r[1]), r[2])) for r in server_rows(server.data_dir, "select id, sfld, csum from notes"))
    theirs = dict((r[0], (str(r[1]), r[2])) for r in a.col.db.all("select id, sfld, csum from notes"))
    assert ours == theirs


def test_objects_stored_through_the_bridge_download_as_their_author_sees_them(server, anki):
    a, b = uploaded_pair(server, anki)
    col = b.col
    # A custom notetype with an extra field and template, a filtered deck, a custom config.
    # Built whole before it is added: adding a notetype is not a schema change, so it
    # travels through applyChanges as JSON and is stored through the bridge.
    models = col.models
    custom = models.new("Vocab")
    for name in ("Front", "Back", "Example"):
        models.add_field(custom, models.new_field(name))
    for name, qfmt, afmt in (("Forward", "{{Front}}", "{{FrontSide}}<hr id=answer>{{Back}}"),
                             ("Reverse", "{{Back}}", "{{FrontSide}}<hr id=answer>{{Front}}")):
        template = models.new_template(name)
        template["qfmt"], template["afmt"] = qfmt, afmt
        models.add_template(custom, template)
    custom["addonKey"] = {"kept": [1, 2]}
    models.add_dict(custom)
    note = col.new_note(col.models.by_name("Vocab"))
    note["Front"], note["Back"], note["Example"] = "f", "b", "e"
    col.add_note(note, col.decks.id("Vocab Deck"))
    conf = col.decks.add_config_returning_id("Custom Options")
    deck = col.decks.get(col.decks.id("Vocab Deck"))
    deck["conf"] = conf
    deck["desc"] = "described"
    col.decks.save(deck)
    col.decks.new_filtered("Cram")
    assert b.sync() == NO_CHANGES

    c = anki(server.endpoint)
    c.login("alice", PASSWORD)
    assert c.sync() == FULL_DOWNLOAD
    download(c)

    def shape(col):
        models = {m["name"]: {k: v for k, v in m.items() if k not in ("usn", "mod")} for m in col.models.all()}
        decks = {d["name"]: {k: v for k, v in d.items() if k not in ("usn", "mod")} for d in col.decks.all()}
        configs = {c["name"]: {k: v for k, v in c.items() if k not in ("usn", "mod")} for c in col.decks.all_config()}
        return models, decks, configs

    assert shape(c.col) == shape(b.col)
    assert c.col.models.by_name("Vocab")["addonKey"] == {"kept": [1, 2]}
    assert notes_of(c) == notes_of(b)


# --- raw protocol: the bad paths -------------------------------------------------------------

class Raw:
    """Speaks the wire protocol directly, to send what a real client never would."""

    def __init__(self, endpoint: str, hkey: str):
        self.endpoint, self.hkey = endpoint, hkey

    def call(self, method: str, body, session: str = "sess1") -> tuple[int, object]:
        header = json.dumps({"v": 11, "k": self.hkey, "c": "26.09.3,test,linux", "s": session})
        data = zstandard.ZstdCompressor().compress(json.dumps(body).encode())
        req = urllib.request.Request(self.endpoint + "sync/" + method, data=data,
                                     headers={"anki-sync": header}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = zstandard.ZstdDecompressor().decompressobj().decompress(resp.read())
                return resp.status, json.loads(raw)
        except urllib.error.HTTPError as err:
            return err.code, None


def snapshot(data_dir: Path) -> tuple:
    return tuple(server_rows(data_dir, f"select count(), coalesce(sum(usn), 0), coalesce(sum(oid_or_id), 0) from {t}".replace("oid_or_id", "oid" if t == "graves" else "id"))[0]
                 for t in ("notes", "cards", "revlog", "graves", "decks")) + \
        tuple(server_rows(data_dir, "select usn, mod from col"))


def test_stateful_calls_need_the_session_that_started(server, anki):
    a, _ = uploaded_pair(server, anki)
    raw = Raw(server.endpoint, a.auth.hkey)
    before = snapshot(server.data_dir)
    assert raw.call("chunk", {"_pad": None})[0] == 409  # no sync active
    status, graves = raw.call("start", {"minUsn": 0, "lnewer": False, "graves": None})
    assert status == 200 and set(graves) == {"cards", "decks", "notes"}
    assert raw.call("chunk", {"_pad": None}, session="other")[0] == 409
    assert raw.call("chunk", {"_pad": None}, session="")[0] == 400
    status, chunk = raw.call("chunk", {"_pad": None})
    assert status == 200 and chunk["done"] is True and len(chunk["notes"]) == 20
    assert all(n[7] == "" and n[8] == "" for n in chunk["notes"])
    assert raw.call("abort", {"_pad": None}, session="whatever")[1] is None
    assert raw.call("chunk", {"_pad": None})[0] == 409  # abort ended it
    assert snapshot(server.data_dir) == before


def test_a_failing_step_rolls_everything_back_with_400(server, anki):
    a, _ = uploaded_pair(server, anki)
    raw = Raw(server.endpoint, a.auth.hkey)
    before = snapshot(server.data_dir)
    usn = server_rows(server.data_dir, "select usn from col")[0][0]
    nid = a.col.find_notes("")[0]
    assert raw.call("start", {"minUsn": usn, "lnewer": True, "graves": None})[0] == 200
    assert raw.call("applyGraves", {"chunk": {"notes": [nid], "cards": [], "decks": []}})[0] == 200
    orphan = [1795000000000, "guid-x", 424242, 1795000000, usn, "", "a\x1fb", "", "", 0, ""]
    assert raw.call("applyChunk", {"chunk": {"done": True, "notes": [orphan]}})[0] == 400
    assert raw.call("finish", {"_pad": None})[0] == 409  # the failure dropped the sync
    assert snapshot(server.data_dir) == before  # the grave was rolled back too
    assert a.sync() == NO_CHANGES


def test_abort_mid_sync_and_a_bad_sanity_check_change_nothing(server, anki):
    a, _ = uploaded_pair(server, anki)
    raw = Raw(server.endpoint, a.auth.hkey)
    before = snapshot(server.data_dir)
    usn = server_rows(server.data_dir, "select usn from col")[0][0]
    nid = a.col.find_notes("")[0]
    raw.call("start", {"minUsn": usn, "lnewer": True, "graves": None})
    raw.call("applyGraves", {"chunk": {"notes": [nid]}})
    assert raw.call("abort", {"_pad": None}) == (200, None)
    assert snapshot(server.data_dir) == before

    raw.call("start", {"minUsn": usn, "lnewer": True, "graves": None})
    raw.call("applyGraves", {"chunk": {"notes": [nid]}})
    status, reply = raw.call("sanityCheck2", {"client": [[0, 0, 0], 1, 1, 0, 0, 1, 1, 1]})
    assert status == 200 and reply["status"] == "bad"
    assert raw.call("finish", {"_pad": None})[0] == 409
    assert snapshot(server.data_dir) == before


def test_a_client_killed_mid_sync_is_followed_by_a_clean_fresh_sync(server, anki):
    a, b = uploaded_pair(server, anki)
    raw = Raw(server.endpoint, a.auth.hkey)
    usn = server_rows(server.data_dir, "select usn from col")[0][0]
    nid = a.col.find_notes("")[0]
    # The "killed" client got as far as deleting a note, then vanished without abort.
    raw.call("start", {"minUsn": usn, "lnewer": True, "graves": None})
    raw.call("applyGraves", {"chunk": {"notes": [nid]}})
    # A fresh sync from another device: its meta rolls the abandoned one back.
    note = b.col.get_note(b.col.find_notes("")[1])
    note["Front"] = "after the crash"
    b.col.update_note(note)
    assert b.sync() == NO_CHANGES
    assert a.sync() == NO_CHANGES
    assert notes_of(a) == notes_of(b)
    assert nid in a.col.find_notes("")


def test_a_notetype_schema_change_is_refused_and_asks_for_a_full_sync(server, anki):
    a, b = uploaded_pair(server, anki)
    raw = Raw(server.endpoint, a.auth.hkey)
    usn = server_rows(server.data_dir, "select usn from col")[0][0]
    basic = a.col.models.by_name("Basic")
    model = dict(basic)
    model["flds"] = model["flds"] + [dict(model["flds"][0], name="Extra", ord=2)]
    model["mod"] = basic["mod"] + 10
    before = snapshot(server.data_dir)
    raw.call("start", {"minUsn": usn, "lnewer": True, "graves": None})
    status, _ = raw.call("applyChanges", {"changes": {"models": [model], "decks": [[], []], "tags": []}})
    assert status == 400
    assert snapshot(server.data_dir) == before
    assert server_rows(server.data_dir, f"select count() from fields where ntid = {basic['id']}")[0][0] == 2
