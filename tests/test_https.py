"""HTTPS from certificate files, with a test CA made here by openssl. The real Anki client
(trusting the CA through SSL_CERT_FILE, as it trusts the system's roots on Linux) logs
in, full-syncs, normal-syncs and media-syncs over HTTPS; answers carry HSTS and the web's
cookies are Secure; `healthcheck` works against the HTTPS listener. Replacing the files
switches the certificate new connections get, with SIGHUP and without it, while a
connection opened before keeps working; a broken replacement keeps the old certificate
and the log says why. Plain HTTP and TLS 1.1 sent to the port are refused, logged, and
nothing else is disturbed."""

from __future__ import annotations

import hashlib
import http.client
import json
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import NO_CHANGES, SERVER_BIN, ServerProcess, add_user, clean_env, free_port
from test_full_sync import FULL_UPLOAD, add_notes, upload
from test_media_sync import sync_media

PASSWORD = "alice-password-1"


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class Authority:
    """A CA, and leaf certificates for 127.0.0.1 it signs."""

    def __init__(self, root: Path):
        self.root = root
        self.cert = root / "ca.pem"
        self.key = root / "ca.key"
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", str(self.key), "-out", str(self.cert), "-days", "2",
                "-subj", "/CN=flashcard-flow test CA")
        self.issued = 0

    def leaf(self, name: str) -> tuple[Path, Path]:
        """A new certificate (full chain: leaf, then the CA) and its key."""
        self.issued += 1
        key, csr = self.root / f"{name}.key", self.root / f"{name}.csr"
        cert, ext = self.root / f"{name}.pem", self.root / f"{name}.ext"
        ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                       "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                       "extendedKeyUsage=serverAuth\n")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", str(key), "-out", str(csr), "-subj", f"/CN=127.0.0.1 {name}")
        openssl("x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey", str(self.key),
                "-set_serial", str(1000 + self.issued), "-days", "1", "-extfile", str(ext),
                "-out", str(cert))
        cert.write_text(cert.read_text() + self.cert.read_text())
        return cert, key


def served_certificate(port: int) -> bytes:
    """The DER of the leaf a new connection is shown."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return tls.getpeercert(binary_form=True)


def der(pem: Path) -> bytes:
    first = pem.read_text().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    return ssl.PEM_cert_to_DER_cert(first)


def wait_until(predicate, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def https_server(workdir, monkeypatch):
    ca = Authority(workdir)
    cert, key = ca.leaf("first")
    live_cert, live_key = workdir / "live.pem", workdir / "live.key"
    live_cert.write_bytes(cert.read_bytes())
    live_key.write_bytes(key.read_bytes())
    port = free_port()
    server = ServerProcess(data_dir=workdir / "data", port=port, log_path=workdir / "server.log",
                           https=True,
                           extra_args=["--tls-cert", str(live_cert), "--tls-key", str(live_key),
                                       "--public-url", f"https://127.0.0.1:{port}"])
    # The client trusts the test CA as it would the system's roots.
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.cert))
    server.start()
    yield server, ca, (live_cert, live_key)
    server.stop()


def replace(live: tuple[Path, Path], new: tuple[Path, Path]) -> None:
    """As certbot does: new files renamed over the old ones."""
    for target, source in zip(live, new):
        staged = target.with_suffix(".new")
        staged.write_bytes(source.read_bytes())
        staged.rename(target)


def test_the_real_client_syncs_over_https_and_certificates_reload(https_server, anki, workdir):
    server, ca, live = https_server
    add_user(server.data_dir, "alice", PASSWORD)
    device = anki(server.endpoint)
    device.login("alice", PASSWORD)
    add_notes(device, 20, "tls")
    device.col.media.write_data("over-tls.png", b"\x89PNG" + bytes(4000))
    assert device.sync() == FULL_UPLOAD
    upload(device)
    add_notes(device, 3, "later")
    assert device.sync() == NO_CHANGES
    sync_media(device)
    other = anki(server.endpoint)
    other.login("alice", PASSWORD)
    assert other.sync() != NO_CHANGES  # a fresh device downloads
    from test_full_sync import download
    download(other)
    assert other.col.note_count() == 23

    # HSTS on answers; the web's cookies are Secure (and __Host- prefixed).
    trusting = ssl.create_default_context(cafile=str(ca.cert))
    request = urllib.request.Request(server.endpoint + "api/login", method="POST",
                                     data=json.dumps({"login": "alice", "password": PASSWORD}).encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, context=trusting, timeout=10) as r:
        assert r.headers["strict-transport-security"] == "max-age=31536000"
        cookies = r.headers.get_all("set-cookie")
    assert cookies and all("; Secure" in c and c.startswith("__Host-") for c in cookies), cookies

    # healthcheck speaks TLS to the listener.
    check = subprocess.run([str(SERVER_BIN), "--listen", f"127.0.0.1:{server.port}",
                            "--tls-cert", str(live[0]), "--tls-key", str(live[1]),
                            "healthcheck"], capture_output=True, text=True, env=clean_env())
    assert check.returncode == 0, check.stderr

    # Refusals: plain HTTP and TLS 1.1 to the HTTPS port; the server goes on.
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as plain:
        plain.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        plain.settimeout(5)
        try:
            answer = plain.recv(100)
        except OSError:
            answer = b""
        assert not answer.startswith(b"HTTP/1.1 200"), answer
    old = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}",
                          "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"],
                         input="", capture_output=True, text=True, timeout=20)
    # No cipher was agreed: the handshake failed (s_client prints the empty session).
    assert old.returncode != 0 and "Cipher is (NONE)" in old.stdout, old.stdout
    assert wait_until(lambda: server.log().count("TLS handshake refused") >= 2), server.log()[-2000:]

    # A connection opened before a replacement keeps working after it.
    kept = http.client.HTTPSConnection("127.0.0.1", server.port, context=trusting, timeout=10)
    kept.request("GET", "/health")
    assert kept.getresponse().read() == b""
    first = served_certificate(server.port)
    assert first == der(live[0])

    # Replaced on disk, no signal: new connections get the new certificate.
    second = ca.leaf("second")
    replace(live, second)
    assert wait_until(lambda: served_certificate(server.port) == der(second[0])), \
        server.log()[-2000:]
    kept.request("GET", "/health")
    response = kept.getresponse()
    assert response.status == 200 and response.read() == b""
    kept.close()

    # A broken replacement (the key of another certificate) keeps the one in use.
    stray = ca.leaf("stray")
    replace(live, (ca.leaf("third")[0], stray[1]))
    server.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "TLS certificate not reloaded" in server.log()), server.log()[-2000:]
    assert served_certificate(server.port) == der(second[0])
    assert device.sync() == NO_CHANGES

    # Fixed, then SIGHUP: switched at once.
    fourth = ca.leaf("fourth")
    replace(live, fourth)
    server.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: served_certificate(server.port) == der(fourth[0]))
    assert device.sync() == NO_CHANGES
    assert hashlib.sha256(der(fourth[0])).hexdigest() != hashlib.sha256(first).hexdigest()


def test_a_certificate_that_does_not_load_stops_the_start(workdir):
    broken = workdir / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    out = subprocess.run([str(SERVER_BIN), "--data-dir", str(workdir / "data"),
                          "--listen", f"127.0.0.1:{free_port()}",
                          "--tls-cert", str(broken), "--tls-key", str(broken)],
                         capture_output=True, text=True, env=clean_env(), timeout=30)
    assert out.returncode != 0
    assert "TLS" in out.stderr and str(broken) in out.stderr, out.stderr
    only_one = subprocess.run([str(SERVER_BIN), "--tls-cert", str(broken)],
                              capture_output=True, text=True, env=clean_env(), timeout=30)
    assert only_one.returncode == 2 and "tls-key" in only_one.stderr, only_one.stderr
