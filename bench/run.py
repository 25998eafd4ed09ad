#!/usr/bin/env python3
"""Side-by-side benchmark: the official Anki sync server (`python -m anki.syncserver`, from
the same `anki` package) and flashcard-flow, on this machine, with the same workload,
driven by the real Anki client. Prints each figure for both servers and their ratio.

    .venv/bin/python bench/run.py            # the full workload (20 000 notes, ...)
    .venv/bin/python bench/run.py --quick    # a small one, to check the harness works

Figures: Anki login; no-op sync; full upload and full download of a 20,000-note and of a
5,000-note collection (500 and 200 notes with --quick): the big one is throughput, the
small one shows a fixed cost per transfer, such as a reply stream that stalls (Nagle's
algorithm against a delayed ACK: about 40 ms, on a transfer of a few tens of ms);
normal sync pushing 1,000 changed notes from one device and pulling them into another;
media sync of 200 files (5 MB); 8 and 32 users syncing at once, with the server's CPU time
per session in that phase; peak RSS of each server after the run.

The concurrent users run in separate client processes (one per user, so the client side is
not serialised by Python), log in beforehand, wait at a barrier, and then each run one
session: a full upload, a full download into a second device, 20 edited notes pushed by a
normal sync and pulled by the other device, and a no-op sync.

Both servers run for the whole benchmark, and every figure alternates between them sample by
sample (which one goes first alternates too), so a slow spell of the machine lands on both
alike. Times are medians; throughput is sessions per second. The benchmark asserts nothing
about time: it reports.
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
# The fixed users, by role; the concurrent phases take the users after them.
MAIN_USER, MEDIA_USER, LOGIN_USER, SMALLER_FULL_USER = range(4)
FIXED_USERS = 4
MEDIA_NAMES = [f"media-{i:03}.bin" for i in range(200)]
MEDIA_BYTES = 25_000
SESSION_NOTES = 200  # the collection of each concurrent session


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


def start_flashcard_flow(work: Path, bin_dir: Path, users: list[str],
                         name: str = "flashcard-flow", config: str = "") -> Server:
    """The server on `work/ff`, with `config` (TOML) as its configuration file if given."""
    data = work / "ff"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FLASHCARD_FLOW_") and k != "DATABASE_URL"}
    env["FLASHCARD_FLOW_LOG"] = "warn"
    if config:
        (work / "ff.toml").write_text(config)
        env["FLASHCARD_FLOW_CONFIG"] = str(work / "ff.toml")

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
    server = Server(name, f"http://127.0.0.1:{port}/", proc)
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
            time.sleep(0.002)  # fine-grained: the poll interval bounds the resolution

    def close(self) -> None:
        self.col.close()


def collection_path(work: Path, notes: int) -> Path:
    return work / f"collection-{notes}.anki2"


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


def machine_busy_and_total() -> tuple[int, int]:
    """Busy and total jiffies of all cores so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class Subject:
    """One server under test, with the client profiles its figures build on. Each method
    takes one sample; `main` alternates the two servers sample by sample, so drift in the
    machine's speed (other tenants, thermal, caches) lands on both alike."""

    def __init__(self, server: Server, work: Path, sources: dict[int, Path],
                 media_files: dict[str, bytes], users: list[str], args):
        self.server = server
        self.root = work / f"profiles-{server.name}"
        self.root.mkdir()
        self.media_files = media_files
        self.users = users
        self.args = args
        self.probe = Profile(self.root, server.endpoint)
        # Per collection size: the user that holds it, the device that uploads it, and the
        # last device that downloaded it. The largest is the main collection, whose last
        # download (`b`) pulls the normal syncs of `a`.
        self.full_users = {args.notes: users[MAIN_USER],
                           args.smaller_notes: users[SMALLER_FULL_USER]}
        self.uploaders = {}
        for notes, user in self.full_users.items():
            device = Profile(self.root, server.endpoint, sources[notes])
            device.login(user)
            device.sync()
            self.uploaders[notes] = device
        self.downloaded: dict[int, Profile] = {}
        self.a = self.uploaders[args.notes]
        self.nids = []
        self.m = Profile(self.root, server.endpoint)
        self.m.login(users[MEDIA_USER])
        self.media_rounds = 0

    def endpoint(self) -> str:
        return self.server.endpoint

    def login(self) -> float:
        # A user of its own: every login mints a host key, and flashcard-flow keeps a bounded
        # number per user, keys that never synced out first (the official server keeps one).
        return timed(lambda: self.probe.login(self.users[LOGIN_USER]))

    @property
    def b(self) -> Profile | None:
        return self.downloaded.get(self.args.notes)

    def full_upload(self, notes: int) -> float:
        device = self.uploaders[notes]
        return timed(lambda: device.full(upload=True))

    def noop_syncs(self, count: int) -> list[float]:
        self.a.sync()  # settles anything the previous figure left
        return [timed(self.a.sync) for _ in range(count)]

    def full_download(self, notes: int) -> float:
        device = Profile(self.root, self.endpoint())
        device.login(self.full_users[notes])
        device.sync()
        took = timed(lambda: device.full(upload=False))
        previous = self.downloaded.get(notes)
        if previous:
            previous.close()
        self.downloaded[notes] = device
        return took

    def push_and_pull(self, round_: int) -> tuple[float, float]:
        if not self.nids:
            self.nids = self.a.col.find_notes("")[: self.args.changed]
        edit_notes(self.a.col, self.nids, f"round {round_}")
        push = timed(self.a.sync)
        pull = timed(self.b.sync)
        first = self.nids[0]
        assert self.b.col.get_note(first)["Back"] == self.a.col.get_note(first)["Back"], \
            "pull incomplete"
        return push, pull

    def media_up(self) -> float:
        """200 new files in the uploading profile, then one media sync."""
        self.media_rounds += 1
        for name, data in self.media_files.items():
            self.m.col.media.write_data(f"r{self.media_rounds}-{name}", data)
        # The client's 5 MB of new files are preparation, not the sync: their write-back
        # must not land inside the timed span (an fsync there would wait for it).
        os.sync()
        return timed(self.m.media)

    def media_down(self) -> float:
        """A fresh profile fetching the first round's 200 files."""
        fresh = Profile(self.root, self.endpoint())
        fresh.login(self.users[MEDIA_USER])
        took = timed(fresh.media)
        fresh.close()
        return took

    def concurrent(self, clients: int, first_user: int,
                   small: Path) -> tuple[float, float, float]:
        """`clients` users, one client process each, syncing at once: sessions per second,
        the server's CPU time per session, and how busy all cores were meanwhile (%)."""
        group = self.users[first_user:first_user + clients]
        # The parent joins the barrier too, so the CPU count starts after the logins.
        barrier = multiprocessing.Barrier(clients + 1)
        results = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=user_session,
                                         args=(str(self.root), self.endpoint(), str(small), user,
                                               barrier, results))
                 for user in group]
        for proc in procs:
            proc.start()
        barrier.wait(timeout=600)
        cpu_before = cpu_seconds(self.server.proc.pid)
        busy_before, total_before = machine_busy_and_total()
        spans = [results.get(timeout=600) for _ in procs]
        busy_after, total_after = machine_busy_and_total()
        for proc in procs:
            proc.join()
        failed = [span for span in spans if isinstance(span, str)]
        assert not failed, failed
        elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
        cpu = cpu_seconds(self.server.proc.pid) - cpu_before
        busy = 100 * (busy_after - busy_before) / max(1, total_after - total_before)
        return clients / elapsed, 1000 * cpu / clients, busy

    def peak_rss_mib(self) -> float:
        return peak_rss_kib(self.server.proc.pid) / 1024

    def close(self) -> None:
        for p in (self.probe, self.m, *self.uploaders.values(), *self.downloaded.values()):
            p.close()


def alternate(subjects: list[Subject], rounds: int, sample) -> dict[str, list]:
    """`rounds` samples from each subject, alternating which goes first. Each sample starts
    with the page cache flushed, so the write-back of an earlier sample (a 20,000-note
    upload leaves megabytes of dirty pages) does not slow the next one down."""
    out: dict[str, list] = {s.server.name: [] for s in subjects}
    for round_ in range(rounds):
        order = subjects if round_ % 2 == 0 else subjects[::-1]
        for subject in order:
            os.sync()
            out[subject.server.name].append(sample(subject, round_))
    return out


def measure(subjects: list[Subject], work: Path, args) -> dict[str, dict[str, float]]:
    figures: dict[str, dict[str, float]] = {s.server.name: {} for s in subjects}

    def record(figure: str, values: dict[str, list], scale: float = 1.0) -> None:
        for name, samples in values.items():
            figures[name][figure] = scale * statistics.median(samples)
            if args.samples:
                shown = ", ".join(f"{scale * v:.3g}" for v in samples[:40])
                print(f"    {name}: {figure}: {shown}", flush=True)

    print("  login", flush=True)
    record("login (ms, median)", alternate(subjects, args.repeat, lambda s, _: s.login()), 1000)
    sizes = (args.notes, args.smaller_notes)
    for notes in sizes:
        print(f"  full upload, {notes} notes", flush=True)
        record(f"full upload, {notes} notes (s, median)",
               alternate(subjects, args.heavy_repeat, lambda s, _, n=notes: s.full_upload(n)))
    print("  no-op sync", flush=True)
    noops = alternate(subjects, args.noop_blocks, lambda s, _: s.noop_syncs(args.noop_block))
    record("no-op sync (ms, median)", {k: sum(v, []) for k, v in noops.items()}, 1000)
    for notes in sizes:
        print(f"  full download, {notes} notes", flush=True)
        record(f"full download, {notes} notes (s, median)",
               alternate(subjects, args.heavy_repeat, lambda s, _, n=notes: s.full_download(n)))
    print("  normal sync", flush=True)
    rounds = alternate(subjects, args.heavy_repeat, lambda s, r: s.push_and_pull(r))
    record(f"normal sync push, {args.changed} notes (s, median)",
           {k: [push for push, _ in v] for k, v in rounds.items()})
    record(f"normal sync pull, {args.changed} notes (s, median)",
           {k: [pull for _, pull in v] for k, v in rounds.items()})
    print("  media", flush=True)
    ups = alternate(subjects, 1, lambda s, _: s.media_up())  # round 1: what media_down fetches
    downs = alternate(subjects, args.heavy_repeat, lambda s, _: s.media_down())
    more = alternate(subjects, args.heavy_repeat - 1, lambda s, _: s.media_up())
    record(f"media sync up, {len(MEDIA_NAMES)} files (s, median)",
           {k: v + more[k] for k, v in ups.items()})
    record(f"media sync down, {len(MEDIA_NAMES)} files (s, median)", downs)

    # Many users syncing at once, each driven by its own client process (see the top). Every
    # repeat uses users that have not synced yet, so each session does the same work.
    small = collection_path(work, SESSION_NOTES)
    next_user = FIXED_USERS
    for clients in (8, 32):
        print(f"  {clients} users at once", flush=True)
        firsts = list(range(next_user, next_user + clients * args.crowd_repeat, clients))
        next_user += clients * args.crowd_repeat
        runs = alternate(subjects, args.crowd_repeat,
                         lambda s, r, firsts=firsts, clients=clients:
                         s.concurrent(clients, firsts[r], small))
        record(f"{clients} users syncing at once (sessions/s)",
               {k: [rate for rate, _, _ in v] for k, v in runs.items()})
        # Where the time goes: with few cores the client processes compete with the server,
        # and a machine near 100% busy is the ceiling, whatever the server does.
        record(f"{clients} users: server CPU per session (ms)",
               {k: [cpu for _, cpu, _ in v] for k, v in runs.items()})
        record(f"{clients} users: machine CPU busy (%)",
               {k: [busy for _, _, busy in v] for k, v in runs.items()})

    for s in subjects:
        figures[s.server.name]["peak RSS (MiB)"] = s.peak_rss_mib()
    return figures


def places(value: float) -> int:
    """Decimals that keep three significant digits for small figures."""
    return 3 if abs(value) < 1 else 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small workload")
    parser.add_argument("--bin-dir", type=Path, default=ROOT / "target" / "release")
    parser.add_argument("--samples", action="store_true", help="print every sample too")
    parser.add_argument("--notes", type=int, help="notes of the large collection "
                        "(default 20,000; 500 with --quick)")
    parser.add_argument("--smaller-notes", type=int, help="notes of the smaller one "
                        "(default 5,000; %d with --quick)" % SESSION_NOTES)
    args = parser.parse_args()
    args.notes = args.notes or (500 if args.quick else 20_000)
    args.smaller_notes = args.smaller_notes or (SESSION_NOTES if args.quick else 5_000)
    args.changed = 100 if args.quick else 1_000
    args.repeat = 3 if args.quick else 15
    args.heavy_repeat = 1 if args.quick else 11
    args.noop_block = 10 if args.quick else 25
    args.noop_blocks = 2 if args.quick else 12
    args.crowd_repeat = 1 if args.quick else 2
    if not (args.bin_dir / "flashcard-flow-server").exists():
        subprocess.run(["cargo", "build", "--release", "--bins"], cwd=ROOT, check=True)

    work = Path(tempfile.mkdtemp(prefix="ff-bench-"))
    users = [f"bench{i}" for i in range(FIXED_USERS + (8 + 32) * args.crowd_repeat)]
    print(f"preparing: {args.notes}- and {args.smaller_notes}-note collections, "
          f"{len(MEDIA_NAMES)} media files "
          f"({len(MEDIA_NAMES) * MEDIA_BYTES // 1_000_000} MB)", flush=True)
    sources = {notes: collection_path(work, notes)
               for notes in {args.notes, args.smaller_notes, SESSION_NOTES}}
    for notes, path in sources.items():
        make_collection(path, notes)
    media_files = {name: os.urandom(MEDIA_BYTES) for name in MEDIA_NAMES}

    servers: list[Server] = []
    subjects: list[Subject] = []
    try:
        # Both run for the whole benchmark; an idle server costs the other nothing.
        servers.append(start_official(work, users))
        servers.append(start_flashcard_flow(work, args.bin_dir, users))
        subjects = [Subject(s, work, sources, media_files, users, args) for s in servers]
        print("measuring both servers, alternating sample by sample ...", flush=True)
        results = measure(subjects, work, args)
    finally:
        for subject in subjects:
            subject.close()
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    official, ours = results["official"], results["flashcard-flow"]
    print(f"\n{'figure':42} {'official':>12} {'flashcard-flow':>15} {'ratio':>8}")
    for figure in official:
        ratio = ours[figure] / official[figure] if official[figure] else float("nan")
        print(f"{figure:42} {official[figure]:12.{places(official[figure])}f} "
              f"{ours[figure]:15.{places(ours[figure])}f} {ratio:8.2f}")
    print("\nratio: flashcard-flow / official (for times and RSS lower is better; for sessions/s higher)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
