"""Anki's own answers (the v3 scheduler, SM-2): for cards in every state under presets with
varied options, what `col.sched.describe_next_states` shows on the four buttons and what
`col.sched.answer_card` writes to the card and the revlog, computed by the real `anki`
package: the oracle for server/src/collection/scheduler/.

    sched_vectors.py OUT_DIR

writes OUT_DIR/vectors.json and, next to it, every collection the answers were given in
(`<case>.anki2.zst`: the closed schema-18 file before any answer, zstd-compressed). The
Rust tests read the committed copy in server/tests/fixtures/sched/; test.sh has the
installed `anki` build them afresh and points FF_SCHED_VECTORS at the fresh vectors.json.

Each case is one collection ~100 days old with one preset under test (learning and
relearning steps, graduating and easy intervals, starting ease, easy bonus, hard
interval, interval modifier, maximum interval, new interval after a lapse, minimum
interval, leech threshold and action, maximum answer time) and cards put into new,
learning (each step), interday learning, review (due today, overdue, not yet due, short
and long intervals), relearning and about-to-leech states by setting their rows, as
Anki's own tests do. Reviews spread over the next weeks, in the same preset and in
another one, give the load balancer a distribution to weigh. Every card is answered with
every rating, each time on a fresh copy of the collection; the queues are built first
(`get_queued_cards`), as the reviewer does, so the load balancer takes part.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time

from oracle_common import (  # first: it sets TZ=UTC before anki is imported
    DAY,
    add_basic_notes,
    keep_compressed,
    make_collection,
    out_dir_from_argv,
    write_vectors,
)


NEW, LEARN, REVIEW, RELEARN = 0, 1, 2, 3  # card types
Q_NEW, Q_LEARN, Q_REVIEW, Q_DAY_LEARN = 0, 1, 2, 3  # queues

CARD_COLUMNS = ("id, nid, did, ord, type, queue, due, ivl, factor, reps, lapses, left, "
                "odue, odid, flags, data")
REVLOG_COLUMNS = "id, cid, ease, ivl, lastIvl, factor, time, type"


def preset(col, name: str, **options) -> int:
    """A preset with the legacy JSON option names: section.key=value via (section, key)."""
    conf = col.decks.add_config(name)
    for (section, key), value in options.get("set", {}).items():
        if section:
            conf[section][key] = value
        else:
            conf[key] = value
    col.decks.update_config(conf)
    return conf["id"]


def deck(col, name: str, conf_id: int) -> int:
    did = col.decks.id(name)
    d = col.decks.get(did)
    d["conf"] = conf_id
    col.decks.save(d)
    return did


def set_card(col, cid: int, ctype: int, queue: int, due: int, *, ivl: int = 0,
             factor: int = 2500, reps: int = 3, lapses: int = 0, left: int = 0) -> None:
    col.db.execute(
        "update cards set type = ?, queue = ?, due = ?, ivl = ?, factor = ?, reps = ?,"
        " lapses = ?, left = ? where id = ?",
        ctype, queue, due, ivl, factor, reps, lapses, left, cid)


def spread_reviews(col, did: int, days: range, per_day) -> None:
    """Review cards due on each day of `days` (relative to today): the load to balance."""
    today = col.sched.today
    wanted = [(day, per_day(day)) for day in days]
    notes = add_basic_notes(col, did, sum(n for _, n in wanted))
    cids = [c for note in notes for c in note]
    i = 0
    for day, n in wanted:
        for _ in range(n):
            set_card(col, cids[i], REVIEW, Q_REVIEW, today + day, ivl=max(day, 1) + 3)
            i += 1


def standard_cards(col, did: int, steps: int, relearn_steps: int, leech_at: int) -> list[int]:
    """One card in each state worth answering; returns their ids."""
    today = col.sched.today
    now = int(time.time())
    cards = [note[0] for note in add_basic_notes(col, did, 20)]
    out = []

    def use(cid, *args, **kwargs):
        set_card(col, cid, *args, **kwargs)
        out.append(cid)

    it = iter(cards)
    out.append(next(it))  # new, as added
    # intraday learning at each step (left = steps remaining), due a minute ago
    for remaining in range(max(steps, 1), 0, -1):
        use(next(it), LEARN, Q_LEARN, now - 60, reps=2 + remaining, left=remaining)
    # interday learning, due today
    use(next(it), LEARN, Q_DAY_LEARN, today, reps=4, left=1)
    # reviews: due today, overdue, not yet due (answered ahead), short and long intervals
    use(next(it), REVIEW, Q_REVIEW, today, ivl=1, reps=5)
    use(next(it), REVIEW, Q_REVIEW, today, ivl=2, factor=1300, reps=6)
    use(next(it), REVIEW, Q_REVIEW, today, ivl=5, factor=2300, reps=7)
    use(next(it), REVIEW, Q_REVIEW, today - 3, ivl=12, factor=2500, reps=8, lapses=1)
    use(next(it), REVIEW, Q_REVIEW, today - 10, ivl=30, factor=2650, reps=9)
    use(next(it), REVIEW, Q_REVIEW, today + 4, ivl=20, factor=2500, reps=10)
    use(next(it), REVIEW, Q_REVIEW, today, ivl=60, factor=2100, reps=11)
    use(next(it), REVIEW, Q_REVIEW, today - 1, ivl=150, factor=2500, reps=12)
    use(next(it), REVIEW, Q_REVIEW, today, ivl=4000, factor=2800, reps=13)
    # about to become a leech
    use(next(it), REVIEW, Q_REVIEW, today, ivl=9, factor=1700, reps=20, lapses=leech_at - 1)
    # relearning at each step
    for remaining in range(max(relearn_steps, 1), 0, -1):
        use(next(it), RELEARN, Q_LEARN, now - 120, ivl=7, factor=2200, reps=14 + remaining,
            lapses=2, left=remaining)
    return out


# (section, key) -> value, in the legacy JSON names Anki's preset editor still accepts.
CASES = {
    "defaults": {
        "set": {},
        "steps": 2, "relearn": 1, "leech": 8, "load_balancer": True,
    },
    "short_and_daily_steps": {
        "set": {
            ("new", "delays"): [0.5, 30.0, 1440.0],
            ("lapse", "delays"): [5.0, 1440.0],
            ("new", "ints"): [3, 7, 0],
            ("new", "initialFactor"): 2300,
            ("rev", "ease4"): 1.5,
            ("rev", "hardFactor"): 1.0,
            ("rev", "ivlFct"): 0.8,
            ("rev", "maxIvl"): 50,
            ("lapse", "mult"): 0.5,
            ("lapse", "minInt"): 3,
            ("lapse", "leechFails"): 4,
            ("lapse", "leechAction"): 1,
            ("", "maxTaken"): 20,
        },
        "steps": 3, "relearn": 2, "leech": 4, "load_balancer": True,
    },
    "no_steps": {
        "set": {
            ("new", "delays"): [],
            ("lapse", "delays"): [],
            ("new", "ints"): [2, 6, 0],
            ("rev", "ease4"): 2.0,
            # outside the 0.5-1.3 Anki allows: it schedules with the default, 1.2
            ("rev", "hardFactor"): 1.5,
            ("rev", "ivlFct"): 1.5,
            ("lapse", "mult"): 0.3,
            ("lapse", "minInt"): 2,
            ("lapse", "leechFails"): 1,
            ("lapse", "leechAction"): 0,
        },
        "steps": 0, "relearn": 0, "leech": 1, "load_balancer": True,
    },
    "one_step_interday_relearn": {
        "set": {
            ("new", "delays"): [15.0],
            ("lapse", "delays"): [2880.0],
            ("new", "ints"): [2, 5, 0],
            ("rev", "maxIvl"): 20,
            ("rev", "hardFactor"): 0.8,
            ("lapse", "mult"): 0.7,
            ("lapse", "leechFails"): 3,
            ("lapse", "leechAction"): 0,
        },
        "steps": 1, "relearn": 1, "leech": 3, "load_balancer": True,
    },
    "without_load_balancer": {
        "set": {("new", "delays"): [1.0, 10.0, 60.0], ("lapse", "delays"): [10.0, 120.0]},
        "steps": 3, "relearn": 2, "leech": 8, "load_balancer": False,
    },
    # Up to 9 reviews a day, and 3, 9 and 1 on the days a new card's Easy (4 days) can
    # fall on: where the load balancer's power of the due count changes the pick for
    # about 7% of draws, so the 40 new cards all but surely show it.
    "busy_days": {
        "set": {},
        "steps": 2, "relearn": 1, "leech": 8, "load_balancer": True,
        "load": lambda d: {3: 3, 4: 9, 5: 1}.get(d, (d * 5) % 9),
        "new_cards": 40,
    },
    "siblings_buried": {
        "set": {("rev", "bury"): True, ("new", "bury"): True},
        "steps": 2, "relearn": 1, "leech": 8, "load_balancer": True,
        # Reviews whose sibling is due on some of the days the fuzz range covers.
        "siblings": {"pairs": [(ivl, ivl * 2 + 1) for ivl in (4, 8, 15, 25)], "reps": 30},
    },
    # Every day busy, and reviews whose sibling is due one to six days past their
    # interval: the days near a sibling (and near the card itself, due today) weigh less.
    "siblings_spaced": {
        "set": {("rev", "bury"): True},
        "steps": 2, "relearn": 1, "leech": 8, "load_balancer": True,
        "load": lambda d: 1 + (d * 7) % 5,
        # Good lands about 5 to 12 days out; the sibling 1 to 6 days past the interval.
        "siblings": {"pairs": [(2 + n % 4, 3 + n % 4 + n % 6) for n in range(24)], "reps": 40},
    },
    # FSRS on, with the default parameters and retention: cards without a memory state
    # (it comes from their ease and interval, or from their history), with one, new and
    # learning cards.
    "fsrs_defaults": {
        "set": {},
        "steps": 2, "relearn": 1, "leech": 8, "load_balancer": True, "fsrs": True,
        "new_cards": 6,
    },
    # FSRS with its own parameters (FSRS-6, a decay of its own), a desired retention of
    # 0.85, a maximum interval and no load balancer.
    "fsrs_own_parameters": {
        "set": {
            ("", "desiredRetention"): 0.85,
            ("", "fsrsParams6"): [0.3, 1.1, 2.9, 9.1, 6.5, 0.7, 2.8, 0.01, 1.7, 0.15, 0.9,
                                  1.5, 0.07, 0.3, 1.7, 0.5, 2.1, 0.6, 0.1, 0.07, 0.25],
            ("new", "delays"): [1.0, 10.0, 1440.0],
            ("lapse", "delays"): [10.0],
            ("rev", "maxIvl"): 200,
        },
        "steps": 3, "relearn": 1, "leech": 8, "load_balancer": False, "fsrs": True,
        "new_cards": 4,
    },
    # FSRS-5 parameters (19: the decay is 0.5) and no relearning steps.
    "fsrs5_parameters": {
        "set": {
            ("", "desiredRetention"): 0.92,
            ("", "fsrsParams5"): [0.40255, 1.18385, 3.173, 15.69105, 7.1949, 0.5345, 1.4604,
                                  0.0046, 1.54575, 0.1192, 1.01925, 1.9395, 0.11, 0.29605,
                                  2.2698, 0.2315, 2.9898, 0.51655, 0.6621],
            ("lapse", "delays"): [],
        },
        "steps": 2, "relearn": 0, "leech": 8, "load_balancer": True, "fsrs": True,
    },
    # FSRS with no learning or relearning steps: FSRS's delays under half a day stand in
    # for them.
    "fsrs_without_steps": {
        "set": {("new", "delays"): [], ("lapse", "delays"): []},
        "steps": 0, "relearn": 0, "leech": 8, "load_balancer": True, "fsrs": True,
        "new_cards": 6,
    },
    # FSRS-4.5 parameters (17: no short-term memory), the deck's own desired retention,
    # reviews before a date ignored, and short delays allowed in place of a last step
    # (which FSRS-4.5 cannot give).
    "fsrs45_deck_retention": {
        "set": {
            ("", "fsrsWeights"): [0.4, 0.9, 2.3, 10.9, 4.93, 0.94, 0.86, 0.01, 1.49, 0.14,
                                  0.94, 2.18, 0.05, 0.34, 1.26, 0.29, 2.61],
            ("", "desiredRetention"): 0.9,
            ("", "ignoreRevlogsBeforeDate"): time.strftime(
                "%Y-%m-%d", time.gmtime(time.time() - 33 * DAY)),
            ("", "sm2Retention"): 0.85,
        },
        "steps": 2, "relearn": 1, "leech": 8, "load_balancer": True, "fsrs": True,
        "deck_retention": 0.8, "short_term_with_steps": True,
    },
    # FSRS's short delays in place of a last learning step, with FSRS-6 parameters.
    "fsrs_short_term_with_steps": {
        "set": {("new", "delays"): [1.0, 10.0], ("lapse", "delays"): [10.0]},
        "steps": 2, "relearn": 1, "leech": 8, "load_balancer": False, "fsrs": True,
        "short_term_with_steps": True, "new_cards": 4,
    },
}


def reviews_with_siblings(col, did: int, pairs, reps: int) -> list[int]:
    """Basic-and-reversed notes whose first card is a review due today with interval `ivl`
    and whose second is due `sibling_in` days from today, for each `(ivl, sibling_in)`;
    returns the first cards (their reps count up from `reps`, so each has its own seed)."""
    today = col.sched.today
    notes = add_basic_notes(col, did, len(pairs), reversed_=True)
    for n, (note, (ivl, sibling_in)) in enumerate(zip(notes, pairs)):
        set_card(col, note[0], REVIEW, Q_REVIEW, today, ivl=ivl, reps=reps + n)
        set_card(col, note[1], REVIEW, Q_REVIEW, today + sibling_in, ivl=ivl, reps=3)
    return [note[0] for note in notes]


def fsrs_cards(col, did: int) -> list[int]:
    """Review and relearning cards as FSRS leaves them (a memory state and the last review
    time in `data`), and reviews with a history in the revlog but no memory state, which
    Anki derives from that history when they are answered."""
    today = col.sched.today
    now = int(time.time())
    cids = [note[0] for note in add_basic_notes(col, did, 14)]
    with_state = [
        # (type, queue, due, ivl, days since the last review, stability, difficulty)
        (REVIEW, Q_REVIEW, today, 10, 10, 12.3456, 5.4321),
        (REVIEW, Q_REVIEW, today - 4, 6, 10, 3.2, 8.7),
        (REVIEW, Q_REVIEW, today + 5, 20, 15, 25.0, 3.1),
        (REVIEW, Q_REVIEW, today, 400, 400, 380.5, 1.2),
        (REVIEW, Q_REVIEW, today, 3, 0, 2.4, 9.9),
        (RELEARN, Q_LEARN, now - 120, 4, 0, 1.6, 7.5),
    ]
    for cid, (ctype, queue, due, ivl, ago, s, d) in zip(cids, with_state):
        set_card(col, cid, ctype, queue, due, ivl=ivl, reps=6, lapses=1 if ctype == RELEARN else 0,
                 left=1 if ctype == RELEARN else 0)
        data = {"s": s, "d": d, "dr": 0.9, "decay": 0.1542, "lrt": now - ago * DAY - 300}
        col.db.execute("update cards set data = ? where id = ?", json.dumps(data), cid)
    # (type, queue, due, ivl, [(days ago, ease, ivl, lastIvl, revlog type, factor)]): the
    # factor is an ease (permille) under SM-2, a shifted difficulty (at most 1100) under
    # FSRS, 0 for learning answers and resets (type 4, ease 0).
    histories = [
        (REVIEW, Q_REVIEW, today, 8, [(20, 3, -600, 0, 0, 0), (19, 3, 3, -600, 0, 0),
                                      (16, 3, 8, 3, 1, 2500)]),
        (REVIEW, Q_REVIEW, today - 2, 5, [(30, 1, -60, 0, 0, 0), (30, 3, -600, -60, 0, 0),
                                          (29, 3, 1, -600, 0, 0), (28, 1, -600, 1, 1, 2300),
                                          (28, 3, 2, -600, 2, 2300), (7, 2, 5, 2, 1, 2150)]),
        (REVIEW, Q_REVIEW, today, 30, [(45, 4, 4, 0, 0, 0), (41, 3, 12, 4, 1, 2500),
                                       (30, 3, 30, 12, 1, 2500)]),
        (LEARN, Q_LEARN, now - 60, 0, [(0, 3, -600, -60, 0, 0)]),
        # reset, then learnt again: only the answers since the reset count
        (REVIEW, Q_REVIEW, today, 6, [(60, 3, 10, 4, 1, 2500), (40, 0, 0, 10, 4, 0),
                                      (35, 1, -60, 0, 0, 0), (35, 3, 1, -60, 0, 0),
                                      (20, 3, 6, 1, 1, 2500)]),
        # reset with no learning since: the history starts part-way, from SM-2's values
        (REVIEW, Q_REVIEW, today, 9, [(50, 3, 12, 5, 1, 2500), (30, 0, 0, 12, 4, 0),
                                      (9, 3, 9, 4, 1, 2400)]),
        # reviews FSRS answered before (difficulty in the factor), no learning answers
        (REVIEW, Q_REVIEW, today - 1, 25, [(36, 3, 10, 5, 1, 700), (26, 3, 25, 10, 1, 650)]),
    ]
    for cid, (ctype, queue, due, ivl, reviews) in zip(cids[len(with_state):], histories):
        set_card(col, cid, ctype, queue, due if ctype != LEARN else now - 60, ivl=ivl,
                 reps=len(reviews), left=1 if ctype == LEARN else 0)
        for i, (ago, ease, r_ivl, last, kind, factor) in enumerate(reviews):
            col.db.execute("insert into revlog values (?,?,?,?,?,?,?,?,?)",
                           (now - ago * DAY - 600) * 1000 + (cid % 97) * 10 + i, cid, -1, ease,
                           r_ivl, last,
                           factor, 8000, kind)
    return cids[:len(with_state) + len(histories)]


def build(col, name: str, spec: dict) -> list[int]:
    conf = preset(col, name, set=spec["set"])
    did = deck(col, f"Study {name}", conf)
    if not spec["load_balancer"]:
        col.load_balancer_enabled = False
    if spec.get("fsrs"):
        col.set_config("fsrs", True)
        col.set_config("fsrsShortTermWithStepsEnabled", spec.get("short_term_with_steps", False))
    if "deck_retention" in spec:
        d = col.decks.get(did)
        d["desiredRetention"] = spec["deck_retention"]
        col.decks.save(d)
    # The load in this preset: an uneven spread over the next ten weeks.
    spread_reviews(col, did, range(1, 70), spec.get("load", lambda d: (d * 7) % 5))
    # Another preset's load on the same days does not count.
    other = deck(col, f"Other {name}", preset(col, f"other {name}"))
    spread_reviews(col, other, range(1, 30, 2), lambda d: 6)
    cards = standard_cards(col, did, spec["steps"], spec["relearn"], spec["leech"])
    cards += [note[0] for note in add_basic_notes(col, did, spec.get("new_cards", 0))]
    if spec.get("siblings"):
        cards += reviews_with_siblings(col, did, **spec["siblings"])
    if spec.get("fsrs"):
        cards += fsrs_cards(col, did)
    return cards


def card_row(col, cid: int) -> dict:
    names = [c.strip() for c in CARD_COLUMNS.split(",")]
    row = col.db.first(f"select {CARD_COLUMNS} from cards where id = ?", cid)
    return dict(zip(names, row))


def answer_once(path: str, case: str, file: str, cid: int, rating: int) -> dict:
    from anki.collection import Collection

    col = Collection(path)
    col.sched.get_queued_cards()  # builds the queues, and with them the load balancer
    before = card_row(col, cid)
    card = col.get_card(cid)
    now_from = int(time.time())
    states = col._backend.get_scheduling_states(cid)
    labels = [strip_marks(s) for s in col.sched.describe_next_states(states)]
    # Answering a card that is not at the top of the built queues is refused; selecting
    # the card's deck (the current one is Default) drops the queues, the states stay.
    col.decks.select(card.did)
    card.start_timer()
    # CardAnswer.Rating counts from 0 (AGAIN); the revlog and our API from 1.
    answer = col.sched.build_answer(card=card, states=states, rating=rating - 1)
    # more than some presets' maximum answer time, so the cap shows
    answer.milliseconds_taken = 25_000 + 1_000 * rating
    col.sched.answer_card(answer)
    now_to = int(time.time())
    after = card_row(col, cid)
    names = [c.strip() for c in REVLOG_COLUMNS.split(",")]
    revlog = dict(zip(names, col.db.first(
        f"select {REVLOG_COLUMNS} from revlog where cid = ? order by id desc limit 1", cid)))
    tags = col.get_note(card.nid).tags
    col.close(downgrade=False)
    return {
        "case": case, "file": file, "card_id": cid, "rating": rating,
        "now_from": now_from, "now_to": now_to,
        "answered_at_millis": answer.answered_at_millis,
        "milliseconds_taken": answer.milliseconds_taken,
        "labels": labels, "before": before, "after": after, "revlog": revlog,
        "leech_tagged": "leech" in tags,
    }


def strip_marks(label: str) -> str:
    """Anki wraps numbers in Unicode isolation marks for right-to-left languages."""
    return label.replace("\u2068", "").replace("\u2069", "")


def run_case(name: str, spec: dict, out_dir: str) -> list[dict]:
    file = f"{name}.anki2.zst"
    vectors = []
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "collection.anki2")
        col = make_collection(path)
        cards = build(col, name, spec)
        col.close(downgrade=False)
        keep_compressed(path, out_dir, file)
        for cid in cards:
            for rating in (1, 2, 3, 4):
                copy = os.path.join(d, "answer.anki2")
                shutil.copyfile(path, copy)
                vectors.append(answer_once(copy, name, file, cid, rating))
                os.remove(copy)
    return vectors


def main() -> int:
    out_dir = out_dir_from_argv(__doc__)
    if out_dir is None:
        return 2
    vectors = []
    for name, spec in CASES.items():
        vectors.extend(run_case(name, spec, out_dir))
    write_vectors(out_dir, vectors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
