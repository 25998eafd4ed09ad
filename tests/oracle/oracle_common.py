"""What the oracle scripts share: Anki's day in UTC, collections made "100 days old" so
review days are positive, Basic notes, and writing the fixtures (each collection closed
and zstd-compressed next to vectors.json).

Importing this module sets TZ=UTC, so it comes before anything imports anki.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ["TZ"] = "UTC"  # the day turns at the same instant for Anki and the Rust test
time.tzset()

DAY = 86_400
DAYS_ELAPSED = 100


def make_collection(path: str):
    """A new collection whose day starts at 04:00 UTC, made DAYS_ELAPSED days ago."""
    from anki.collection import Collection

    col = Collection(path)
    crt = int(time.time()) - DAYS_ELAPSED * DAY - 3600
    col.db.execute("update col set crt = ?", crt)
    col.set_config("rollover", 4)
    col.set_config("creationOffset", 0)
    col.set_config("localOffset", 0)
    # Anki unburies on its first look at a new day; look once before burying anything.
    col.sched.deck_due_tree()
    return col


def add_basic_notes(col, did: int, count: int, reversed_: bool = False) -> list[list[int]]:
    """Adds `count` Basic (or Basic and reversed) notes; returns each note's card ids in
    template order."""
    name = "Basic (and reversed card)" if reversed_ else "Basic"
    model = col.models.by_name(name)
    notes = []
    for i in range(count):
        note = col.new_note(model)
        note["Front"] = f"{did}-{i}-{time.monotonic_ns()}"
        note["Back"] = "back"
        col.add_note(note, did)
        notes.append(sorted(note.card_ids()))
    return notes


def keep_compressed(path: str, out_dir: str, file: str) -> None:
    """Writes the closed collection at `path` to `out_dir/file`, zstd-compressed (an Anki
    collection is mostly empty pages)."""
    import zstandard

    with open(path, "rb") as src, open(os.path.join(out_dir, file), "wb") as dst:
        dst.write(zstandard.ZstdCompressor(level=19).compress(src.read()))


def out_dir_from_argv(usage: str) -> str | None:
    """The one argument, OUT_DIR (created), or None after printing the usage."""
    if len(sys.argv) != 2:
        print(usage, file=sys.stderr)
        return None
    os.makedirs(sys.argv[1], exist_ok=True)
    return sys.argv[1]


def write_vectors(out_dir: str, vectors, ensure_ascii: bool = True) -> None:
    with open(os.path.join(out_dir, "vectors.json"), "w") as f:
        json.dump(vectors, f, indent=1, ensure_ascii=ensure_ascii)
        f.write("\n")
