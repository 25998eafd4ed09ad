"""Anki's own study queue (the v3 scheduler): for a few collections built with the real
`anki` package and several selected decks, the cards `col.sched.get_queued_cards()` would
show next, in order, with their queue kind and the new / learning / review counts; and,
for some answers, the siblings `col.sched.answer_card` buries. The oracle for
server/src/collection/queue/.

    queue_vectors.py OUT_DIR

writes OUT_DIR/vectors.json and, next to it, every collection the vectors were computed on
(`<case>-<step>.anki2.zst`: the closed schema-18 file, zstd-compressed). The Rust tests
read the committed copy in server/tests/fixtures/queue/; test.sh has the installed `anki`
build them afresh and points FF_QUEUE_VECTORS at the fresh vectors.json.

Each case is one collection ~100 days old: top-level decks with a subdeck, each with its
own preset (new mix, interday learning mix, review order, new card gather priority and
sort order, bury options, daily limits), holding Basic and Basic-and-reversed notes whose
cards are put, by setting their rows as Anki's own tests do, into new (various
positions), intraday learning (due now, within the learn-ahead limit, later today),
interday learning, review (due today, overdue, not yet due), relearning, suspended and
buried states; siblings are spread over a deck and its subdeck. A queue is recorded with
the second it was looked at (`now_from`..`now_to`), so intraday learning cards falling
due later do not make the vectors flaky. Answers are given on a fresh open of the file
(no queue built), the file is kept after each, and the next queue is the one a fresh
open builds.
"""

from __future__ import annotations

import json
import os
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


FETCH_LIMIT = 50

NEW, LEARN, REVIEW, RELEARN = 0, 1, 2, 3  # card types
Q_SUSPENDED, Q_SCHED_BURIED, Q_USER_BURIED = -1, -2, -3
Q_NEW, Q_LEARN, Q_REVIEW, Q_DAY_LEARN = 0, 1, 2, 3
KINDS = {0: "new", 1: "learning", 2: "review"}  # QueuedCard.queue


def preset(col, name: str, *, new=20, rev=200, bury=(False, False, False), **v3) -> int:
    """A preset: daily limits, (bury new, bury reviews, bury interday learning) and v3
    options under their JSON names (newMix, interdayLearningMix, reviewOrder,
    newGatherPriority, newSortOrder)."""
    conf = col.decks.add_config(name)
    conf["new"]["perDay"] = new
    conf["rev"]["perDay"] = rev
    conf["new"]["bury"], conf["rev"]["bury"], conf["buryInterdayLearning"] = bury
    conf["new"]["delays"] = [1.0, 10.0]
    for key, value in v3.items():
        conf[key] = value
    col.decks.update_config(conf)
    return conf["id"]


def deck(col, name: str, conf_id: int | None = None, **fields) -> int:
    did = col.decks.id(name)
    d = col.decks.get(did)
    if conf_id is not None:
        d["conf"] = conf_id
    d.update(fields)
    col.decks.save(d)
    return did


def set_card(col, cid: int, ctype: int, queue: int, due: int, *, ivl: int = 0,
             factor: int = 2500, left: int = 2, did: int | None = None) -> None:
    col.db.execute(
        "update cards set type = ?, queue = ?, due = ?, ivl = ?, factor = ?, reps = 3,"
        " left = ?, mod = mod + (id % 7) where id = ?",
        ctype, queue, due, ivl, factor, left, cid)
    if did is not None:
        col.db.execute("update cards set did = ? where id = ?", did, cid)


def populate(col, top: int, sub: int) -> dict:
    """The shared shape of a deck and its subdeck: every state a card can be in, siblings
    within the deck and across the two decks. Returns a few cards worth answering out of
    queue order: a new card with a review sibling, a review card with an interday
    learning sibling."""
    today = col.sched.today
    now = int(time.time())
    next_day = col.sched.day_cutoff
    later_today = now + 3600 if now + 3600 < next_day - 60 else None

    new_top = add_basic_notes(col, top, 5)
    # Positions out of creation order: the last note's card comes first.
    col.db.execute("update cards set due = 0 where id = ?", new_top[4][0])
    col.db.execute("update cards set due = 9000 where id = ?", new_top[1][0])
    pairs = add_basic_notes(col, top, 8, reversed_=True)
    # Siblings: a review and a new card.
    set_card(col, pairs[0][0], REVIEW, Q_REVIEW, today, ivl=5, factor=2300)
    # An intraday learning card due now with a review sibling and a new one (in sub).
    set_card(col, pairs[1][0], LEARN, Q_LEARN, now - 600)
    set_card(col, pairs[1][1], REVIEW, Q_REVIEW, today - 3, ivl=8, factor=2650)
    # Interday learning with a review sibling.
    set_card(col, pairs[2][0], LEARN, Q_DAY_LEARN, today)
    set_card(col, pairs[2][1], REVIEW, Q_REVIEW, today - 1, ivl=2, factor=2100)
    # Interday learning with a new sibling.
    set_card(col, pairs[3][0], RELEARN, Q_DAY_LEARN, today - 2, ivl=3)
    # Two reviews of one note, in the deck and in the subdeck.
    set_card(col, pairs[4][0], REVIEW, Q_REVIEW, today - 7, ivl=20, factor=2500)
    set_card(col, pairs[4][1], REVIEW, Q_REVIEW, today, ivl=1, factor=1300, did=sub)
    # Learning within the learn-ahead limit, and its new sibling in the subdeck.
    set_card(col, pairs[5][0], LEARN, Q_LEARN, now + 300)
    col.db.execute("update cards set did = ? where id = ?", sub, pairs[5][1])
    # Relearning due now, and a suspended sibling.
    set_card(col, pairs[6][0], RELEARN, Q_LEARN, now - 60, ivl=4)
    set_card(col, pairs[6][1], REVIEW, Q_SUSPENDED, today - 1, ivl=4)
    # A buried review (by hand) and a buried new card (as a sibling).
    set_card(col, pairs[7][0], REVIEW, Q_USER_BURIED, today, ivl=6)
    set_card(col, pairs[7][1], NEW, Q_SCHED_BURIED, 3)

    reviews = add_basic_notes(col, top, 8)
    for (cid,), (days_ago, ivl, factor) in zip(reviews, [
            (0, 3, 2500), (1, 10, 2500), (4, 4, 2200), (12, 30, 2800), (0, 15, 2000),
            (2, 2, 2500), (-1, 5, 2500), (-4, 9, 2500)]):
        set_card(col, cid, REVIEW, Q_REVIEW, today - days_ago, ivl=ivl, factor=factor)
    learning = add_basic_notes(col, top, 4)
    set_card(col, learning[0][0], LEARN, Q_LEARN, now - 1200)
    if later_today is not None:
        set_card(col, learning[1][0], LEARN, Q_LEARN, later_today)
    set_card(col, learning[2][0], LEARN, Q_DAY_LEARN, today + 1)
    set_card(col, learning[3][0], LEARN, Q_DAY_LEARN, today - 1)

    new_sub = add_basic_notes(col, sub, 4)
    col.db.execute("update cards set due = 1 where id = ?", new_sub[3][0])
    pairs_sub = add_basic_notes(col, sub, 3, reversed_=True)
    set_card(col, pairs_sub[0][0], REVIEW, Q_REVIEW, today - 2, ivl=6)
    set_card(col, pairs_sub[1][1], LEARN, Q_DAY_LEARN, today)
    set_card(col, pairs_sub[2][0], LEARN, Q_LEARN, now - 30)
    rev_sub = add_basic_notes(col, sub, 3)
    for (cid,), (days_ago, ivl) in zip(rev_sub, [(0, 2), (3, 7), (1, 1)]):
        set_card(col, cid, REVIEW, Q_REVIEW, today - days_ago, ivl=ivl)
    return {"new": pairs[0][1], "review": pairs[2][1]}


# The variants of the v3 options: (newMix, interdayLearningMix, reviewOrder,
# newGatherPriority, newSortOrder, bury (new, reviews, interday learning), limits).
VARIANTS = [
    (0, 0, 0, 0, 0, (False, False, False), (20, 200)),
    (1, 1, 1, 1, 1, (True, True, True), (20, 200)),
    (2, 2, 2, 2, 2, (True, False, False), (6, 12)),
    (0, 1, 3, 3, 3, (False, True, False), (20, 200)),
    (1, 2, 4, 4, 4, (False, False, True), (4, 200)),
    (2, 0, 5, 5, 0, (True, True, False), (20, 9)),
    (0, 0, 6, 0, 1, (False, True, True), (3, 5)),
    (0, 2, 12, 1, 0, (True, False, True), (20, 200)),
    (1, 0, 8, 3, 2, (False, False, False), (20, 200)),
    (2, 1, 9, 2, 4, (True, True, True), (20, 200)),
    (0, 0, 10, 4, 3, (False, False, False), (20, 200)),
]


def variant_preset(col, name: str, v) -> int:
    new_mix, day_mix, order, gather, sort, bury, (new, rev) = v
    return preset(col, name, new=new, rev=rev, bury=bury, newMix=new_mix,
                  interdayLearningMix=day_mix, reviewOrder=order,
                  newGatherPriority=gather, newSortOrder=sort)


def case_orders(col) -> list[int]:
    """One top-level deck per variant; its subdeck uses the next variant's preset, so
    bury options and limits differ between a deck and its subdeck."""
    selected, chosen = [], []
    for i, v in enumerate(VARIANTS):
        top = deck(col, f"V{i:02}", variant_preset(col, f"v{i}", v))
        sub = deck(col, f"V{i:02}::Sub",
                   variant_preset(col, f"v{i}-sub", VARIANTS[(i + 1) % len(VARIANTS)]))
        notable = populate(col, top, sub)
        if i in (1, 3):
            # bury reviews on: answering a new card leaves its review sibling alone, and
            # (in V01, interday learning burying on) a review its learning sibling.
            chosen += [(len(selected), notable["new"]), (len(selected), notable["review"])]
        selected.append(top)
        if i in (0, 1, 5):
            selected.append(sub)
    return selected, chosen


def case_limits(col) -> list[int]:
    """Collection-wide limit options on, studied-today counters, deck-level and today-only
    limit overrides, three levels of decks, and a filtered deck."""
    col.set_config("newCardsIgnoreReviewLimit", True)
    col.set_config("applyAllParentLimits", True)
    today = col.sched.today
    a = deck(col, "A", preset(col, "a", new=6, rev=7, bury=(True, True, True)),
             newToday=[today, 1], revToday=[today, 2])
    b = deck(col, "A::B", preset(col, "b", new=4, rev=30, newMix=1))
    c = deck(col, "A::B::C", preset(col, "c", new=10, rev=10, reviewOrder=2),
             reviewLimitToday={"limit": 3, "today": today})
    populate(col, a, b)
    populate(col, c, deck(col, "A::B::C::D"))
    other = deck(col, "Other", preset(col, "other", new=2, rev=3), newLimit=5)
    populate(col, other, deck(col, "Other::Sub"))
    chosen = [(0, populate(col, deck(col, "A::E"), deck(col, "A::E::F"))["new"])]
    fid = col.decks.new_filtered("Cram")
    f = col.decks.get(fid)
    f["terms"] = [["deck:Other*", 20, 0]]
    col.decks.save(f)
    col.sched.rebuild_filtered_deck(fid)
    return [a, b, c, other, fid], chosen


def case_review_limits(col) -> list[int]:
    """New cards capped by what the review limit leaves (the default), parent limits
    off: a subdeck with a larger limit than its parent."""
    today = col.sched.today
    top = deck(col, "Top", preset(col, "top", new=8, rev=10, bury=(True, True, False)),
               newToday=[today, 2], revToday=[today, 1])
    sub = deck(col, "Top::Sub", preset(col, "sub", new=30, rev=30, newMix=2))
    populate(col, top, sub)
    return [top, sub], []


def case_stale_burials(col) -> list[int]:
    """Cards buried on an earlier day: unlike the deck list, get_queued_cards gathers
    before it undoes them, so they stay out of the queue."""
    top = deck(col, "Buried", preset(col, "wide", bury=(True, True, True)))
    populate(col, top, deck(col, "Buried::Sub"))
    col.set_config("lastUnburied", col.sched.today - 1)
    return [top], []


CASES = {
    "orders": (case_orders, {1: 4, 3: 3}),
    "limits": (case_limits, {0: 4}),
    "review_limits": (case_review_limits, {0: 3, 1: 2}),
    "stale_burials": (case_stale_burials, {}),
}
"""Each case: its builder (which returns the decks to select and the cards to answer out
of queue order, each with the index of the deck whose queue to record after it), and how
many top cards to answer in which of its selected decks (by index)."""


def queue_of(path: str, deck_id: int) -> dict:
    from anki.collection import Collection

    col = Collection(path)
    col.decks.select(deck_id)
    now_from = int(time.time())
    queued = col.sched.get_queued_cards(fetch_limit=FETCH_LIMIT)
    now_to = int(time.time())
    cards = [[c.card.id, KINDS[c.queue]] for c in queued.cards]
    counts = {"new": queued.new_count, "learn": queued.learning_count,
              "review": queued.review_count}
    col.close(downgrade=False)
    return {"deck_id": deck_id, "now_from": now_from, "now_to": now_to,
            "cards": cards, "counts": counts}


RATINGS = [2, 0, 3, 1]  # CardAnswer.Rating: GOOD, AGAIN, EASY, HARD


def answer_card(path: str, top: int, rating: int) -> list[int]:
    """Answers card `top` on a fresh open (no queue built); returns the cards it buried."""
    from anki.collection import Collection

    col = Collection(path)
    before = set(col.db.list("select id from cards where queue = ?", Q_SCHED_BURIED))
    card = col.get_card(top)
    card.start_timer()
    states = col._backend.get_scheduling_states(top)
    col.sched.answer_card(col.sched.build_answer(card=card, states=states, rating=rating))
    after = set(col.db.list("select id from cards where queue = ?", Q_SCHED_BURIED))
    col.close(downgrade=False)
    return sorted(after - before - {top})


def run_case(name: str, build, answers: dict, out_dir: str) -> tuple[list, list]:
    queues, buried = [], []
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "collection.anki2")
        col = make_collection(path)
        selected, chosen = build(col)
        col.close(downgrade=False)
        step = 0
        file = f"{name}-{step}.anki2.zst"
        keep_compressed(path, out_dir, file)
        for did in selected:
            queues.append({"case": name, "file": file, **queue_of(path, did)})

        def answer(n: int, index: int, cid: int) -> None:
            nonlocal step, file
            got = answer_card(path, cid, RATINGS[n % len(RATINGS)])
            buried.append({"case": name, "file": file, "card_id": cid, "buried": got})
            step += 1
            file = f"{name}-{step}.anki2.zst"
            keep_compressed(path, out_dir, file)
            queues.append({"case": name, "file": file, **queue_of(path, selected[index])})

        for index, count in answers.items():
            for n in range(count):
                top = queue_of(path, selected[index])["cards"]
                if top:
                    answer(n, index, top[0][0])
        for n, (index, cid) in enumerate(chosen):
            answer(n, index, cid)
    return queues, buried


def main() -> int:
    out_dir = out_dir_from_argv(__doc__)
    if out_dir is None:
        return 2
    queues, buried = [], []
    for name, (build, answers) in CASES.items():
        q, b = run_case(name, build, answers, out_dir)
        queues += q
        buried += b
    write_vectors(out_dir, {"queues": queues, "buried": buried})
    return 0


if __name__ == "__main__":
    sys.exit(main())
