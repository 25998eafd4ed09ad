#!/usr/bin/env python3
"""Enumeration by timing (SECURITY.md T2): how long `POST /password-reset/request` takes
for an email that has an account and for one that does not, over a few hundred requests of
each kind sent in random interleaved order to the real server (rate limits raised for the
measurement, a real SMTP capture receiving the mails). Prints the medians, the p90s and the
probability that a random "known" request is slower than a random "unknown" one (0.5 means
the two cannot be told apart). It reports; it asserts nothing about time.

    .venv/bin/python bench/reset_timing.py [--requests 300] [--bin-dir target/debug]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import free_port, wait_healthy  # noqa: E402


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.count += 1
        return "250 OK"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--bin-dir", type=Path, default=Path(__file__).resolve().parent.parent / "target" / "debug")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ff-timing-"))
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    config = work / "config.toml"
    config.write_text("reset_requests_per_ip = 1000000\nreset_requests_per_email = 1000000\n")
    server = subprocess.Popen(
        [str(args.bin_dir / "flashcard-flow-server"), "--data-dir", str(work / "data"),
         "--listen", f"127.0.0.1:{port}", "--config", str(config), "--log", "warn",
         "--public-url", f"http://127.0.0.1:{port}", "--smtp-host", "127.0.0.1",
         "--smtp-port", str(smtp.port), "--smtp-security", "none"],
        stderr=subprocess.DEVNULL)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/", server)
        add = subprocess.run([str(args.bin_dir / "adminctl"), "--data-dir", str(work / "data"), "user", "add",
                              "known", "known@example.com", "--password-stdin"],
                             input="known-password-123", capture_output=True, text=True)
        assert add.returncode == 0, add.stderr
        conn = http.client.HTTPConnection("127.0.0.1", port)
        kinds = ["known"] * args.requests + ["unknown"] * args.requests
        random.shuffle(kinds)
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        bodies = set()
        for i, kind in enumerate(kinds):
            email = "known@example.com" if kind == "known" else f"nobody{i}@example.com"
            body = json.dumps({"email": email})
            start = time.perf_counter()
            conn.request("POST", "/password-reset/request", body=body,
                         headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            payload = response.read()
            times[kind].append((time.perf_counter() - start) * 1000)
            bodies.add((response.status, payload))
        known, unknown = sorted(times["known"]), sorted(times["unknown"])
        # P(known > unknown), ties counted half: the Mann-Whitney statistic over n*m pairs.
        greater = sum(1 for k in known for u in unknown if k > u)
        ties = sum(1 for k in known for u in unknown if k == u)
        auc = (greater + ties / 2) / (len(known) * len(unknown))
        p90 = lambda xs: xs[int(0.9 * (len(xs) - 1))]  # noqa: E731
        print(f"reset request timing over {args.requests} requests of each kind (ms):")
        print(f"  known email:   median {statistics.median(known):.3f}  p90 {p90(known):.3f}")
        print(f"  unknown email: median {statistics.median(unknown):.3f}  p90 {p90(unknown):.3f}")
        print(f"  P(known slower than unknown) = {auc:.3f}  (0.5: not separable)")
        print(f"  distinct (status, body) pairs: {len(bodies)}; mails captured so far: {sink.count}")
        return 0
    finally:
        server.terminate()
        server.wait(timeout=30)
        smtp.stop()


if __name__ == "__main__":
    sys.exit(main())
