"""Anki's own deck list with its new / learning / review counts (`col.sched.deck_due_tree()`,
the v3 scheduler) for a few small collections built with the real `anki` package: the
oracle for server/src/collection/deck_tree.rs.

    deck_tree_vectors.py OUT_DIR

writes OUT_DIR/vectors.json and, next to it, every collection the vectors were computed on
(`<case>.anki2.zst`: the closed schema-18 file, zstd-compressed). The Rust tests read the committed copy in
server/tests/fixtures/deck_tree/; test.sh has the installed `anki` build them afresh and
points FF_DECK_TREE_VECTORS at the fresh vectors.json.

Each case: nested decks A, A::B, A::B::C and a second top-level deck, each with its own
preset (and some with deck-level or today-only limit overrides); Basic (and reversed)
notes; cards put into learning, review (due today, overdue, later), relearning, interday
learning, suspended and buried states the way Anki's own tests do (fields set on the card
rows), some answered with `col.sched.answer_card` so the decks' studied-today counters
move; a filtered deck; a collapsed deck.
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


# queue / type values as stored in the cards table
NEW, LEARN, REVIEW, DAY_LEARN, RELEARN = 0, 1, 2, 3, 3
SUSPENDED, SCHED_BURIED, USER_BURIED = -1, -2, -3


def preset(col, name: str, new: int, rev: int) -> int:
    conf = col.decks.add_config(name)
    conf["new"]["perDay"] = new
    conf["rev"]["perDay"] = rev
    col.decks.update_config(conf)
    return conf["id"]


def deck(col, name: str, conf_id: int | None = None, **fields) -> int:
    did = col.decks.id(name)
    d = col.decks.get(did)
    d.setdefault("collapsed", False)
    if "collapsed" not in fields and not d.get("dyn"):
        d["collapsed"] = False
    if conf_id is not None:
        d["conf"] = conf_id
    d.update(fields)
    col.decks.save(d)
    return did


def add_notes(col, did: int, count: int, reversed_: bool = False) -> list[int]:
    """Adds `count` notes and returns their card ids in creation order."""
    return [cid for note in add_basic_notes(col, did, count, reversed_) for cid in note]


def set_card(col, cid: int, ctype: int, queue: int, due: int, ivl: int = 0) -> None:
    col.db.execute(
        "update cards set type = ?, queue = ?, due = ?, ivl = ?, factor = 2500, reps = 3,"
        " left = 1 where id = ?",
        ctype, queue, due, ivl, cid)


def answer(col, cid: int, rating: int) -> None:
    card = col.get_card(cid)
    card.start_timer()
    states = col._backend.get_scheduling_states(cid)
    col.sched.answer_card(col.sched.build_answer(card=card, states=states, rating=rating))


def populate(col, *, ignore_review_limit: bool, parent_limits: bool) -> None:
    """The shared shape of the nested cases; the options change what the limits do."""
    from anki.scheduler.v3 import CardAnswer

    if ignore_review_limit:
        col.set_config("newCardsIgnoreReviewLimit", True)
    if parent_limits:
        col.set_config("applyAllParentLimits", True)
    today = col.sched.today
    now = int(time.time())

    a = deck(col, "A", preset(col, "parent", new=5, rev=6), collapsed=True)
    b = deck(col, "A::B", preset(col, "child", new=3, rev=4))
    c = deck(col, "A::B::C", preset(col, "grandchild", new=10, rev=10))
    second = deck(col, "Second", preset(col, "second", new=8, rev=20))
    other = deck(col, "Second::Other")  # the default preset

    new_a = add_notes(col, a, 2)
    rev_a = add_notes(col, a, 6, reversed_=True)  # 12 cards: siblings in one deck
    cards_b = add_notes(col, b, 6, reversed_=True)
    cards_c = add_notes(col, c, 8)
    cards_second = add_notes(col, second, 10)
    cards_other = add_notes(col, other, 4, reversed_=True)
    del new_a

    # Answering moves the studied-today counters of the deck and its parents.
    answer(col, cards_c[0], CardAnswer.GOOD)  # new -> learning, 10 min away
    answer(col, cards_c[1], CardAnswer.EASY)  # new -> review, due in days
    answer(col, cards_b[0], CardAnswer.AGAIN)  # new -> learning, 1 min away

    # A: reviews due today, overdue, later; suspended, buried (by hand and as a sibling).
    for cid in rev_a[0:3]:
        set_card(col, cid, REVIEW, REVIEW, today, ivl=5)
    for cid in rev_a[3:6]:
        set_card(col, cid, REVIEW, REVIEW, today - 4, ivl=9)
    set_card(col, rev_a[6], REVIEW, REVIEW, today + 3, ivl=9)
    set_card(col, rev_a[7], REVIEW, SUSPENDED, today, ivl=9)
    set_card(col, rev_a[8], REVIEW, USER_BURIED, today, ivl=9)
    set_card(col, rev_a[9], REVIEW, SCHED_BURIED, today, ivl=9)
    set_card(col, rev_a[10], REVIEW, REVIEW, today - 1, ivl=3)
    # B: intraday learning inside and outside the learn-ahead window, relearning,
    # interday learning today and tomorrow, a preview-free review.
    set_card(col, cards_b[2], LEARN, LEARN, now + 120)
    set_card(col, cards_b[3], LEARN, LEARN, now + 3 * 3600)
    set_card(col, cards_b[4], RELEARN, LEARN, now - 300, ivl=4)
    set_card(col, cards_b[5], LEARN, DAY_LEARN, today)
    set_card(col, cards_b[6], LEARN, DAY_LEARN, today + 1)
    set_card(col, cards_b[7], REVIEW, REVIEW, today, ivl=2)
    set_card(col, cards_b[8], REVIEW, REVIEW, today - 2, ivl=2)
    set_card(col, cards_b[9], LEARN, SUSPENDED, now - 60)
    # C: reviews enough to pass B's review limit.
    for cid in cards_c[2:6]:
        set_card(col, cid, REVIEW, REVIEW, today - 1, ivl=6)
    # Second: more reviews than its deck-level override allows, and interday learning.
    for cid in cards_second[0:5]:
        set_card(col, cid, REVIEW, REVIEW, today, ivl=4)
    set_card(col, cards_second[5], RELEARN, DAY_LEARN, today - 1, ivl=1)
    for cid in cards_other[0:3]:
        set_card(col, cid, REVIEW, REVIEW, today, ivl=4)
    set_card(col, cards_other[3], LEARN, LEARN, now + 30)

    # Deck-level overrides: a review limit on Second and a new limit for today only on
    # Second::Other; a stale today-only limit (yesterday's) on A::B::C is ignored.
    deck(col, "Second", reviewLimit=3)
    deck(col, "Second::Other", newLimitToday={"limit": 1, "today": today},
         reviewLimitToday={"limit": 2, "today": today})
    deck(col, "A::B::C", newLimitToday={"limit": 0, "today": today - 1})

    # A filtered deck pulling from Second::Other (new cards and due reviews).
    fid = col.decks.new_filtered("Cram")
    f = col.decks.get(fid)
    f["terms"] = [["deck:Second::Other", 4, 0]]
    col.decks.save(f)
    col.sched.rebuild_filtered_deck(fid)


def case_nested(col) -> None:
    populate(col, ignore_review_limit=False, parent_limits=False)


def case_options_on(col) -> None:
    populate(col, ignore_review_limit=True, parent_limits=True)
    # Cards in Default: now it is listed.
    add_notes(col, 1, 2)


def case_counters(col) -> None:
    """Studied-today counters of today and of an older day, set on the decks directly."""
    today = col.sched.today
    conf = preset(col, "small", new=4, rev=5)
    top = deck(col, "Top", conf, newToday=[today, 2], revToday=[today, 3])
    sub = deck(col, "Top::Sub", conf, newToday=[today - 1, 4], revToday=[today - 1, 5])
    for cid in add_notes(col, top, 6):
        pass
    cids = add_notes(col, sub, 8)
    for cid in cids[:6]:
        set_card(col, cid, REVIEW, REVIEW, today, ivl=3)
    deck(col, "Zeta")  # empty, sorted after Top


def case_only_default(col) -> None:
    """A fresh collection: the empty Default deck is the only deck, so it is listed."""


def case_stale_burials(col) -> None:
    """Cards buried on an earlier day: Anki unburies them when it builds the tree, so
    they count (the fixture is the collection as it was before that)."""
    today = col.sched.today
    now = int(time.time())
    did = deck(col, "Buried", preset(col, "wide", new=50, rev=50))
    cids = add_notes(col, did, 6, reversed_=True)
    set_card(col, cids[0], NEW, SCHED_BURIED, 5)
    set_card(col, cids[1], REVIEW, USER_BURIED, today - 2, ivl=5)
    set_card(col, cids[2], LEARN, SCHED_BURIED, now + 60)
    set_card(col, cids[3], RELEARN, USER_BURIED, today, ivl=2)
    set_card(col, cids[4], REVIEW, SUSPENDED, today, ivl=5)
    set_card(col, cids[5], REVIEW, REVIEW, today, ivl=5)
    col.set_config("lastUnburied", today - 1)


CASES = {
    "nested": case_nested,
    "options_on": case_options_on,
    "counters": case_counters,
    "only_default": case_only_default,
    "stale_burials": case_stale_burials,
}


def flatten(node, out: list, prefix: str = "") -> None:
    for child in node.children:
        name = f"{prefix}::{child.name}" if prefix else child.name
        out.append({
            "id": child.deck_id,
            "name": name,
            "level": child.level,
            "collapsed": child.collapsed,
            "filtered": child.filtered,
            "new": child.new_count,
            "learn": child.learn_count,
            "review": child.review_count,
        })
        flatten(child, out, name)


def run_case(name: str, build, out_dir: str) -> dict:
    """Builds the case, keeps the closed file (zstd-compressed: an Anki collection is
    mostly empty pages), then reopens it and has Anki compute the tree."""
    from anki.collection import Collection

    file = f"{name}.anki2.zst"
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "collection.anki2")
        col = make_collection(path)
        build(col)
        col.close(downgrade=False)
        keep_compressed(path, out_dir, file)
        col = Collection(path)
        now_from = int(time.time())
        tree = col.sched.deck_due_tree()
        now_to = int(time.time())
        today = col.sched.today
        decks: list = []
        flatten(tree, decks)
        col.close(downgrade=False)
    return {"case": name, "file": file, "now_from": now_from, "now_to": now_to,
            "days_elapsed": today, "decks": decks}


def main() -> int:
    out_dir = out_dir_from_argv(__doc__)
    if out_dir is None:
        return 2
    vectors = [run_case(name, build, out_dir) for name, build in CASES.items()]
    write_vectors(out_dir, vectors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
