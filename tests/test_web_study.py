"""Studying on the web, then syncing with the real Anki client (the issue's acceptance):
after answers given through `/api/study/*`, a device's normal sync receives every review
and card change; a second device that studied offline merges with nothing lost, the newer
answer winning a card answered on both sides; a fresh full download holds everything and
Anki's Check Database finds nothing to fix; an answer taken back before a sync leaves no
trace; and with the server in a time zone of its own, the web's day is the client's.

The protocol compares the `mod` of cards and the `mtime` of decks in whole seconds, the
strictly newer side winning: where two sides must be told apart by time, the test waits
for the clock's next second (never longer), and only then."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from anki.scheduler.v3 import CardAnswer

from conftest import NO_CHANGES, ServerProcess, add_user, free_port
from test_full_sync import FULL_DOWNLOAD, FULL_UPLOAD, download, upload
from test_normal_sync import server_rows
from test_web_decks import flatten

PASSWORD = "alice-password-1"
PARENT, SUB = "Web Study", "Web Study::Sub"
NEW_PER_DAY = 10
CARD_COLUMNS = ("id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps, lapses, "
                "left, odue, odid, flags, data")
REVLOG_COLUMNS = "id, cid, usn, ease, ivl, lastIvl, factor, time, type"


class Web:
    """A browser's session on the JSON API: signed in once, its cookie sent with each call."""

    def __init__(self, endpoint: str, login: str = "alice", password: str = PASSWORD):
        self.endpoint = endpoint
        self.cookie = ""
        status, body, headers = self._send("POST", "api/login",
                                           {"login": login, "password": password})
        assert status == 200 and body["success"] is True, (status, body)
        self.cookie = "; ".join(v.split(";")[0] for k, v in headers
                                if k.lower() == "set-cookie")
        assert "ff_session=" in self.cookie, headers

    def _send(self, method: str, path: str, body=None):
        headers = {"cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        request = urllib.request.Request(self.endpoint + path, data=data, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return r.status, json.load(r), list(r.headers.items())
        except urllib.error.HTTPError as err:
            text = err.read().decode(errors="replace")
            return err.code, text, list(err.headers.items())

    def call(self, method: str, path: str, body=None) -> dict:
        status, reply, _ = self._send(method, path, body)
        assert status == 200, f"{method} /{path} {body}: {status} {reply}"
        return reply

    def next(self, deck_id: int) -> dict:
        return self.call("POST", "api/study/next", {"deck_id": deck_id})

    def answer(self, card_id: int, rating: int) -> None:
        reply = self.call("POST", "api/study/answer",
                          {"card_id": card_id, "rating": rating, "millis_taken": 4200})
        assert reply == {"ok": True}

    def study(self, deck_id: int, ratings: list[int]) -> list[int]:
        """Answers the next card of the deck with each rating; the card ids, in order."""
        answered = []
        for rating in ratings:
            card = self.next(deck_id)["card"]
            assert card is not None and card["queue"] == "new", card
            assert [b["rating"] for b in card["buttons"]] == [1, 2, 3, 4]
            self.answer(card["id"], rating)
            answered.append(card["id"])
        return answered

    def undo(self) -> None:
        assert self.call("POST", "api/study/undo") == {"ok": True}

    def decks(self) -> list[dict]:
        return [{k: d[k] for k in ("id", "name", "new", "learn", "review")}
                for d in self.call("GET", "api/decks")["decks"]]


def later_than(second: int) -> None:
    """Returns once the clock is past `second`: what happens next is strictly newer."""
    delay = second + 1 - time.time()
    if delay > 0:
        time.sleep(delay)


def in_sync_device(server, anki, parent_notes: int = 4, sub_notes: int = 16):
    """Device A: Basic notes in a deck and its subdeck (new cards capped at NEW_PER_DAY a
    day), uploaded and then synced normally, so that it and the server agree. Returns the
    profile and the two deck ids."""
    add_user(server.data_dir, "alice", PASSWORD)
    a = anki(server.endpoint)
    a.login("alice", PASSWORD)
    col = a.col
    conf = col.decks.get_config(1)
    conf["new"]["perDay"] = NEW_PER_DAY
    col.decks.update_config(conf)
    basic = col.models.by_name("Basic")
    decks = {}
    for name, count in ((PARENT, parent_notes), (SUB, sub_notes)):
        decks[name] = col.decks.id(name)
        for i in range(count):
            note = col.new_note(basic)
            note["Front"], note["Back"] = f"{name} question {i}", f"{name} answer {i}"
            col.add_note(note, decks[name])
    assert a.sync() == FULL_UPLOAD
    upload(a)
    assert a.sync() == NO_CHANGES
    return a, decks[PARENT], decks[SUB]


def cards_of(profile) -> list[tuple]:
    return [tuple(r) for r in profile.col.db.all(f"select {CARD_COLUMNS} from cards order by id")]


def revlog_of(profile) -> list[tuple]:
    return [tuple(r) for r in profile.col.db.all(f"select {REVLOG_COLUMNS} from revlog order by id")]


def server_cards(server) -> list[tuple]:
    return server_rows(server.data_dir, f"select {CARD_COLUMNS} from cards order by id")


def server_revlog(server) -> list[tuple]:
    return server_rows(server.data_dir, f"select {REVLOG_COLUMNS} from revlog order by id")


def studied_today(profile, deck_id: int) -> tuple[list, list]:
    deck = profile.col.decks.get(deck_id)
    return deck["newToday"], deck["revToday"]


def answer_offline(profile, card_id: int, rating) -> None:
    """Answers one card on a device the way its reviewer does, whatever its queue shows."""
    col = profile.col
    card = col.get_card(card_id)
    card.start_timer()
    states = col._backend.get_scheduling_states(card_id)
    col.sched.answer_card(col.sched.build_answer(card=card, states=states, rating=rating))


def test_a_device_receives_every_review_and_card_change_made_on_the_web(server, anki):
    a, parent, sub = in_sync_device(server, anki)
    before = {row[0]: row for row in cards_of(a)}
    deck_of = {cid: row[2] for cid, row in before.items()}
    web = Web(server.endpoint)
    listed = {d["id"]: d for d in web.decks()}
    assert (listed[parent]["new"], listed[parent]["learn"], listed[parent]["review"]) == \
        (NEW_PER_DAY, 0, 0)

    ratings = [3, 1, 4, 3, 2, 3, 4, 1]
    answered = web.study(parent, ratings)
    assert len(set(answered)) == len(ratings)
    assert any(deck_of[c] == parent for c in answered) and any(deck_of[c] == sub for c in answered)
    after_web = web.decks()
    listed = {d["id"]: d for d in after_web}
    # The day's new limit counts the web's answers; all but the two Easy ones are learning.
    assert (listed[parent]["new"], listed[parent]["learn"], listed[parent]["review"]) == \
        (NEW_PER_DAY - len(ratings), sum(r != 4 for r in ratings), 0)
    assert revlog_of(a) == []

    assert a.sync() == NO_CHANGES
    on_server = server_revlog(server)
    assert revlog_of(a) == on_server
    assert [(row[1], row[3]) for row in on_server] == list(zip(answered, ratings))
    assert cards_of(a) == server_cards(server)
    changed = {row[0] for row in cards_of(a) if row != before[row[0]]}
    assert changed == set(answered)
    assert {row[11] for row in cards_of(a) if row[0] in changed} == {1}  # reps
    today = a.col.sched.today
    in_sub = sum(deck_of[c] == sub for c in answered)
    assert studied_today(a, parent) == ([today, len(ratings)], [today, 0])
    assert studied_today(a, sub) == ([today, in_sub], [today, 0])
    assert flatten(a.col.sched.deck_due_tree(), []) == after_web == web.decks()


def test_a_device_that_studied_offline_merges_with_the_web_and_nothing_is_lost(server, anki):
    a, parent, sub = in_sync_device(server, anki)
    b = anki(server.endpoint)
    b.login("alice", PASSWORD)
    assert b.sync() == FULL_DOWNLOAD
    download(b)
    assert b.sync() == NO_CHANGES
    assert a.sync() == NO_CHANGES  # the download bumped the server's mod

    web = Web(server.endpoint)
    web_cards = web.study(parent, [1, 3, 3, 2])
    both = web_cards[0]  # answered Again on the web, then Easy on B
    web_revlog = server_revlog(server)
    assert len(web_revlog) == 4
    # B, offline, answers two cards the web did not reach (the last new ones) and, once
    # the clock is past the web's last change to a card or deck, the card the web
    # answered first. (In the same second neither side is newer: each would keep its own
    # card, and the deck rows would swap sides, as Anki's own rules have it.)
    b_only = b.col.db.list(f"select id from cards where did = {sub} order by due desc limit 2")
    assert not set(b_only) & set(web_cards)
    later_than(max(server_rows(server.data_dir, "select max(mod) from cards")[0][0],
                   server_rows(server.data_dir, "select max(mtime_secs) from decks")[0][0]))
    answer_offline(b, both, CardAnswer.EASY)
    answer_offline(b, b_only[0], CardAnswer.GOOD)
    answer_offline(b, b_only[1], CardAnswer.AGAIN)
    b_both = b.col.db.first(f"select {CARD_COLUMNS} from cards where id = {both}")
    b_revlog = revlog_of(b)
    assert len(b_revlog) == 3 and b_both[6:8] == [2, 2]  # B's answer made it a review card
    b_studied = [studied_today(b, d) for d in (parent, sub)]

    assert b.sync() == NO_CHANGES
    assert a.sync() == NO_CHANGES
    everything = server_revlog(server)
    assert {r[0] for r in everything} == {r[0] for r in web_revlog} | {r[0] for r in b_revlog}
    assert len(everything) == 7
    assert revlog_of(a) == revlog_of(b) == everything
    assert cards_of(a) == cards_of(b) == server_cards(server)
    # The card answered on both sides holds B's newer answer everywhere (its usn aside,
    # which the sync stamps).
    ended = [row for row in server_cards(server) if row[0] == both][0]
    assert ended[:5] + ended[6:] == tuple(b_both[:5] + b_both[6:])
    # Every other card answered on the web reached B.
    assert [row[11] for row in cards_of(b) if row[0] in web_cards[1:]] == [1, 1, 1]
    # A deck row is one record too: B's newer counters replace the web's on every side.
    assert [studied_today(a, d) for d in (parent, sub)] == \
        [studied_today(b, d) for d in (parent, sub)] == b_studied
    assert flatten(a.col.sched.deck_due_tree(), []) == web.decks()

    fresh = anki(server.endpoint)
    fresh.login("alice", PASSWORD)
    assert fresh.sync() == FULL_DOWNLOAD
    download(fresh)
    assert revlog_of(fresh) == everything
    assert cards_of(fresh) == server_cards(server)
    problems, ok = fresh.col.fix_integrity()
    assert ok, problems


def test_an_answer_taken_back_on_the_web_leaves_no_trace_on_the_device(server, anki):
    a, parent, _ = in_sync_device(server, anki)
    before = {row[0]: row for row in cards_of(a)}
    web = Web(server.endpoint)
    kept, undone = web.study(parent, [3, 1])
    web.undo()
    assert web.next(parent)["card"]["id"] == undone  # shown again, as Anki does
    assert len(server_revlog(server)) == 1

    assert a.sync() == NO_CHANGES
    (entry,) = revlog_of(a)
    assert entry == server_revlog(server)[0] and (entry[1], entry[3]) == (kept, 3)
    assert cards_of(a) == server_cards(server)
    after = {row[0]: row for row in cards_of(a)}
    assert after[undone] == before[undone]
    assert [cid for cid in after if after[cid] != before[cid]] == [kept]
    today = a.col.sched.today
    assert studied_today(a, parent) == ([today, 1], [today, 0])


# A device in its own time zone (set before anki is loaded: Anki reads the zone once). It
# prints what it saw as JSON.
ZONED_CLIENT = r"""
import json, sys
from anki.collection import Collection

path, endpoint, password, phase = sys.argv[1:5]
col = Collection(path)
auth = col.sync_login("alice", password, endpoint)
auth.endpoint = auth.endpoint or endpoint
out = {}
if phase == "build":
    col.set_config("rollover", int(sys.argv[5]))
    col.db.execute("update col set crt = crt - 40 * 86400")  # a collection in use for weeks
    did = col.decks.id("Zoned")
    today = col.sched.today
    cards = {}
    for name, due in (("yesterday", today - 1), ("today", today), ("tomorrow", today + 1)):
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"], note["Back"] = name, "due " + name
        col.add_note(note, did)
        (cid,) = col.card_ids_of_note(note.id)
        col.db.execute("update cards set type = 2, queue = 2, due = ?, ivl = 12, reps = 4,"
                       " factor = 2500 where id = ?", due, cid)
        cards[name] = cid
    out = {"today": today, "deck": did, "cards": cards,
           "localOffset": col.get_config("localOffset", None),
           "creationOffset": col.get_config("creationOffset", None)}
    col.close_for_full_sync()
    col.full_upload_or_download(auth=auth, server_usn=None, upload=True)
    col.reopen(after_full_sync=True)
else:
    did = int(sys.argv[5])
    out["required"] = col.sync_collection(auth, False).required
    deck = col.decks.get(did)
    out.update(today=col.sched.today, newToday=deck["newToday"], revToday=deck["revToday"],
               revlog=col.db.all("select cid, ease, type from revlog order by id"),
               cards=col.db.all("select id, queue, due, reps from cards order by id"))
    node = col.decks.find_deck_in_tree(col.sched.deck_due_tree(), did)
    out["counts"] = [node.new_count, node.learn_count, node.review_count]
col.close()
print(json.dumps(out))
"""


def zoned_client(workdir, endpoint: str, tz: str, *args) -> dict:
    out = subprocess.run([sys.executable, "-c", ZONED_CLIENT, str(workdir / "zoned.anki2"),
                          endpoint, PASSWORD, *map(str, args)],
                         env={**os.environ, "TZ": tz},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def test_the_web_studies_on_the_clients_day_not_the_servers(workdir):
    # The server is at UTC+14, the client at UTC-10: a whole day apart, always. The
    # rollover hour is picked so that it is now 5 h into the day at UTC and 5 h before the
    # client's next day: the client's day number is one less than a device's at UTC or at
    # the server's zone would be, with hours to spare either side.
    rollover = (time.gmtime().tm_hour - 5) % 24
    srv = ServerProcess(data_dir=workdir / "data", port=free_port(),
                        log_path=workdir / "server.log", env_extra={"TZ": "Pacific/Kiritimati"})
    srv.start()
    try:
        add_user(srv.data_dir, "alice", PASSWORD)
        built = zoned_client(workdir, srv.endpoint, "Pacific/Honolulu", "build", rollover)
        assert built["localOffset"] == 600 and built["creationOffset"] == 600, built
        today, deck, cards = built["today"], built["deck"], built["cards"]

        web = Web(srv.endpoint)
        (listed,) = [d for d in web.decks() if d["id"] == deck]
        # Due yesterday and today by the client's day; tomorrow's card is not due yet.
        assert (listed["new"], listed["learn"], listed["review"]) == (0, 0, 2)
        shown = []
        for _ in range(2):
            view = web.next(deck)
            assert view["card"]["queue"] == "review"
            shown.append(view["card"]["id"])
            web.answer(view["card"]["id"], 3)
        assert sorted(shown) == sorted([cards["yesterday"], cards["today"]])
        assert web.next(deck) == {"card": None, "counts": {"new": 0, "learn": 0, "review": 0}}

        synced = zoned_client(workdir, srv.endpoint, "Pacific/Honolulu", "sync", deck)
        assert synced["required"] == NO_CHANGES and synced["today"] == today
        # The web counted its reviews on the client's day, which the client therefore
        # keeps; and the client sees what the web saw.
        assert synced["revToday"] == [today, 2] and synced["newToday"][1] == 0
        assert [(cid, ease) for cid, ease, _ in synced["revlog"]] == [(c, 3) for c in shown]
        assert synced["counts"] == [0, 0, 0]
        tomorrow = [c for c in synced["cards"] if c[0] == cards["tomorrow"]]
        assert tomorrow == [[cards["tomorrow"], 2, today + 1, 4]]
    finally:
        srv.stop()


FSRS_DECK = "FSRS"
FSRS_COMPARED = ("type", "queue", "ivl", "factor", "reps", "lapses", "left")


def fsrs_device(server, anki):
    """Device A with FSRS on (its own desired retention): new cards, some studied on the
    device (FSRS gave them memory states), and reviews from before FSRS was on (none:
    the web must derive them, from the revlog or from the ease and interval), uploaded
    and in sync. Returns the profile and the deck id."""
    add_user(server.data_dir, "alice", PASSWORD)
    a = anki(server.endpoint)
    a.login("alice", PASSWORD)
    col = a.col
    col.set_config("fsrs", True)
    conf = col.decks.get_config(1)
    conf["desiredRetention"] = 0.87
    col.decks.update_config(conf)
    deck = col.decks.id(FSRS_DECK)
    basic = col.models.by_name("Basic")
    cids = []
    for i in range(14):
        note = col.new_note(basic)
        note["Front"], note["Back"] = f"fsrs question {i}", f"fsrs answer {i}"
        col.add_note(note, deck)
        cids.append(note.card_ids()[0])
    for cid, rating in zip(cids[:4], (CardAnswer.GOOD, CardAnswer.EASY, CardAnswer.AGAIN,
                                      CardAnswer.HARD)):
        answer_offline(a, cid, rating)
    today, now = col.sched.today, int(time.time())
    for cid, (due, ivl, factor) in zip(cids[4:8], ((today, 9, 2500), (today - 3, 20, 2300),
                                                   (today, 2, 1900), (today - 1, 45, 2650))):
        col.db.execute("update cards set type = 2, queue = 2, due = ?, ivl = ?, factor = ?,"
                       " reps = 3, data = '{}' where id = ?", due, ivl, factor, cid)
    # One of them has its history in the revlog: learnt 30 days ago, reviewed since.
    for i, (ago, ease, ivl, last, kind, factor) in enumerate(
            ((30, 3, -600, 0, 0, 0), (29, 3, 2, -600, 0, 0), (27, 3, 9, 2, 1, 2500))):
        col.db.execute("insert into revlog values (?, ?, -1, ?, ?, ?, ?, 6000, ?)",
                       (now - ago * 86_400) * 1000 + i, cids[4], ease, ivl, last, factor, kind)
    assert a.sync() == FULL_UPLOAD
    upload(a)
    assert a.sync() == NO_CHANGES
    return a, deck


def test_fsrs_answers_on_the_web_are_what_anki_writes(server, anki, workdir):
    a, deck = fsrs_device(server, anki)
    # The oracle: a copy of the device's collection, answered as Anki's reviewer does.
    from anki.collection import Collection
    a.col.close()
    copy = workdir / "fsrs-oracle.anki2"
    copy.write_bytes((a.dir / "collection.anki2").read_bytes())
    a.col = Collection(str(a.dir / "collection.anki2"))
    web = Web(server.endpoint)
    ratings = [3, 4, 1, 2, 3, 3, 1, 4, 2, 3, 3, 3, 2, 1, 3, 4]
    answered = []
    for rating in ratings:
        view = web.next(deck)
        # Opened afresh for each card, as the web builds its queue afresh for each look.
        oracle = Collection(str(copy))
        try:
            oracle.decks.select(deck)
            queued = oracle.sched.get_queued_cards()
            assert view["card"] is not None and queued.cards
            top = queued.cards[0].card
            assert view["card"]["id"] == top.id
            states = queued.cards[0].states
            labels = [s.replace("\u2068", "").replace("\u2069", "")
                      for s in oracle.sched.describe_next_states(states)]
            assert [b["label"] for b in view["card"]["buttons"]] == labels, top.id
            web.answer(top.id, rating)
            card = oracle.get_card(top.id)
            card.start_timer()
            answer = oracle.sched.build_answer(card=card, states=states, rating=rating - 1)
            answer.milliseconds_taken = 4200
            oracle.sched.answer_card(answer)
            answered.append(top.id)
        finally:
            oracle.close(downgrade=False)

    oracle = Collection(str(copy))
    try:
        def rows(get, cid):
            card = dict(zip(CARD_COLUMNS.replace(" ", "").split(","), get(
                f"select {CARD_COLUMNS} from cards where id = {cid}")[0]))
            (revlog,) = [dict(zip(REVLOG_COLUMNS.replace(" ", "").split(","), r)) for r in get(
                f"select {REVLOG_COLUMNS} from revlog where cid = {cid} order by id desc limit 1")]
            data = json.loads(card["data"])
            data.pop("lrt")
            when = revlog["id"] // 1000
            return ({k: card[k] for k in FSRS_COMPARED},
                    card["due"] - when if card["queue"] == 1 else card["due"], data,
                    {k: revlog[k] for k in ("ease", "ivl", "lastIvl", "factor", "time", "type")})

        for cid in sorted(set(answered)):
            ours = rows(lambda sql: server_rows(server.data_dir, sql), cid)
            anki_s = rows(lambda sql: oracle.db.all(sql), cid)
            assert ours == anki_s, cid
            assert {"s", "d", "dr", "decay"} <= set(ours[2]) and ours[2]["dr"] == 0.87
    finally:
        oracle.close()

    # The device receives it all, and Check Database finds nothing to fix.
    assert a.sync() == NO_CHANGES
    assert cards_of(a) == server_cards(server)
    assert revlog_of(a) == server_revlog(server)
    assert a.col.fix_integrity()[1]
