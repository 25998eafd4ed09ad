"""Resets under load: 20 users reset (twice each, in parallel adminctl processes) while 50
Anki logins run against the same SQLite database. No database-busy error may reach anyone,
and every user ends with exactly their last password."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from conftest import NO_CHANGES, adminctl, add_user, expect_auth_error

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

    for user in RESET_USERS:
        for stale in (original(user), first(user)):
            expect_auth_error(lambda: anki(server.endpoint).login(user, stale))
        fresh = anki(server.endpoint)
        fresh.login(user, last(user))
        assert fresh.sync() == NO_CHANGES
