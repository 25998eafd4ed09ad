#!/usr/bin/env python3
"""What a snapshot costs: the time it adds to a full upload that replaces a 20,000-note
collection (500 with --quick), and its size on disk. Three servers run side by side with
the real Anki client uploading the same collection again and again, sample by sample in
turn: the official server (which keeps no history), flashcard-flow with `backups = false`,
and flashcard-flow as shipped, which snapshots the collection each upload replaces (a
`VACUUM INTO` copy, checked, zstd-compressed, written atomically, then pruned to the last
10). The time a snapshot adds is the median with backups less the median without; the
sizes are of the live collection and of its newest snapshot. It reports and asserts
nothing about time.

    .venv/bin/python bench/snapshots.py [--quick] [--bin-dir target/release]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (ROOT, Profile, make_collection, start_flashcard_flow,  # noqa: E402
                 start_official, timed)

USER = "bench0"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small workload")
    parser.add_argument("--bin-dir", type=Path, default=ROOT / "target" / "release")
    parser.add_argument("--notes", type=int, help="default 20,000; 500 with --quick")
    args = parser.parse_args()
    notes = args.notes or (500 if args.quick else 20_000)
    samples = 3 if args.quick else 11
    if not (args.bin_dir / "flashcard-flow-server").exists():
        subprocess.run(["cargo", "build", "--release", "--bins"], cwd=ROOT, check=True)

    work = Path(tempfile.mkdtemp(prefix="ff-bench-snapshots-"))
    servers = []
    devices = []
    try:
        source = work / "collection.anki2"
        print(f"preparing a {notes}-note collection", flush=True)
        make_collection(source, notes)
        dirs = {name: work / name for name in ("official", "off", "on")}
        for d in dirs.values():
            d.mkdir()
        servers = [start_official(dirs["official"], [USER]),
                   start_flashcard_flow(dirs["off"], args.bin_dir, [USER],
                                        "flashcard-flow, backups off", "backups = false\n"),
                   start_flashcard_flow(dirs["on"], args.bin_dir, [USER],
                                        "flashcard-flow, backups on")]
        for server in servers:
            device = Profile(work, server.endpoint, source)
            device.login(USER)
            device.sync()
            device.full(upload=True)  # the first upload replaces nothing
            devices.append(device)
        times: dict[str, list[float]] = {s.name: [] for s in servers}
        print(f"measuring: {samples} uploads on each server, in turn", flush=True)
        for sample in range(samples):
            order = list(zip(servers, devices))
            if sample % 2:
                order.reverse()
            for server, device in order:
                times[server.name].append(timed(lambda d=device: d.full(upload=True)))

        user_dir = next((dirs["on"] / "ff" / "users").iterdir())
        snapshots = sorted((user_dir / "backups").glob("*.anki2.zst"))
        live = (user_dir / "collection.anki2").stat().st_size
        newest = snapshots[-1].stat().st_size
    finally:
        for device in devices:
            device.close()
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    medians = {name: statistics.median(values) for name, values in times.items()}
    names = [s.name for s in servers]
    print(f"\n{'figure':44} " + " ".join(f"{n:>28}" for n in names))
    print(f"{f'full upload replacing {notes} notes (s, median)':44} "
          + " ".join(f"{medians[n]:28.3f}" for n in names))
    added = medians[names[2]] - medians[names[1]]
    print(f"\nthe time a snapshot adds to the upload: {added * 1000:.0f} ms "
          f"({added / medians[names[1]] * 100:.0f}% of the upload without it)")
    print(f"collection on the server: {live / 1e6:.2f} MB; its snapshot: {newest / 1e6:.2f} MB "
          f"({newest / live * 100:.0f}%); snapshots kept: {len(snapshots)} "
          f"(the last 10 replaced ones by default)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
