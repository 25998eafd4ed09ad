"""Studying in a real browser: headless Chromium against the real server, on a collection
the real Anki client made and uploaded (a hostile card with a script, a card with an
image from the media folder, a type-in card, plain cards). Afterwards the client syncs
normally and receives every answer the browser gave, less the one it undid. Screenshots
land in ci-artifacts/screenshots."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess

import pytest

from conftest import NO_CHANGES, ROOT, ServerProcess, add_user, free_port
from test_full_sync import FULL_UPLOAD, upload
from test_media_sync import sync_media
from test_web_e2e import ARTIFACTS, E2E, REQUIRED, have_browser

# A 2x2 PNG.
PIC = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==")
HOSTILE = ("<script>document.title = 'pwned ' + document.cookie; parent.document.title = 'pwned';"
           "fetch('/account/revoke', {method: 'POST', credentials: 'include'});</script>Hostile card")


def build_collection(col) -> int:
    deck = col.decks.id("Web::Study")
    basic = col.models.by_name("Basic")
    typed = col.models.by_name("Basic (type in the answer)")
    col.media.write_data("pic.png", PIC)
    for front, back, model in [(HOSTILE, "gone", basic),
                               ('Picture card <img src="pic.png">', "a picture", basic),
                               ("Capital of Germany?", "Berlin", typed),
                               ("Plain one", "1", basic), ("Plain two", "2", basic)]:
        note = col.new_note(model)
        note["Front"], note["Back"] = front, back
        col.add_note(note, deck)
    return deck


@pytest.mark.skipif(not have_browser() and not REQUIRED, reason="chromium / node_modules missing")
def test_a_deck_is_studied_in_a_browser_and_anki_receives_every_answer(workdir, anki):
    assert have_browser(), "CI installs chromium and tests/e2e/node_modules"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = ServerProcess(data_dir=workdir / "data", port=port, log_path=workdir / "server.log",
                           extra_args=["--public-url", base])
    try:
        server.start()
        add_user(server.data_dir, "alice", "alice-password-1")
        a = anki(server.endpoint)
        a.login("alice", "alice-password-1")
        deck = build_collection(a.col)
        assert a.sync() == FULL_UPLOAD
        upload(a)
        sync_media(a)
        assert a.sync() == NO_CHANGES

        out = ARTIFACTS
        out.mkdir(parents=True, exist_ok=True)
        run = subprocess.run(
            ["node", str(E2E / "study_flow.mjs")], cwd=E2E, capture_output=True, text=True,
            timeout=300,
            env={**os.environ, "BASE_URL": base, "LOGIN": "alice", "PASSWORD": "alice-password-1",
                 "DECK_ID": str(deck), "OUT_DIR": str(out)})
        print(run.stderr)
        result = json.loads(run.stdout.strip().splitlines()[-1]) if run.stdout.strip() else {}
        assert run.returncode == 0 and result.get("ok"), result.get("error") or run.stderr
        print("screenshots:", *result["shots"], sep="\n  ")

        # The client pulls every answer at its next normal sync.
        assert a.sync() == NO_CHANGES
        reviews = a.col.db.scalar("select count() from revlog")
        assert reviews == result["answers"] - result["undone"], (reviews, result)
        assert a.col.sched.deck_due_tree(deck).new_count == 0
        assert not a.col.find_cards(f"did:{deck} is:new"), "every card was studied"
        assert "pwned" not in server.log()
    finally:
        server.stop()
