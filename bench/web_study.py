#!/usr/bin/env python3
"""Studying on the web, timed: on a collection of 20,000 notes (500 with --quick) that the
real client made and uploaded, three quarters of its cards reviews spread over the past
and next months and the rest new, the median time of

- the deck list (`GET /api/decks`),
- showing the next card (`POST /api/study/next`: the queue, the rendering, the labels),
- answering it (`POST /api/study/answer`: the write transaction),
- the whole study page (`GET /study/{deck}`).

Only flashcard-flow is measured: the official server has no web study to compare with.
It reports and asserts nothing about time.

    .venv/bin/python bench/web_study.py [--quick] [--bin-dir target/release]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import random
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import PASSWORD, ROOT, Profile, make_collection, start_flashcard_flow  # noqa: E402


def spread_reviews(path: Path) -> int:
    """Makes three quarters of the cards reviews, due from 60 days ago to 60 days ahead;
    returns the deck id."""
    from anki.collection import Collection

    col = Collection(str(path))
    today = col.sched.today
    rng = random.Random(7)
    ids = col.db.list("select id from cards order by id")
    rows = []
    for cid in ids[: len(ids) * 3 // 4]:
        ivl = rng.randint(1, 120)
        rows.append((today + rng.randint(-60, 60), ivl, rng.choice([1300, 2100, 2500, 2800]),
                     rng.randint(1, 30), cid))
    col.db.executemany(
        "update cards set type = 2, queue = 2, due = ?, ivl = ?, factor = ?, reps = ?, "
        "mod = mod + 1 where id = ?", rows)
    deck = col.decks.id("Bench")
    col.close()
    return deck


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--bin-dir", type=Path, default=ROOT / "target" / "release")
    parser.add_argument("--notes", type=int)
    args = parser.parse_args()
    notes = args.notes or (500 if args.quick else 20_000)
    samples = 5 if args.quick else 25
    with tempfile.TemporaryDirectory(prefix="ff-bench-web-") as d:
        work = Path(d)
        source = work / "source.anki2"
        make_collection(source, notes)
        deck = spread_reviews(source)
        server = start_flashcard_flow(work, args.bin_dir, ["bench"])
        try:
            device = Profile(work, server.endpoint, source)
            device.login("bench")
            device.sync()
            device.full(upload=True)
            device.close()

            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            base = server.endpoint.rstrip("/")

            def call(method: str, path: str, body: dict | None = None) -> bytes:
                data = None if body is None else json.dumps(body).encode()
                request = urllib.request.Request(base + path, data=data, method=method)
                if data is not None:
                    request.add_header("Content-Type", "application/json")
                with opener.open(request) as response:
                    return response.read()

            call("POST", "/api/login", {"login": "bench", "password": PASSWORD})

            def timed(fn) -> float:
                start = time.perf_counter()
                fn()
                return (time.perf_counter() - start) * 1000

            figures: dict[str, list[float]] = {"deck list": [], "next card": [],
                                               "answer": [], "study page": []}
            call("GET", "/api/decks")  # the first look of the day unburies; not timed
            for i in range(samples):
                figures["deck list"].append(timed(lambda: call("GET", "/api/decks")))
                shown: dict = {}

                def show() -> None:
                    shown.update(json.loads(call("POST", "/api/study/next", {"deck_id": deck})))

                figures["next card"].append(timed(show))
                card = shown["card"]
                figures["answer"].append(timed(lambda: call(
                    "POST", "/api/study/answer",
                    {"card_id": card["id"], "rating": 3, "millis_taken": 4000})))
                figures["study page"].append(timed(lambda: call("GET", f"/study/{deck}")))
        finally:
            server.stop()
    print(f"web study on {notes} notes ({samples} samples each, median ms):")
    for name, values in figures.items():
        print(f"  {name:<12} {statistics.median(values):8.1f} ms"
              f"   (min {min(values):.1f}, max {max(values):.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
