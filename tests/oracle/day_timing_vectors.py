"""Anki's own "today" for collections with varied creation times, creation and local UTC
offsets and rollover hours: the oracle for server/src/collection/time.rs.

Run with no arguments, it prints the vectors as JSON (each computed in a child process
whose TZ is the device's, since Anki takes the current offset from the local zone); the
Rust tests read the committed copy, server/tests/fixtures/day_timing_vectors.json, and
tests/test_day_timing_oracle.py checks that the copy is still what Anki computes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

# Fixed zones (no daylight saving), named as POSIX does: Etc/GMT+5 is UTC-5.
ZONES = {"Etc/GMT+5": 300, "Etc/GMT-10": -600, "UTC": 0, "Etc/GMT-5": -300, "Etc/GMT+11": 660}
ROLLOVERS = [0, 4, 12, 23]
# Creation instants relative to now (days and hours back), and the creation offset
# (minutes west; None for the legacy cutoff, where the collection has no creationOffset).
CREATIONS = [(400, 3, 300), (30, 22, -600), (2, 1, 0), (0, 2, None), (1000, 15, None),
             (7, 0, 660), (90, 11, -300)]


def one(tz: str, rollover: int, days_back: int, hours_back: int, creation_offset) -> dict:
    from anki.collection import Collection

    with tempfile.TemporaryDirectory() as d:
        col = Collection(os.path.join(d, "collection.anki2"))
        crt = int(time.time()) - days_back * 86_400 - hours_back * 3600
        col.db.execute("update col set crt = ?", crt)
        col.set_config("rollover", rollover)
        if creation_offset is None:
            col.remove_config("creationOffset")
        else:
            col.set_config("creationOffset", creation_offset)
        before = int(time.time())
        days_elapsed = col.sched.today
        next_day_at = col.sched.day_cutoff
        after = int(time.time())
        vector = {
            "tz": tz,
            "crt": crt,
            "rollover": col.get_config("rollover", None),
            "creation_offset": col.get_config("creationOffset", None),
            "local_offset": col.get_config("localOffset", None),
            "now_from": before,
            "now_to": after,
            "days_elapsed": days_elapsed,
            "next_day_at": next_day_at,
        }
        col.close()
        return vector


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        tz = os.environ["TZ"]
        out = [one(tz, r, d, h, c) for r in ROLLOVERS for d, h, c in CREATIONS]
        print(json.dumps(out))
        return 0
    vectors = []
    for tz in ZONES:
        env = dict(os.environ, TZ=tz)
        child = subprocess.run([sys.executable, __file__, "--child"], env=env, check=True,
                               capture_output=True, text=True)
        vectors.extend(json.loads(child.stdout))
    print(json.dumps(vectors, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
