"""Anki's own rendering of cards (`card.render_output()`: question and answer text, the
notetype css, the sound files of each side) and its typed-answer comparison
(`col.compare_answer`) for collections built with the real `anki` package: the oracle for
server/src/collection/render/.

    render_vectors.py OUT_DIR

writes OUT_DIR/vectors.json and, next to it, every collection the vectors were computed on
(`<case>.anki2.zst`: the closed schema-18 file, zstd-compressed). The Rust tests read the
committed copy in server/tests/fixtures/render/; test.sh has the installed `anki` build them
afresh and points FF_RENDER_VECTORS at the fresh vectors.json.

Cases: the stock notetypes (Basic, reversed, optional reversed, type in the answer, Cloze)
with HTML, media and unicode in their fields; custom notetypes exercising conditionals,
the special fields (Tags, Deck, Subdeck, Card, Type, CardFlag, FrontSide), the built-in
filters alone and chained (text, hint, furigana, kana, kanji, cloze, cloze-only, type),
unknown filters, comments; broken templates (an unknown field, an unclosed or
mismatched conditional: written into the templates table, since Anki refuses to save
them) and cards whose front went blank after they were made.

For every card with a `[[type:…]]` on its question, the answer Anki's reviewer would
compare (the field, or for `type:cloze:` the card's cloze text) is compared with a few
typed strings; `compare` holds further free-standing comparisons.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile

from oracle_common import (  # first: it sets TZ=UTC before anki is imported
    keep_compressed,
    out_dir_from_argv,
    write_vectors,
)

TYPED = ["Paris", "paris", "Pari", "", "Parïs ü", "naïve café", "Über straße"]
TYPE_PAT = re.compile(r"\[\[type:(.+?)\]\]")


def new_notetype(col, name, fields, templates, css=None, cloze=False):
    """A notetype with the given fields and (name, qfmt, afmt) templates."""
    from anki.models import MODEL_CLOZE

    m = col.models.new(name)
    if cloze:
        m["type"] = MODEL_CLOZE
    for f in fields:
        col.models.add_field(m, col.models.new_field(f))
    for tname, q, a in templates:
        t = col.models.new_template(tname)
        t["qfmt"], t["afmt"] = q, a
        col.models.add_template(m, t)
    if css is not None:
        m["css"] = css
    col.models.add(m)
    return col.models.by_name(name)


def add(col, model, deck, values, tags=()):
    note = col.new_note(model)
    for k, v in values.items():
        note[k] = v
    note.tags = list(tags)
    col.add_note(note, deck)
    return note


# Templates Anki would refuse to save, written into the templates table once the collection
# is closed: (ntid, ord, qfmt or None, afmt or None).
PATCHES: list = []


def patch_template(col, ntid, ord_, qfmt=None, afmt=None):
    PATCHES.append((ntid, ord_, qfmt, afmt))


def apply_patches(path: str) -> None:
    import sqlite3

    from anki import notetypes_pb2

    db = sqlite3.connect(path)
    for ntid, ord_, qfmt, afmt in PATCHES:
        (blob,) = db.execute("select config from templates where ntid = ? and ord = ?",
                             (ntid, ord_)).fetchone()
        conf = notetypes_pb2.Notetype.Template.Config()
        conf.ParseFromString(blob)
        if qfmt is not None:
            conf.q_format = qfmt
        if afmt is not None:
            conf.a_format = afmt
        db.execute("update templates set config = ? where ntid = ? and ord = ?",
                   (conf.SerializeToString(), ntid, ord_))
    db.commit()
    db.close()
    PATCHES.clear()


def case_stock(col) -> None:
    """The stock notetypes with plain, HTML and unicode content, in nested decks."""
    lang = col.decks.id("Lang")
    verbs = col.decks.id("Lang::Japanese::Verbs")
    basic = col.models.by_name("Basic")
    add(col, basic, 1, {"Front": "plain front", "Back": "plain back"})
    add(col, basic, lang, {"Front": "<b>bold</b> &amp; <i>it</i>", "Back": "<div>line</div><br>x"},
        tags=["html", "Lang::tag"])
    add(col, basic, verbs, {"Front": "日本語 &nbsp; ü", "Back": "  spaced  "})
    add(col, basic, verbs, {"Front": "<div><br></div>", "Back": "front is empty html"})
    rev = col.models.by_name("Basic (and reversed card)")
    add(col, rev, lang, {"Front": "dog", "Back": "Hund"})
    add(col, rev, verbs, {"Front": "<u>taberu</u>", "Back": "食べる"}, tags=["verb"])
    opt = col.models.by_name("Basic (optional reversed card)")
    add(col, opt, lang, {"Front": "one way", "Back": "only"})
    add(col, opt, lang, {"Front": "both ways", "Back": "yes", "Add Reverse": "y"})
    gone = add(col, opt, lang, {"Front": "reverse removed", "Back": "later", "Add Reverse": "y"})
    # The reverse card stays after its field is cleared: its front is now blank.
    gone["Add Reverse"] = ""
    col.update_note(gone)
    typed = col.models.by_name("Basic (type in the answer)")
    add(col, typed, 1, {"Front": "Capital of France?", "Back": "Paris"})
    add(col, typed, 1, {"Front": "Say it", "Back": "naïve café"})
    add(col, typed, 1, {"Front": "Tricky", "Back": "<b>Über</b> straße [sound:u.mp3]<br>&amp; more"})
    add(col, typed, 1, {"Front": "No answer", "Back": ""})


def case_cloze(col) -> None:
    """Several clozes, hints, nested clozes, cloze-only and typed clozes."""
    did = col.decks.id("Cloze::Deck")
    cloze = col.models.by_name("Cloze")
    add(col, cloze, did, {"Text": "{{c1::Paris}} is in {{c2::France::country}}.",
                          "Back Extra": "extra <i>info</i>"})
    add(col, cloze, did, {"Text": "{{c1::outer {{c2::inner}} text::hint1}} and {{c3::x}}"})
    add(col, cloze, did, {"Text": "{{c1::same}} twice {{c1::same}}, {{c1::other}}"})
    add(col, cloze, did, {"Text": "a <b>{{c1::bold & \"q\" <i>x</i>}}</b> b \\(x^{{c2::2}}\\)"})
    removed = add(col, cloze, did, {"Text": "{{c1::kept}} {{c2::dropped}}"})
    # Card 2 stays after its cloze is removed: Anki shows that the cloze is missing.
    removed["Text"] = "{{c1::kept}} dropped"
    col.update_note(removed)
    custom = new_notetype(
        col, "Cloze custom", ["Text", "Extra"],
        [("Cloze", "{{cloze:Text}}<br>{{type:cloze:Text}}{{#c2}}<p>second</p>{{/c2}}"
          "{{^c1}}<p>not first</p>{{/c1}}",
          "{{cloze:Text}}<br>{{type:cloze:Text}}<hr id=answer>{{cloze-only:Text}}|"
          "{{Extra}}|{{Card}}|{{text:cloze:Text}}")],
        css=".cloze { color: red; }", cloze=True)
    add(col, custom, did, {"Text": "{{c1::Paris}} and {{c2::naïve café::hint}}", "Extra": "e"})
    add(col, custom, did, {"Text": "{{c1::same}} {{c1::same}} {{c2::a}} {{c2::b}}"})
    add(col, custom, did, {"Text": "x {{c1::y {{c2::z}}}} {{c12::twelve}}"})


def case_custom(col) -> None:
    """Conditionals, special fields, filters alone and chained, unknown filters."""
    deep = col.decks.id("Top::Middle::Leaf")
    other = col.decks.id("Other")
    m = new_notetype(
        col, "Custom", ["A", "B", "C", "Reading"],
        [
            ("Conditions",
             "{{#A}}A is set: {{A}}{{/A}}{{^B}} B is empty{{/B}}"
             "{{#B}} B: {{B}}{{#C}} and C{{/C}}{{/B}}{{ #C }}[C]{{ /C }}",
             "{{FrontSide}}<hr id=answer>{{^A}}no A{{/A}}{{#c1}}c1{{/c1}}{{#c2}}c2{{/c2}}"),
            ("Specials",
             "{{Tags}}|{{Deck}}|{{Subdeck}}|{{Card}}|{{Type}}|{{CardFlag}}|{{ A }}",
             "{{FrontSide}}|{{text:FrontSide}}|{{#Tags}}has tags{{/Tags}}{{^Tags}}no tags{{/Tags}}"),
            ("Filters",
             "{{text:A}}|{{hint:B}}|{{furigana:Reading}}|{{kana:Reading}}|{{kanji:Reading}}",
             "{{text:hint:B}}|{{hint:text:C}}|{{kana:text:Reading}}|{{unknown:A}}|"
             "{{text:unknown:A}}|{{unknown:text:A}}|{{text::A}}|{{:A}}|{{text:}}"),
            ("Comments",
             "<!-- {{A}} {{#Nope}} --> {{A}} {{{A}}} {A} }}{{",
             "{{B}}<!-- unterminated {{C}}"),
        ],
        css=".card { font-family: serif; }\n.hint { color: blue; }")
    add(col, m, deep, {"A": "<b>alpha</b> &lt;tag&gt; &amp;", "B": "beta", "C": "",
                       "Reading": "日本[にほん] 語[ご]&nbsp;x[sound:jp.mp3] 漢字[かんじ]"},
        tags=["t1", "Top::tag"])
    add(col, m, other, {"A": "", "B": "<div> </div>", "C": "gamma <br>",
                        "Reading": " 食[た]べる [sound:a.mp3]"})
    add(col, m, deep, {"A": "α &nbsp;&foo; z", "B": " \n", "C": "<br/>c",
                       "Reading": "no reading"}, tags=["only"])
    n = add(col, m, other, {"A": "flagged", "B": "b", "C": "c", "Reading": "x[y]"})
    # Hints over long text: the DOM id hashes more than one 1024-byte chunk.
    add(col, m, other, {"A": "long", "B": "b" * 1500 + "é", "C": "c" * 3000,
                        "Reading": "x" * 1024})
    col.set_user_flag_for_cards(3, n.card_ids())
    # A card in a filtered deck shows its home deck.
    home = col.decks.id("Home::Sub")
    moved = add(col, m, home, {"A": "in filtered", "B": "", "C": "", "Reading": ""})
    fid = col.decks.new_filtered("Filtered")
    f = col.decks.get(fid)
    f["terms"] = [[f"nid:{moved.id}", 100, 0]]
    col.decks.save(f)
    col.sched.rebuild_filtered_deck(fid)
    # A note field named like a special field wins over it.
    clash = new_notetype(col, "Clash", ["Tags", "Deck"],
                         [("Card 1", "{{Tags}}/{{Deck}}/{{Type}}", "{{FrontSide}}")])
    add(col, clash, other, {"Tags": "field tags", "Deck": "field deck"}, tags=["real"])


def case_media(col) -> None:
    """Images and sounds in fields and in templates."""
    m = new_notetype(
        col, "Media", ["Front", "Back"],
        [("Card 1", "{{Front}}<img src=\"tmpl.png\">",
          "{{FrontSide}}<hr id=answer>{{Back}}[sound:tmpl sound.ogg]")])
    add(col, m, 1, {"Front": "<img src=\"a b.jpg\"> [sound:x y.mp3]",
                    "Back": "<img src='single q.png'><img src=bare.gif alt=x>"
                            "<img alt=\"p\" src=\"https://example.com/r.png\">"
                            "[sound:second.mp3][sound:日本.mp3]"})
    add(col, m, 1, {"Front": "<img class=\"c\" src=\"&amp;amp;.jpg\">[sound:]",
                    "Back": "<IMG SRC=\"upper%.PNG\"> [sound:a&amp;b.mp3]"})
    basic = col.models.by_name("Basic")
    add(col, basic, 1, {"Front": "[sound:one.mp3] text [sound:two.mp3]",
                        "Back": "<audio src=\"raw.mp3\"></audio> <img src=\"x.svg\" />"})


def case_errors(col) -> None:
    """Templates Anki shows an error for, and fronts that are blank."""
    m = new_notetype(
        col, "Broken", ["F", "G"],
        [(name, f"{{{{F}}}}{i}", "{{FrontSide}}") for i, name in enumerate([
            "Unknown field",
            "Unknown filtered",
            "Unclosed",
            "Mismatched",
            "Stray close",
            "Back broken",
            "Unknown conditional",
            "Empty front",
            "Alt syntax",
            "Short tags",
        ])])
    add(col, m, 1, {"F": "f <b>value</b>", "G": ""})
    ntid = m["id"]
    patch_template(col, ntid, 0, qfmt="{{F}} {{Nope}}")
    patch_template(col, ntid, 1, qfmt="{{text:hint:Missing <b>}}")
    patch_template(col, ntid, 2, qfmt="{{#F}} open")
    patch_template(col, ntid, 3, qfmt="{{#F}}{{#G}}x{{/F}}{{/G}}")
    patch_template(col, ntid, 4, qfmt="x {{/F}}")
    patch_template(col, ntid, 5, afmt="{{FrontSide}}{{#G}}")
    patch_template(col, ntid, 6, qfmt="{{F}}{{^Nope}}x{{/Nope}}")
    patch_template(col, ntid, 7, qfmt="{{G}}{{^F}}x{{/F}}")
    patch_template(col, ntid, 8, qfmt="  {{=<% %>=}}<%F%> <%#G%>g<%/G%>{{F}}",
                   afmt="<%FrontSide%>|<%text:F%>")
    patch_template(col, ntid, 9, qfmt="{{F}}{{/}}", afmt="{{!}}")


CASES = {
    "stock": case_stock,
    "cloze": case_cloze,
    "custom": case_custom,
    "media": case_media,
    "errors": case_errors,
}

# Free-standing comparisons of a typed answer with an expected one.
COMPARE = [
    ("Paris", "Paris", True),
    ("Paris", "paris", True),
    ("¿Y ahora qué vamos a hacer?", "y ahora qe vamosa hacer", True),
    ("<div>123</div>", "", True),
    ("<b>1</b> &nbsp;2 [sound:s.mp3]", "1  2", True),
    ("123", "1123", True),
    ("нос", "нс", True),
    ("쓰다듬다", "스다뜸다", True),
    ("שִׁנּוּן", "שנון", False),
    ("חוֹף", "חופ", False),
    ("ば", "は", False),
    ("ば", "は", True),
    ("a < b & c", "a > b", True),
    ("e\u0301t\u00e9", "été", True),
    ("line<br>two<div>three</div>", "line two three", True),
    ("The quick brown fox jumps over the lazy dog", "The quick brwn fox jumped over a lazy dog!", True),
    ("x" * 210 + "y" * 10, "x" * 205 + "z" + "y" * 10, True),
    (" ".join(["word"] * 60), " ".join(["ward"] * 60), True),
    ("\u0301abc", "\u0301abd", True),
    # Expected answers of 200 characters or more index only their frequent characters.
    ("x" * 200 + "abc", "x" * 199 + "abcq", True),
    ("ab" * 60 + "cd" * 50 + "e", "ab" * 59 + "e" + "cd" * 50, True),
]


def sounds(tags) -> list:
    from anki.sound import SoundOrVideoTag

    return [t.filename for t in tags if isinstance(t, SoundOrVideoTag)]


def typed_comparisons(col, card, question: str) -> list:
    """What the reviewer compares for the card's first `[[type:…]]`, for each typed
    string; an empty expected answer means Anki removes the type box."""
    m = TYPE_PAT.search(question)
    if not m:
        return []
    field = m.group(1)
    cloze = combining = None
    cloze = field.startswith("cloze:")
    if cloze:
        field = field.split(":")[1]
    combining = not field.startswith("nc:")
    if not combining:
        field = field.split(":")[1]
    note = card.note()
    expected = note[field]
    if cloze:
        expected = col.extract_cloze_for_typing(expected, card.ord + 1)
    out = []
    for typed in TYPED:
        html = col.compare_answer(expected, typed, combining) if expected else ""
        out.append({"typed": typed, "html": html})
    return out


def run_case(name: str, build, out_dir: str) -> dict:
    """Builds the case, keeps the closed file, then reopens it and renders every card."""
    from anki.collection import Collection

    file = f"{name}.anki2.zst"
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "collection.anki2")
        col = Collection(path)
        build(col)
        col.close(downgrade=False)
        apply_patches(path)
        keep_compressed(path, out_dir, file)
        col = Collection(path)
        cards = []
        for cid in col.db.list("select id from cards order by id"):
            card = col.get_card(cid)
            out = card.render_output()
            cards.append({
                "id": cid,
                "question": out.question_text,
                "answer": out.answer_text,
                "css": out.css,
                "question_sounds": sounds(out.question_av_tags),
                "answer_sounds": sounds(out.answer_av_tags),
                "typed": typed_comparisons(col, card, out.question_text),
            })
        col.close(downgrade=False)
    return {"case": name, "file": file, "cards": cards}


def run_compare() -> list:
    from anki.collection import Collection

    with tempfile.TemporaryDirectory() as d:
        col = Collection(os.path.join(d, "collection.anki2"))
        out = [{"expected": e, "typed": t, "combining": c,
                "html": col.compare_answer(e, t, c)} for e, t, c in COMPARE]
        col.close(downgrade=False)
    return out


def main() -> int:
    out_dir = out_dir_from_argv(__doc__)
    if out_dir is None:
        return 2
    vectors = {
        "cases": [run_case(name, build, out_dir) for name, build in CASES.items()],
        "compare": run_compare(),
    }
    write_vectors(out_dir, vectors, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
