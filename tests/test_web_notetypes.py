"""Studying every kind of note on the web, against Anki (the study issue's oracle test
with a real client): a device builds nested decks with presets of their own and notes of
each stock notetype (Basic, Basic and reversed, optional reversed, type in the answer,
Cloze with several clozes, a hint and a nested cloze) and one of its own with
conditionals and media; it studies some of them (learning, review and relearning cards),
uploads the collection and syncs its media. Then, through the server's JSON API:

- the deck list is `deck_due_tree()`;
- every card `next` offers, in order, is the top of Anki's queue on a copy of the same
  collection (opened afresh for each look, as the web builds its queue afresh), with the
  same button labels;
- each side shows the text, images and sounds of `render_output()` (the exact HTML is
  the render oracle's, server/src/collection/render/tests.rs);
- every image and sound a card shows is served from the user's media folder;
- the answers written are those `answer_card()` writes on the copy.
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
import urllib.request

from anki.collection import Collection
from anki.scheduler.v3 import CardAnswer

from conftest import NO_CHANGES, add_user
from test_full_sync import FULL_UPLOAD, upload
from test_media_sync import sync_media
from test_normal_sync import server_rows
from test_web_decks import flatten
from test_web_study import CARD_COLUMNS, PASSWORD, REVLOG_COLUMNS, Web

TOP = "Kinds"
MEDIA = {"map of europe.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
         "greeting.mp3": b"ID3" + bytes(range(200)) * 8}


def notetype_with_conditionals(col):
    """A notetype of its own: a conditional section, an inverted one, media in the
    template and in fields."""
    m = col.models.new("Picture and sound")
    for name in ("Word", "Picture", "Extra"):
        col.models.add_field(m, col.models.new_field(name))
    t = col.models.new_template("Recognise")
    t["qfmt"] = "{{Word}}{{#Picture}}<div class=pic>{{Picture}}</div>{{/Picture}}"
    t["afmt"] = ("{{FrontSide}}<hr id=answer>{{#Extra}}Extra: {{Extra}}{{/Extra}}"
                 "{{^Extra}}no extra{{/Extra}} [sound:greeting.mp3]")
    col.models.add_template(m, t)
    m["css"] += ".pic { border: 1px solid; }"
    col.models.add(m)
    return col.models.by_name("Picture and sound")


def build(col) -> None:
    # Steps of ten minutes and more: nothing the test answers falls due while it runs, so
    # the web and the oracle, a moment apart, always look at the same due cards.
    default = col.decks.get_config(1)
    default["new"]["delays"] = [10.0, 30.0]
    col.decks.update_config(default)
    small = col.decks.add_config("small steps")
    small["new"]["delays"] = [12.0, 40.0]
    small["new"]["perDay"] = 30
    col.decks.update_config(small)
    decks = {name: col.decks.id(f"{TOP}::{name}") for name in
             ("Stock", "Stock::Typing", "Cloze", "Own")}
    sub = col.decks.get(decks["Stock::Typing"])
    sub["conf"] = small["id"]
    col.decks.save(sub)
    for name, data in MEDIA.items():
        col.media.write_data(name, data)

    def add(model_name, deck, fields, model=None):
        note = col.new_note(model or col.models.by_name(model_name))
        for key, value in fields.items():
            note[key] = value
        col.add_note(note, decks[deck])
        return note

    for i in range(3):
        add("Basic", "Stock", {"Front": f"capital {i}", "Back": f"<b>city</b> {i}"})
        add("Basic (and reversed card)", "Stock", {"Front": f"hund {i}", "Back": f"dog {i}"})
    add("Basic (optional reversed card)", "Stock",
        {"Front": "one way", "Back": "only forward"})
    add("Basic (optional reversed card)", "Stock",
        {"Front": "both ways", "Back": "and back", "Add Reverse": "y"})
    add("Basic (type in the answer)", "Stock::Typing", {"Front": "spell it", "Back": "Straße"})
    add("Basic (type in the answer)", "Stock::Typing", {"Front": "two words", "Back": "na ja"})
    add("Cloze", "Cloze", {"Text": "{{c1::Paris}} is the capital of {{c2::France::country}}",
                           "Back Extra": "geography"})
    add("Cloze", "Cloze", {"Text": "{{c1::outer {{c2::inner}} part}} and {{c3::third}}"})
    own = notetype_with_conditionals(col)
    add(None, "Own", {"Word": "hello", "Picture": '<img src="map of europe.png">',
                      "Extra": "wave"}, own)
    add(None, "Own", {"Word": "bare", "Picture": "", "Extra": ""}, own)

    # Some studied on the device: into learning, to review, and a lapse into relearning.
    for deck, ratings in (("Stock", (CardAnswer.GOOD, CardAnswer.EASY, CardAnswer.AGAIN)),
                          ("Cloze", (CardAnswer.EASY, CardAnswer.GOOD))):
        col.decks.select(decks[deck])
        for rating in ratings:
            queued = col.sched.get_queued_cards()
            answer_offline_card(col, queued.cards[0], rating)
    today = col.sched.today
    reviewed = col.db.list("select id from cards where type = 2 order by id")
    col.db.execute("update cards set due = ? where id = ?", today, reviewed[0])
    col.db.execute("update cards set type = 3, queue = 1, due = ?, ivl = 3, lapses = 1,"
                   " left = 1 where id = ?", 0, reviewed[-1])


def answer_offline_card(col, queued_card, rating) -> None:
    card = col.get_card(queued_card.card.id)
    card.start_timer()
    col.sched.answer_card(col.sched.build_answer(card=card, states=queued_card.states,
                                                 rating=rating))


def shown(side: str, media_prefix: str = "") -> tuple[str, list, list]:
    """What a person sees of one side: its text (tags, Anki's play markers and the
    type-answer box or placeholder left out: Anki's reviewer fills the placeholder with
    the comparison that `/api/study/reveal` gives, checked by the render oracle), white
    space collapsed), its images and its sounds, by file name."""
    images = [urllib.parse.unquote(src.removeprefix(media_prefix))
              for src in re.findall(r'<img[^>]*\ssrc="([^"]+)"', side)]
    sounds = [urllib.parse.unquote(src.removeprefix(media_prefix))
              for src in re.findall(r'<audio controls src="([^"]+)"', side)]
    text = re.sub(r"<style>.*?</style>|<code id=typeans>.*?</code>", "", side, flags=re.S)
    text = re.sub(r"\[\[type:[^\]]*\]\]|\[anki:play:[qa]:\d+\]", "", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(html.unescape(text).split()), images, sounds


def anki_shown(card, side: str) -> tuple[str, list, list]:
    out = card.render_output()
    text = out.question_text if side == "question" else out.answer_text
    tags = out.question_av_tags if side == "question" else out.answer_av_tags
    visible, images, _ = shown(text)
    return visible, [html.unescape(i) for i in images], [t.filename for t in tags]


def test_every_kind_of_note_is_studied_on_the_web_as_anki_studies_it(server, anki, workdir):
    add_user(server.data_dir, "alice", PASSWORD)
    device = anki(server.endpoint)
    device.login("alice", PASSWORD)
    build(device.col)
    assert device.sync() == FULL_UPLOAD
    upload(device)
    sync_media(device)
    assert device.sync() == NO_CHANGES

    web = Web(server.endpoint)
    assert web.decks() == flatten(device.col.sched.deck_due_tree(), [])
    top = device.col.decks.id(TOP)
    device.col.close()
    copy = workdir / "notetypes-oracle.anki2"
    copy.write_bytes((device.dir / "collection.anki2").read_bytes())
    device.col = Collection(str(device.dir / "collection.anki2"))

    ratings = [3, 1, 4, 2, 3, 3, 4, 1, 3, 2, 3, 4]
    answered, seen_media, kinds = [], set(), set()
    while True:
        view = web.next(top)
        oracle = Collection(str(copy))
        try:
            oracle.decks.select(top)
            queued = oracle.sched.get_queued_cards()
            if view["card"] is None:
                assert not queued.cards
                assert view["counts"] == {"new": 0, "learn": 0, "review": 0}
                break
            top_card = queued.cards[0]
            card = oracle.get_card(top_card.card.id)
            assert view["card"]["id"] == card.id
            assert (view["counts"]["new"], view["counts"]["learn"], view["counts"]["review"]) \
                == (queued.new_count, queued.learning_count, queued.review_count)
            labels = [s.replace("\u2068", "").replace("\u2069", "")
                      for s in oracle.sched.describe_next_states(top_card.states)]
            assert [b["label"] for b in view["card"]["buttons"]] == labels
            for side in ("question", "answer"):
                ours = shown(view["card"][side], "/media/")
                assert ours == anki_shown(card, side), (card.id, side, view["card"][side])
                seen_media.update(ours[1] + ours[2])
            kinds.add(card.note_type()["name"])
            rating = ratings[len(answered) % len(ratings)]
            web.answer(card.id, rating)
            card.start_timer()
            answer = oracle.sched.build_answer(card=card, states=top_card.states,
                                               rating=rating - 1)
            answer.milliseconds_taken = 4200
            oracle.sched.answer_card(answer)
            answered.append(card.id)
        finally:
            oracle.close(downgrade=False)
        assert len(answered) < 200, "the deck never ran out of cards"

    assert kinds == {"Basic", "Basic (and reversed card)", "Basic (optional reversed card)",
                     "Basic (type in the answer)", "Cloze", "Picture and sound"}
    assert seen_media == set(MEDIA)
    for name, data in MEDIA.items():
        request = urllib.request.Request(server.endpoint + "media/" + urllib.parse.quote(name),
                                         headers={"cookie": web.cookie})
        with urllib.request.urlopen(request, timeout=30) as r:
            assert r.status == 200 and r.read() == data, name

    # The rows written are Anki's (due times of intraday learning relative to the answer).
    oracle = Collection(str(copy))
    try:
        def rows(get):
            out = []
            for row in get(f"select {CARD_COLUMNS} from cards order by id"):
                card = dict(zip(CARD_COLUMNS.replace(" ", "").split(","), row))
                data = json.loads(card["data"] or "{}")
                data.pop("lrt", None)
                out.append((card["id"], card["type"], card["queue"], card["ivl"],
                            card["factor"], card["reps"], card["lapses"], card["left"],
                            card["due"] - card["mod"] if card["queue"] == 1 else card["due"],
                            data))
            revlog = [tuple(r[1:2]) + tuple(r[3:]) for r in get(
                f"select {REVLOG_COLUMNS} from revlog order by id")]
            return out, revlog

        ours = rows(lambda sql: server_rows(server.data_dir, sql))
        theirs = rows(oracle.db.all)
        assert ours[1] == theirs[1]
        assert ours[0] == theirs[0]
    finally:
        oracle.close()
    assert device.sync() == NO_CHANGES
