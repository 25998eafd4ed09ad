"""A study session as Anki runs it: the oracle for server/src/collection/study/. On a
collection built with the real `anki` package, a person opens the deck list, studies a
deck (the card on top of `col.sched.get_queued_cards()`, answered with a fixed pattern of
ratings and answer times) and closes the collection, over and over. For every answer the
vectors hold the card shown, its queue, the counts and the button labels, and when it was
answered; at the end, every row the session could have changed: cards, revlog, the decks'
studied-today counters, note tags, the tags table and `lastUnburied`.

    study_vectors.py OUT_DIR

writes OUT_DIR/vectors.json and the collection the session starts from
(`session.anki2.zst`, the closed schema-18 file, zstd-compressed). The Rust test replays
the session with the server's code on a copy and compares. The committed copy is in
server/tests/fixtures/study/; test.sh has the installed `anki` build it afresh and points
FF_STUDY_VECTORS at the fresh vectors.json.

The collection starts the day with what a session meets: yesterday's studied-today counts
(which start afresh), yesterday's burials (undone on the first look), new cards with
siblings (buried by the answers), reviews and interday learning due, one review a lapse
away from being a leech, in a deck with a subdeck whose presets differ.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time

from oracle_common import (  # first: it sets TZ=UTC before anki is imported
    add_basic_notes,
    keep_compressed,
    make_collection,
    out_dir_from_argv,
    write_vectors,
)

NEW, LEARN, REVIEW, RELEARN = 0, 1, 2, 3
Q_SCHED_BURIED, Q_USER_BURIED = -2, -3
Q_NEW, Q_LEARN, Q_REVIEW, Q_DAY_LEARN = 0, 1, 2, 3
KINDS = {0: "new", 1: "learning", 2: "review"}
ANSWERS = 30
RATINGS = [3, 1, 3, 4, 2, 3, 1, 3]  # the revlog's 1..4
CARD_COLUMNS = "id, nid, did, type, queue, due, ivl, factor, reps, lapses, left, data"
REVLOG_COLUMNS = "id, cid, ease, ivl, lastIvl, factor, time, type"


def build(col) -> int:
    """The session's collection; returns the deck studied."""
    today = col.sched.today
    lang = col.decks.id("Lang")
    verbs = col.decks.id("Lang::Verbs")
    a = col.decks.add_config("Lang")
    a["new"]["perDay"] = 6
    a["rev"]["perDay"] = 50
    a["new"]["delays"] = [1.0, 10.0]
    a["new"]["bury"], a["rev"]["bury"], a["buryInterdayLearning"] = True, True, False
    a["lapse"]["leechFails"] = 2
    a["lapse"]["leechAction"] = 1  # tag only
    a["maxTaken"] = 20
    col.decks.update_config(a)
    b = col.decks.add_config("Verbs")
    b["new"]["perDay"] = 3
    b["new"]["delays"] = [2.0]
    b["lapse"]["delays"] = [5.0]
    b["lapse"]["leechFails"] = 2
    b["lapse"]["leechAction"] = 0  # suspend
    col.decks.update_config(b)
    for did, conf in ((lang, a), (verbs, b)):
        d = col.decks.get(did)
        d["conf"] = conf["id"]
        if did == lang:
            d["newToday"] = [today - 1, 4]  # yesterday's: starts afresh today
            d["revToday"] = [today - 1, 9]
            d["timeToday"] = [today - 1, 60_000]
        col.decks.save(d)

    def set_card(cid, ctype, queue, due, ivl=0, factor=2500, lapses=0, reps=3):
        col.db.execute(
            "update cards set type = ?, queue = ?, due = ?, ivl = ?, factor = ?, reps = ?,"
            " lapses = ?, left = 0 where id = ?",
            ctype, queue, due, ivl, factor, reps, lapses, cid)

    add_basic_notes(col, lang, 3)
    pairs = add_basic_notes(col, lang, 4, reversed_=True)  # new siblings: buried
    reviews = add_basic_notes(col, lang, 5)
    for (cid,), (ago, ivl, factor) in zip(reviews, [(0, 3, 2500), (2, 8, 2300), (1, 20, 2700),
                                                    (5, 4, 1300), (0, 1, 2500)]):
        set_card(cid, REVIEW, Q_REVIEW, today - ago, ivl, factor)
    # Reviews from a time the collection had FSRS on: answered under SM-2, Anki drops the
    # memory state (s, d, dr) and keeps the decay and any custom data.
    was_fsrs = f'{{"pos":2,"s":8.2956,"d":1.0,"dr":0.9,"decay":0.154,"lrt":{int(time.time()) - 86_400}}}'
    col.db.execute("update cards set data = ? where id = ?", was_fsrs, reviews[0][0])
    col.db.execute("update cards set data = ? where id = ?",
                   '{"decay":0.2,"cd":"{\\"v\\":\\"x\\"}"}', reviews[1][0])
    leech = add_basic_notes(col, lang, 1)[0][0]
    set_card(leech, REVIEW, Q_REVIEW, today, 2, 1700, lapses=1, reps=9)
    # A review with a new sibling: answering it buries the sibling.
    set_card(pairs[0][1], REVIEW, Q_REVIEW, today - 1, 6, 2500)
    # Interday learning due.
    learning = add_basic_notes(col, lang, 1)[0][0]
    set_card(learning, LEARN, Q_DAY_LEARN, today - 1)
    col.db.execute("update cards set left = 1 where id = ?", learning)
    # Yesterday's burials, undone on the first look today.
    buried = add_basic_notes(col, lang, 2)
    set_card(buried[0][0], REVIEW, Q_USER_BURIED, today, 5, 2500)
    col.db.execute("update cards set queue = ? where id = ?", Q_SCHED_BURIED, buried[1][0])
    col.set_config("lastUnburied", today - 1)
    # The subdeck: new cards under a smaller limit, a review that becomes a leech and is
    # suspended.
    add_basic_notes(col, verbs, 4)
    verbs_reviews = add_basic_notes(col, verbs, 2)
    set_card(verbs_reviews[0][0], REVIEW, Q_REVIEW, today - 3, 10, 2500)
    set_card(verbs_reviews[1][0], REVIEW, Q_REVIEW, today, 3, 1500, lapses=1, reps=6)
    return lang


def answer_top(path: str, deck_id: int, n: int) -> dict | None:
    """One look and one answer on a fresh open, or None when nothing is left. Retried
    from a copy when the clock's second turned during the answer, so Anki's `now` is one
    second the replay can use."""
    from anki.collection import Collection

    spare = path + ".spare"
    shutil.copyfile(path, spare)
    while True:
        # Start well inside a second.
        frac = time.time() % 1
        if frac > 0.7:
            time.sleep(1.02 - frac)
        col = Collection(path)
        col.sched.deck_due_tree()  # the deck list first, as a person opens it
        col.decks.select(deck_id)
        now_from = int(time.time())
        queued = col.sched.get_queued_cards(fetch_limit=1)
        if not queued.cards:
            col.close(downgrade=False)
            return None
        top = queued.cards[0]
        card = top.card
        cid = card.id
        from anki.cards import Card
        card = Card(col, cid)
        labels = [s.replace("\u2068", "").replace("\u2069", "")
                  for s in col.sched.describe_next_states(top.states)]
        card.start_timer()
        rating = RATINGS[n % len(RATINGS)]
        answer = col.sched.build_answer(card=card, states=top.states, rating=rating - 1)
        answer.milliseconds_taken = 4_000 + 3_000 * (n % 9)  # past maxTaken sometimes
        col.sched.answer_card(answer)
        now_to = int(time.time())
        col.close(downgrade=False)
        if now_from == now_to and answer.answered_at_millis // 1000 == now_from:
            os.remove(spare)
            return {
                "card_id": cid, "kind": KINDS[top.queue], "rating": rating,
                "counts": {"new": queued.new_count, "learn": queued.learning_count,
                           "review": queued.review_count},
                "labels": labels,
                "answered_at_millis": answer.answered_at_millis,
                "milliseconds_taken": answer.milliseconds_taken,
            }
        shutil.copyfile(spare, path)


def final_state(path: str) -> dict:
    from anki.collection import Collection

    col = Collection(path)
    names = [c.strip() for c in CARD_COLUMNS.split(",")]
    cards = [dict(zip(names, r)) for r in col.db.all(
        f"select {CARD_COLUMNS} from cards order by id")]
    names = [c.strip() for c in REVLOG_COLUMNS.split(",")]
    revlog = [dict(zip(names, r)) for r in col.db.all(
        f"select {REVLOG_COLUMNS} from revlog order by id")]
    decks = []
    for d in col.decks.all():
        decks.append({"id": d["id"], "name": d["name"], "new": d["newToday"],
                      "review": d["revToday"], "millis": d["timeToday"]})
    notes = [{"id": nid, "tags": tags} for nid, tags in col.db.all(
        "select id, tags from notes order by id")]
    tags = col.db.list("select tag from tags order by tag")
    last_unburied = col.get_config("lastUnburied")
    col.close(downgrade=False)
    return {"cards": cards, "revlog": revlog, "decks": decks, "notes": notes,
            "tags": tags, "last_unburied": last_unburied}


def main() -> int:
    out_dir = out_dir_from_argv(__doc__)
    if out_dir is None:
        return 2
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "collection.anki2")
        col = make_collection(path)
        deck_id = build(col)
        col.close(downgrade=False)
        keep_compressed(path, out_dir, "session.anki2.zst")
        answers = []
        for n in range(ANSWERS):
            got = answer_top(path, deck_id, n)
            if got is None:
                break
            answers.append(got)
        after = final_state(path)
    write_vectors(out_dir, {"file": "session.anki2.zst", "deck_id": deck_id,
                            "answers": answers, "after": after})
    return 0


if __name__ == "__main__":
    sys.exit(main())
