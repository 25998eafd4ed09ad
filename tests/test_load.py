"""Resets under load: 20 users reset (twice each, in parallel adminctl processes) while 50
Anki logins run against the same SQLite database. No database-busy error may reach anyone,
and every user ends with exactly their last password."""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from concurrent.futures import ThreadPoolExecutor

from conftest import (NO_CHANGES, adminctl, add_user, current_database, expect_auth_error,
                      query)

RESET_USERS = [f"reset{i}" for i in range(20)]
LOGIN_USERS = [f"steady{i}" for i in range(5)]


def original(user): return f"{user}-original-pw"
def first(user): return f"{user}-first-new-pw"
def last(user): return f"{user}-last-new-pwd"


def test_twenty_resets_during_fifty_parallel_anki_logins(server, anki):
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda u: add_user(server.data_dir, u, original(u)), RESET_USERS + LOGIN_USERS))

    def reset_twice(user):
        outs = []
        for password in (first(user), last(user)):
            outs.append(adminctl(server.data_dir, "reset-password", user, "--password-stdin",
                                 input=password, timeout=120))
        return user, outs

    profiles = [anki(server.endpoint) for _ in range(50)]

    def login(i):
        user = LOGIN_USERS[i % len(LOGIN_USERS)]
        profiles[i].login(user, original(user))
        return profiles[i].sync()

    with ThreadPoolExecutor(70) as pool:
        resets = [pool.submit(reset_twice, u) for u in RESET_USERS]
        logins = [pool.submit(login, i) for i in range(50)]
        login_results = [f.result(timeout=300) for f in logins]
        reset_results = [f.result(timeout=300) for f in resets]

    assert login_results == [NO_CHANGES] * 50
    for user, outs in reset_results:
        for out in outs:
            assert out.returncode == 0, f"{user}: {out.stderr}"
            assert "busy" not in out.stderr.lower() and "locked" not in out.stderr.lower()
    log = server.log().lower()
    assert "database is locked" not in log and "busy" not in log

    # Every user ends with exactly their last password: in the database for all twenty
    # (both hashes), and through the real client for a few (forty wrong logins in a row
    # from one address would be slowed by the login limits, as they should be).
    for user in RESET_USERS:
        pbkdf2 = query(current_database(server.data_dir),
                       f"SELECT pbkdf2_hash FROM users WHERE username = '{user}'")[0][0]
        assert pbkdf2_matches(pbkdf2, last(user)), user
        for stale in (original(user), first(user)):
            assert not pbkdf2_matches(pbkdf2, stale), user
    for user in RESET_USERS[:3]:
        for stale in (original(user), first(user)):
            expect_auth_error(lambda: anki(server.endpoint).login(user, stale))
    for user in RESET_USERS:
        fresh = anki(server.endpoint)
        fresh.login(user, last(user))
        assert fresh.sync() == NO_CHANGES


def pbkdf2_matches(phc: str, password: str) -> bool:
    """Checks a `$pbkdf2-sha256$i=N,l=32$salt$hash` PHC string as the official server does."""
    _, algorithm, params, salt, digest = phc.split("$")
    assert algorithm == "pbkdf2-sha256", phc
    rounds = int(dict(p.split("=") for p in params.split(","))["i"])
    unpad = lambda s: base64.b64decode(s + "=" * (-len(s) % 4))
    typed = unicodedata.normalize("NFKC", password).encode()
    return hashlib.pbkdf2_hmac("sha256", typed, unpad(salt), rounds) == unpad(digest)
