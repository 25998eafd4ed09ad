"""Full upload and download with the real Anki client: one profile uploads, another
downloads the same collection, and a refused upload leaves the server's copy alone."""

from __future__ import annotations

import os

import pytest
from anki.errors import SyncError

from conftest import NO_CHANGES, ServerProcess, adminctl, add_user, expect_auth_error, free_port

FULL_UPLOAD, FULL_DOWNLOAD = 4, 3


def add_notes(profile, count: int, prefix: str) -> None:
    col = profile.col
    model = col.models.by_name("Basic")
    deck_id = col.decks.id("Harness::Full")
    for i in range(count):
        note = col.new_note(model)
        note["Front"] = f"{prefix} front {i}"
        note["Back"] = f"{prefix} back {i} ünïcödé"
        note.tags = ["harness", prefix]
        col.add_note(note, deck_id)


def fields(profile) -> list[tuple]:
    return profile.col.db.all("select id, flds, tags from notes order by id")


def full_sync(profile, upload: bool) -> None:
    """A one-way sync the way Anki Desktop does it: close, transfer, reopen."""
    profile.col.close_for_full_sync()
    try:
        profile.col.full_upload_or_download(auth=profile.auth, server_usn=None, upload=upload)
    finally:
        profile.col.reopen(after_full_sync=True)


def upload(profile) -> None:
    full_sync(profile, upload=True)


def download(profile) -> None:
    full_sync(profile, upload=False)


def test_a_collection_uploaded_by_one_client_downloads_whole_into_another(server, anki):
    add_user(server.data_dir, "alice", "alice-password-1")
    a = anki(server.endpoint)
    a.login("alice", "alice-password-1")
    add_notes(a, 300, "a")
    assert a.sync() == FULL_UPLOAD
    upload(a)
    assert a.sync() == NO_CHANGES

    b = anki(server.endpoint)
    b.login("alice@example.com", "alice-password-1")
    assert b.sync() == FULL_DOWNLOAD
    download(b)
    assert b.sync() == NO_CHANGES
    assert fields(b) == fields(a)
    assert b.col.card_count() == 300
    assert "Harness::Full" in [d.name for d in b.col.decks.all_names_and_ids()]
    # The server's copy survives a restart. (A would now need a normal sync: the download
    # bumped the server's mod, as the official server does.)
    server.stop()
    server.start()
    assert b.sync() == NO_CHANGES


def test_a_password_reset_stops_old_keys_from_full_syncing(server, anki):
    add_user(server.data_dir, "alice", "alice-password-1")
    a = anki(server.endpoint)
    a.login("alice", "alice-password-1")
    add_notes(a, 5, "a")
    upload(a)
    out = adminctl(server.data_dir, "reset-password", "alice", "--password-stdin",
                   input="alice-password-2")
    assert out.returncode == 0, out.stderr
    add_notes(a, 1, "more")
    expect_auth_error(lambda: upload(a))
    fresh = anki(server.endpoint)
    fresh.login("alice", "alice-password-2")
    assert fresh.sync() == FULL_DOWNLOAD
    download(fresh)
    assert fresh.col.card_count() == 5


def test_a_collection_of_several_mebibytes_streams_down_whole(server, anki):
    """Replies over 1 MiB are compressed while they are sent; the client must still get
    one zstd frame holding exactly the server's file."""
    add_user(server.data_dir, "alice", "alice-password-1")
    a = anki(server.endpoint)
    a.login("alice", "alice-password-1")
    add_notes(a, 2000, "bulk")
    note = a.col.get_note(a.col.find_notes("")[0])
    note["Back"] = os.urandom(1_500_000).hex()  # 3 MB of text that compresses only in half
    a.col.update_note(note)
    upload(a)

    b = anki(server.endpoint)
    b.login("alice", "alice-password-1")
    download(b)
    assert fields(b) == fields(a)
    assert b.col.db.scalar("pragma integrity_check") == "ok"
    assert b.sync() == NO_CHANGES


@pytest.mark.sqlite_only  # about collection files, not the account database
def test_an_upload_over_the_cap_is_refused_with_the_clients_message(workdir, anki):
    config = workdir / "ff.toml"
    config.write_text("max_collection_mb = 1\n")
    srv = ServerProcess(data_dir=workdir / "data", port=free_port(), log_path=workdir / "s.log",
                        extra_args=["--config", str(config)])
    srv.start()
    try:
        add_user(srv.data_dir, "alice", "alice-password-1")
        a = anki(srv.endpoint)
        a.login("alice", "alice-password-1")
        add_notes(a, 3, "small")
        upload(a)
        stored = next((srv.data_dir / "users").iterdir()) / "collection.anki2"
        before = stored.read_bytes()

        big = anki(srv.endpoint)
        big.login("alice", "alice-password-1")
        add_notes(big, 1, "big")
        note = big.col.get_note(big.col.find_notes("")[0])
        note["Back"] = os.urandom(1_500_000).hex()  # incompressible, over 1 MiB
        big.col.update_note(note)
        with pytest.raises(Exception) as refused:
            upload(big)
        assert "exceeds size limit" in str(refused.value)
        assert stored.read_bytes() == before
        assert a.sync() == NO_CHANGES
    finally:
        srv.stop()
