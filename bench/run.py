#!/usr/bin/env python3
"""Side-by-side benchmark: the official Anki sync server (`python -m anki.syncserver`, from
the same `anki` package) and flashcard-flow, on this machine, with the same workload,
driven by the real Anki client. Prints each figure for both servers and their ratio.

    .venv/bin/python bench/run.py            # the full workload (20 000 notes, ...)
    .venv/bin/python bench/run.py --quick    # a small one, to check the harness works

Figures: Anki login; no-op sync; full upload and full download of an N-note collection;
normal sync pushing 1,000 changed notes from one device and pulling them into another;
media sync of 200 files (5 MB); 8 and 32 users syncing at once, with the server's CPU time
per session in that phase; peak RSS of each server after the run.

The concurrent users run in separate client processes (one per user, so the client side is
not serialised by Python), log in beforehand, wait at a barrier, and then each run one
session: a full upload, a full download into a second device, 20 edited notes pushed by a
normal sync and pulled by the other device, and a no-op sync.

Times are medians of repeated runs where cheap; throughput is operations per second. The
benchmark asserts nothing about time: it reports.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from anki.collection import Collection

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy")


def peak_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


@dataclass
class Server:
    name: str
    endpoint: str
    proc: subprocess.Popen

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_official(work: Path, users: list[str]) -> Server:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNC_")}
    env.update(SYNC_HOST="127.0.0.1", SYNC_PORT=str(port), SYNC_BASE=str(work / "official"),
               RUST_LOG="warn")
    for i, user in enumerate(users, 1):
        env[f"SYNC_USER{i}"] = f"{user}:{PASSWORD}"
    proc = subprocess.Popen([sys.executable, "-m", "anki.syncserver"], env=env,
                            stdout=subprocess.DEVNULL, stderr=open(work / "official.log", "wb"))
    server = Server("official", f"http://127.0.0.1:{port}/", proc)
    wait_healthy(server.endpoint, proc)
    return server


def start_flashcard_flow(work: Path, bin_dir: Path, users: list[str]) -> Server:
    data = work / "ff"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FLASHCARD_FLOW_") and k != "DATABASE_URL"}
    env["FLASHCARD_FLOW_LOG"] = "warn"

    def add(user: str) -> None:
        subprocess.run([str(bin_dir / "adminctl"), "--data-dir", str(data), "user", "add", user,
                        f"{user}@example.com", "--password-stdin"], input=PASSWORD, text=True,
                       check=True, capture_output=True, env=env)

    add(users[0])  # creates the database before the parallel adds
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(add, users[1:]))
    port = free_port()
    proc = subprocess.Popen([str(bin_dir / "flashcard-flow-server"), "--data-dir", str(data),
                             "--listen", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=open(work / "ff.log", "wb"))
    server = Server("flashcard-flow", f"http://127.0.0.1:{port}/", proc)
    wait_healthy(server.endpoint, proc)
    return server


class Profile:
    def __init__(self, root: Path, endpoint: str, source: Path | None = None):
        self.dir = Path(tempfile.mkdtemp(dir=root, prefix="p-"))
        path = self.dir / "collection.anki2"
        if source:
            shutil.copy(source, path)
        self.col = Collection(str(path))
        self.endpoint = endpoint
        self.auth = None

    def login(self, user: str) -> None:
        self.auth = self.col.sync_login(user, PASSWORD, self.endpoint)
        if not self.auth.endpoint:
            self.auth.endpoint = self.endpoint

    def sync(self) -> int:
        return self.col.sync_collection(self.auth, False).required

    def full(self, upload: bool) -> None:
        self.col.close_for_full_sync()
        try:
            self.col.full_upload_or_download(auth=self.auth, server_usn=None, upload=upload)
        finally:
            self.col.reopen(after_full_sync=True)

    def media(self) -> None:
        self.col.sync_media(self.auth)
        while self.col.media_sync_status().active:
            time.sleep(0.02)

    def close(self) -> None:
        self.col.close()


def make_collection(path: Path, notes: int) -> None:
    col = Collection(str(path))
    model = col.models.by_name("Basic")
    deck = col.decks.id("Bench")
    for i in range(notes):
        note = col.new_note(model)
        note["Front"] = f"question {i} " + "lorem ipsum " * 4
        note["Back"] = f"answer {i} " + "dolor sit amet " * 4
        note.tags = ["bench", f"group{i % 50}"]
        col.add_note(note, deck)
    col.close()


def edit_notes(col, nids, text: str) -> None:
    notes = []
    for nid in nids:
        note = col.get_note(nid)
        note["Back"] = f"{text} {nid}"
        notes.append(note)
    col.update_notes(notes)


def user_session(root: str, endpoint: str, small: str, user: str, barrier, results) -> None:
    """One user's session in its own process; reports (start, end) on the monotonic clock."""
    try:
        up = Profile(Path(root), endpoint, Path(small))
        down = Profile(Path(root), endpoint)
        up.login(user)
        down.login(user)
        barrier.wait()
        start = time.monotonic()
        up.sync()
        up.full(upload=True)
        down.sync()
        down.full(upload=False)
        edit_notes(up.col, up.col.find_notes("")[:20], "session")
        up.sync()
        down.sync()
        down.sync()
        end = time.monotonic()
        up.close()
        down.close()
        results.put((start, end))
    except Exception as err:  # reported, and the run fails
        results.put(f"{user}: {err!r}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(server: Server, work: Path, source: Path, media_files: dict[str, bytes],
            users: list[str], args) -> dict[str, float]:
    root = work / f"profiles-{server.name}"
    root.mkdir()
    out: dict[str, float] = {}

    probe = Profile(root, server.endpoint)
    out["login (ms, median)"] = 1000 * statistics.median(
        timed(lambda: probe.login(users[0])) for _ in range(args.repeat))

    a = Profile(root, server.endpoint, source)
    a.login(users[0])
    a.sync()
    out[f"full upload, {args.notes} notes (s, median)"] = statistics.median(
        timed(lambda: a.full(upload=True)) for _ in range(args.heavy_repeat))
    a.sync()
    out["no-op sync (ms, median)"] = 1000 * statistics.median(
        timed(a.sync) for _ in range(args.repeat * 2))

    downloads = []
    for _ in range(args.heavy_repeat):
        b = Profile(root, server.endpoint)
        b.login(users[0])
        b.sync()
        downloads.append(timed(lambda: b.full(upload=False)))
    out[f"full download, {args.notes} notes (s, median)"] = statistics.median(downloads)

    # Normal sync: a edits notes and pushes them; b (the last download) pulls them.
    pushes, pulls = [], []
    nids = a.col.find_notes("")[: args.changed]
    for round_ in range(args.heavy_repeat):
        edit_notes(a.col, nids, f"round {round_}")
        pushes.append(timed(a.sync))
        pulls.append(timed(b.sync))
    assert b.col.get_note(nids[0])["Back"] == a.col.get_note(nids[0])["Back"], "pull incomplete"
    out[f"normal sync push, {len(nids)} notes (s, median)"] = statistics.median(pushes)
    out[f"normal sync pull, {len(nids)} notes (s, median)"] = statistics.median(pulls)
    b.close()

    m = Profile(root, server.endpoint)
    m.login(users[1])
    media_ups = []

    def add_media_round(round_: int) -> None:
        for name, data in media_files.items():
            m.col.media.write_data(f"r{round_}-{name}", data)
        media_ups.append(timed(m.media))

    add_media_round(0)
    media_downs = []
    for _ in range(args.heavy_repeat):
        m2 = Profile(root, server.endpoint)
        m2.login(users[1])
        media_downs.append(timed(m2.media))
        m2.close()
    # More rounds of 200 new files each, so the upload figure is a median too.
    for round_ in range(1, args.heavy_repeat):
        add_media_round(round_)
    out[f"media sync up, {len(media_files)} files (s, median)"] = statistics.median(media_ups)
    out[f"media sync down, {len(media_files)} files (s, median)"] = statistics.median(media_downs)

    # Many users syncing at once, each driven by its own client process (see the top).
    small = work / "small.anki2"
    for clients in (8, 32):
        group = users[2:2 + clients]
        # The parent joins the barrier too, so the CPU count starts after the logins.
        barrier = multiprocessing.Barrier(clients + 1)
        results = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=user_session,
                                         args=(str(root), server.endpoint, str(small), user,
                                               barrier, results))
                 for user in group]
        for proc in procs:
            proc.start()
        barrier.wait(timeout=600)
        cpu_before = cpu_seconds(server.proc.pid)
        spans = [results.get(timeout=600) for _ in procs]
        for proc in procs:
            proc.join()
        failed = [span for span in spans if isinstance(span, str)]
        assert not failed, failed
        elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
        out[f"{clients} users syncing at once (sessions/s)"] = clients / elapsed
        # Where the time goes: with few cores the client processes compete with the server.
        out[f"{clients} users: server CPU per session (ms)"] = (
            1000 * (cpu_seconds(server.proc.pid) - cpu_before) / clients)

    out["peak RSS (MiB)"] = peak_rss_kib(server.proc.pid) / 1024
    for p in (probe, a, m):
        p.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small workload")
    parser.add_argument("--bin-dir", type=Path, default=ROOT / "target" / "release")
    args = parser.parse_args()
    args.notes = 500 if args.quick else 20_000
    args.changed = 100 if args.quick else 1_000
    args.repeat = 3 if args.quick else 10
    args.heavy_repeat = 1 if args.quick else 5
    if not (args.bin_dir / "flashcard-flow-server").exists():
        subprocess.run(["cargo", "build", "--release", "--bins"], cwd=ROOT, check=True)

    work = Path(tempfile.mkdtemp(prefix="ff-bench-"))
    users = [f"bench{i}" for i in range(2 + 32)]
    print(f"preparing: a {args.notes}-note collection, 200 media files (5 MB)", flush=True)
    source = work / "source.anki2"
    make_collection(source, args.notes)
    make_collection(work / "small.anki2", 200)
    media_files = {f"media-{i:03}.bin": os.urandom(25_000) for i in range(200)}

    results = {}
    try:
        for start in (lambda: start_official(work, users),
                      lambda: start_flashcard_flow(work, args.bin_dir, users)):
            server = start()
            try:
                print(f"measuring {server.name} ...", flush=True)
                results[server.name] = measure(server, work, source, media_files, users, args)
            finally:
                server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    official, ours = results["official"], results["flashcard-flow"]
    print(f"\n{'figure':42} {'official':>12} {'flashcard-flow':>15} {'ratio':>8}")
    for figure in official:
        ratio = ours[figure] / official[figure] if official[figure] else float("nan")
        print(f"{figure:42} {official[figure]:12.2f} {ours[figure]:15.2f} {ratio:8.2f}")
    print("\nratio: flashcard-flow / official (for times and RSS lower is better; for sessions/s higher)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
