"""Host keys with the real Anki client: the per-user bound on keys, and which key a login
past it drops."""

from __future__ import annotations

import time

from anki.errors import SyncError

from conftest import NO_CHANGES, add_user, current_database, query
from test_full_sync import FULL_DOWNLOAD, FULL_UPLOAD, add_notes, upload

PASSWORD = "alice-password-1"
MAX_KEYS = 20  # max_host_keys_per_user, by default
BURST = 25


def key_count(server) -> int:
    ((count,),) = query(current_database(server.data_dir), "SELECT count(*) FROM sync_keys")
    return int(count)


def test_a_device_that_syncs_throughout_a_burst_of_logins_keeps_its_key(server, anki):
    add_user(server.data_dir, "alice", PASSWORD)
    device = anki(server.endpoint)
    device.login("alice", PASSWORD)
    logged_in = time.time()
    add_notes(device, 5, "device")
    assert device.sync() == FULL_UPLOAD
    upload(device)

    # The server keeps times in whole seconds: let the burst start in a later second than
    # the device's login, or the tie between their keys would decide the test instead of
    # the eviction rule.
    time.sleep(max(0.0, int(logged_in) + 1 - time.time()))

    # 25 more logins of the same user, one after another, all within the minute in which
    # the server records a key's use at most once; the device syncs after each of them.
    other = anki(server.endpoint)
    started = time.monotonic()
    for i in range(1, BURST + 1):
        other.login("alice", PASSWORD)
        try:
            assert device.sync() == NO_CHANGES
        except SyncError as err:
            raise AssertionError(f"the device lost its key to login {i} of the burst") from err
    assert time.monotonic() - started < 60, "the burst must fit in one minute to prove anything"

    # No new login: the key the device got first still works, and the bound holds.
    assert device.sync() == NO_CHANGES
    assert key_count(server) == MAX_KEYS
    # The newest login's key was kept too (it was handed out last); its profile is empty.
    assert other.sync() == FULL_DOWNLOAD
