"""Every kind of mail the server sends, as a mail client reads it: the reset link, the notice
after a password change (by the link, on the account page, by adminctl) and the admin's test
mail, captured by a real SMTP server (aiosmtpd) and parsed with Python's `email` package.

Each must be a complete message (MIME-Version, Message-ID, Date), multipart/alternative with
a text and an HTML part saying the same thing, in the language of the request that caused it
(German for `Accept-Language: de`), with times as dates a person reads, and a reset link that
comes out of the message whole and verifies."""

from __future__ import annotations

import email
import email.policy
import html.parser
import http.cookiejar
import json
import re
import threading
import time
import urllib.parse
import urllib.request

import pytest
from aiosmtpd.controller import Controller

from conftest import ServerProcess, adminctl, add_user, free_port

SENDER_DOMAIN = "flashcards.example"
GERMAN = "de-DE,de;q=0.9,en;q=0.5"
MONTHS = {
    "en": "January|February|March|April|May|June|July|August|September|October|November|December",
    "de": "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember",
}
DATE = {
    "en": re.compile(rf"\b\d{{1,2}} ({MONTHS['en']}) \d{{4}}, \d{{2}}:\d{{2}} UTC\b"),
    "de": re.compile(rf"\b\d{{1,2}}\. ({MONTHS['de']}) \d{{4}}, \d{{2}}:\d{{2}} UTC\b"),
}
GREETING = {"en": "Hello", "de": "Hallo"}


class Inbox:
    """aiosmtpd handler keeping every message's raw bytes."""

    def __init__(self):
        self.raw: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.raw.append(envelope.content)
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 30) -> email.message.EmailMessage:
        """The `count`-th message (1-based), parsed, once it has arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.raw) >= count:
                    return email.message_from_bytes(self.raw[count - 1],
                                                    policy=email.policy.default)
            time.sleep(0.05)
        raise AssertionError(f"mail number {count} never came ({len(self.raw)} arrived)")


class Browser:
    """A cookie-keeping HTTP client that sends one Accept-Language (or none)."""

    def __init__(self, base: str, language: str | None):
        self.base = base
        self.headers = {"Accept-Language": language} if language else {}
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path: str, form: dict | None = None, body: dict | None = None) -> str:
        headers = dict(self.headers)
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, headers=headers)
        with self.opener.open(req, timeout=30) as response:
            return response.read().decode()

    def csrf(self, path: str) -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', self.request(path))
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def sign_in(self, login: str, password: str) -> None:
        page = self.request("/login", form={"csrf": self.csrf("/login"), "login": login,
                                            "password": password})
        assert 'action="/logout"' in page, "signed in"


@pytest.fixture
def mail_server(workdir):
    inbox = Inbox()
    capture = Controller(inbox, hostname="127.0.0.1", port=free_port())
    capture.start()
    port = free_port()
    server = ServerProcess(
        data_dir=workdir / "data", port=port, log_path=workdir / "server.log",
        extra_args=["--public-url", f"http://127.0.0.1:{port}", "--smtp-host", "127.0.0.1",
                    "--smtp-port", str(capture.port), "--smtp-security", "none",
                    "--smtp-from", f"flashcard-flow <noreply@{SENDER_DOMAIN}>"])
    try:
        server.start()
        add_user(server.data_dir, "alice", "alice-password-1")
        yield server, inbox
    finally:
        server.stop()
        capture.stop()


class VisibleText(html.parser.HTMLParser):
    """The text a reader sees in the HTML part (not the <title>), and its links."""

    def __init__(self):
        super().__init__()
        self.text, self.links, self.in_title = [], [], False

    def handle_starttag(self, tag, attrs):
        self.in_title |= tag == "title"
        if tag == "a":
            self.links.append(dict(attrs).get("href"))
        assert tag not in ("img", "link", "script", "style", "iframe"), f"<{tag}> in a mail"
        assert not any(name in ("src", "style") for name, _ in attrs), f"{attrs} in a mail"

    def handle_endtag(self, tag):
        self.in_title &= tag != "title"

    def handle_data(self, data):
        if not self.in_title:
            self.text.append(data)


def words(text: str) -> str:
    return " ".join(text.split())


def read_mail(message: email.message.EmailMessage, lang: str) -> tuple[str, VisibleText]:
    """Checks what every mail must be; returns its text part and what its HTML shows."""
    assert message["MIME-Version"] == "1.0"
    assert re.fullmatch(rf"<[A-Za-z0-9_-]{{16,}}@{re.escape(SENDER_DOMAIN)}>",
                        message["Message-ID"]), message["Message-ID"]
    assert message["Date"].datetime.tzinfo is not None
    assert message.get_content_type() == "multipart/alternative"
    plain, markup = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and markup is not None, "a text and an HTML part"
    for part in (plain, markup):
        # base64, not quoted-printable: a long link line is never soft-broken or =3D-mangled.
        assert part["Content-Transfer-Encoding"] == "base64"
        assert part.get_content_charset() == "utf-8"
    text = plain.get_content()
    shown = VisibleText()
    shown.feed(markup.get_content())
    assert words("".join(shown.text)) == words(text), "both parts say the same"
    assert DATE[lang].search(text), f"a readable date in {lang}: {text}"
    assert "Unix" not in text
    return text, shown


def reset_link(text: str, shown: VisibleText) -> str:
    """The link, alone on its line in the text, and the HTML's one link with the same URL."""
    lines = [line for line in text.splitlines() if "password-reset?token=" in line]
    assert len(lines) == 1, text
    link = lines[0]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/password-reset\?token=[A-Za-z0-9_-]{43}", link)
    assert len(link) > 70
    assert shown.links == [link] and link in shown.text, "the HTML link's text is the URL"
    return link


def token_of(link: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["token"][0]


def test_a_reset_asked_for_in_german_mails_the_link_and_the_notice_in_german(mail_server):
    server, inbox = mail_server
    browser = Browser(f"http://127.0.0.1:{server.port}", GERMAN)
    browser.request("/password-reset/request", body={"email": "alice@example.com"})

    message = inbox.wait_for(1)
    assert message["Subject"] == "Ihr flashcard-flow-Passwort zurücksetzen"
    text, shown = read_mail(message, "de")
    assert text.startswith("Hallo alice,")
    link = reset_link(text, shown)
    token = token_of(link)
    assert json.loads(browser.request(f"/password-reset/verify?token={token}")) == {"valid": True}

    browser.request("/password-reset/reset",
                    body={"token": token, "password": "a new password from the link"})
    notice = inbox.wait_for(2)
    assert notice["Subject"] == "Ihr flashcard-flow-Passwort wurde geändert"
    text, _ = read_mail(notice, "de")
    assert "mit einem per E-Mail gesendeten Link" in text
    assert token not in text


def test_without_a_language_the_reset_mail_is_english_and_adminctl_notices_are_english(
        mail_server):
    server, inbox = mail_server
    browser = Browser(f"http://127.0.0.1:{server.port}", None)
    browser.request("/password-reset/request", body={"email": "alice@example.com"})
    message = inbox.wait_for(1)
    assert message["Subject"] == "Reset your flashcard-flow password"
    text, shown = read_mail(message, "en")
    assert text.startswith("Hello alice,")
    token = token_of(reset_link(text, shown))
    assert json.loads(browser.request(f"/password-reset/verify?token={token}")) == {"valid": True}

    out = adminctl(server.data_dir, "reset-password", "alice", "--password-stdin",
                   input="the operator's choice 9")
    assert out.returncode == 0, out.stderr
    notice = inbox.wait_for(2)  # from the outbox, on the worker's next poll
    assert notice["Subject"] == "Your flashcard-flow password was changed"
    text, _ = read_mail(notice, "en")
    assert "by your server's operator" in text


def test_a_change_on_the_german_account_page_sends_a_german_notice(mail_server):
    server, inbox = mail_server
    browser = Browser(f"http://127.0.0.1:{server.port}", GERMAN)
    browser.sign_in("alice", "alice-password-1")
    browser.request("/account/password", form={
        "csrf": browser.csrf("/account"), "current": "alice-password-1",
        "password": "a new password 22", "confirm": "a new password 22"})
    notice = inbox.wait_for(1)
    assert notice["Subject"] == "Ihr flashcard-flow-Passwort wurde geändert"
    text, _ = read_mail(notice, "de")
    assert text.startswith("Hallo alice,") and "auf der Kontoseite" in text


@pytest.mark.parametrize("language, lang, subject", [
    (GERMAN, "de", "flashcard-flow-Test-E-Mail"),
    ("en-GB", "en", "flashcard-flow test email"),
])
def test_the_admin_test_mail_is_in_the_language_of_the_page(mail_server, language, lang,
                                                            subject):
    server, inbox = mail_server
    added = adminctl(server.data_dir, "user", "add", "admin", "admin@example.com", "--admin",
                     "--password-stdin", input="admin-password-12")
    assert added.returncode == 0, added.stderr
    browser = Browser(f"http://127.0.0.1:{server.port}", language)
    browser.sign_in("admin", "admin-password-12")
    # "Send test email" sends what the form holds, as a browser does (here: the settings
    # in effect, which the page shows).
    page = browser.request("/admin/settings")
    fields = {name: html.unescape(value) for name, value in
              re.findall(r'<input id="[^"]*" name="([^"]+)"[^>]*? value="([^"]*)"', page)}
    fields["security"] = re.search(r'<option value="([a-z]+)" selected>', page).group(1)
    browser.request("/admin/settings",
                    form={**fields, "csrf": browser.csrf("/admin/settings"), "action": "test"})
    message = inbox.wait_for(1)
    assert message["Subject"] == subject and message["To"] == "admin@example.com"
    read_mail(message, lang)
