"""The deck list on the web, against Anki's own: a real client builds nested decks with
their own limits, studies some cards, and uploads; `GET /api/decks` must then give exactly
the decks and the new / learning / review counts of `col.sched.deck_due_tree()` on the
client's collection. The server runs in a time zone far from the client's: the day is the
client's, read from the offsets it stores in its collection."""

from __future__ import annotations

import json
import urllib.request

from conftest import ServerProcess, add_user, free_port
from test_full_sync import upload


def flatten(node, out: list, prefix: str = "") -> list:
    for child in node.children:
        name = f"{prefix}::{child.name}" if prefix else child.name
        out.append({"id": child.deck_id, "name": name, "new": child.new_count,
                    "learn": child.learn_count, "review": child.review_count})
        flatten(child, out, name)
    return out


def api_decks(endpoint: str, login: str, password: str) -> list:
    request = urllib.request.Request(
        endpoint + "api/login", method="POST",
        data=json.dumps({"login": login, "password": password}).encode(),
        headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        cookie = "; ".join(v.split(";")[0] for k, v in r.headers.items()
                           if k.lower() == "set-cookie")
    request = urllib.request.Request(endpoint + "api/decks", headers={"cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as r:
        body = json.load(r)
    return [{k: d[k] for k in ("id", "name", "new", "learn", "review")} for d in body["decks"]]


def build(col) -> None:
    """Nested decks with their own limits, new and studied cards, siblings."""
    basic = col.models.by_name("Basic")
    reversed_ = col.models.by_name("Basic (and reversed card)")
    small = col.decks.add_config("small")
    small["new"]["perDay"] = 3
    small["rev"]["perDay"] = 50
    col.decks.update_config(small)
    for name, count, model in [("Languages", 4, basic), ("Languages::Verbs", 8, reversed_),
                               ("Languages::Nouns", 6, basic), ("Maths", 12, basic)]:
        did = col.decks.id(name)
        if name == "Languages::Verbs":
            deck = col.decks.get(did)
            deck["conf"] = small["id"]
            col.decks.save(deck)
        for i in range(count):
            note = col.new_note(model)
            note["Front"], note["Back"] = f"{name} {i}", f"answer {i}"
            col.add_note(note, did)
    from anki.scheduler.v3 import CardAnswer

    # Study a few cards of Maths: some into learning, one straight to review.
    col.decks.select(col.decks.id("Maths"))
    for ease in (CardAnswer.AGAIN, CardAnswer.GOOD, CardAnswer.EASY, CardAnswer.GOOD):
        queued = col.sched.get_queued_cards()
        card = col.get_card(queued.cards[0].card.id)
        card.start_timer()
        col.sched.answer_card(col.sched.build_answer(card=card, states=queued.cards[0].states,
                                                     rating=ease))


def test_the_deck_list_is_the_one_anki_shows(workdir, anki):
    # UTC+14 for the server, whatever the client's zone is.
    srv = ServerProcess(data_dir=workdir / "data", port=free_port(),
                        log_path=workdir / "server.log", env_extra={"TZ": "Pacific/Kiritimati"})
    srv.start()
    try:
        add_user(srv.data_dir, "alice", "alice-password-1")
        assert api_decks(srv.endpoint, "alice", "alice-password-1") == []
        device = anki(srv.endpoint)
        device.login("alice", "alice-password-1")
        build(device.col)
        upload(device)
        expected = flatten(device.col.sched.deck_due_tree(), [])
        assert api_decks(srv.endpoint, "alice", "alice-password-1") == expected
        assert any(d["learn"] for d in expected) and any(d["new"] for d in expected)
    finally:
        srv.stop()
