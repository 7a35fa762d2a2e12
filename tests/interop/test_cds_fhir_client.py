"""The outbound FHIR client against real HTTP servers on 127.0.0.1 (threads in this process).

What a hostile CDS caller tried (issue 13): make GabaCare fetch loopback or private addresses, hold a
worker with a server that drips one byte a second, and have the caller's token sent elsewhere. Each
server here is a real socket server; only the mixed public/private DNS answer uses the client's
resolver seam (no local DNS server can be started here).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from gabacare.interop.fhir_client import (
    FhirBadResponse,
    FhirClient,
    FhirFetchError,
    FhirResponseTooLarge,
    FhirServerPolicy,
    FhirServerRefused,
    FhirTimeout,
    is_public_address,
    normalise_origin,
)

EMPTY = {"resourceType": "Bundle", "type": "searchset", "entry": []}
DEADLINE_S = 1.0
MARGIN_S = 0.5  # the drip's next byte and thread scheduling: the answer must come within this of the deadline


# -- real servers -------------------------------------------------------------------------------------
@dataclass
class Seen:
    """What a server received: one (path, headers) per request."""

    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def headers(self, name: str) -> list[str | None]:
        return [h.get(name.lower()) for _, h in self.requests]


@dataclass
class Server:
    origin: str
    port: int
    seen: Seen
    stop: Callable[[], None]


def serve(answer: Callable[[BaseHTTPRequestHandler], None], host: str = "127.0.0.1") -> Server:
    """A threaded HTTP server calling ``answer(handler)`` for every GET; records what it received."""
    seen = Seen()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                answer(self)

        def log_message(self, *args: Any) -> None:
            pass

    family = socket.AF_INET6 if ":" in host else socket.AF_INET

    class Threading(ThreadingHTTPServer):
        address_family = family
        daemon_threads = True

    httpd = Threading((host, 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    port = httpd.server_address[1]
    shown = f"[{host}]" if ":" in host else host

    def stop() -> None:
        httpd.shutdown()
        httpd.server_close()

    return Server(f"http://{shown}:{port}", port, seen, stop)


def json_answer(doc: Any) -> Callable[[BaseHTTPRequestHandler], None]:
    def answer(h: BaseHTTPRequestHandler) -> None:
        data = json.dumps(doc).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/fhir+json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return answer


def drip_answer(h: BaseHTTPRequestHandler) -> None:
    """The whole response, status line included, one byte a second (a valid answer after ~100 s)."""
    body = json.dumps(EMPTY).encode()
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: " + str(len(body)).encode() \
        + b"\r\n\r\n" + body
    for byte in raw:
        h.wfile.write(bytes([byte]))
        h.wfile.flush()
        time.sleep(1.0)


def redirect_to(location: str) -> Callable[[BaseHTTPRequestHandler], None]:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", location + h.path)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return answer


@pytest.fixture
def servers() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(answer: Callable[[BaseHTTPRequestHandler], None], host: str = "127.0.0.1") -> Server:
        server = serve(answer, host)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def client(*origins: str, networks: tuple[str, ...] = (), deadline_s: float = DEADLINE_S,
           max_bytes: int = 64 * 1024, **kw: Any) -> FhirClient:
    policy = FhirServerPolicy(allowed_origins=origins, deadline_s=deadline_s, max_bytes=max_bytes,
                              private_networks=tuple(ipaddress.ip_network(n) for n in networks))
    return FhirClient(policy, **kw)


AUTH = {"access_token": "token-for-the-ehr", "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read",
        "subject": "cds-service"}


# -- the slow drip: one deadline for the whole fetch ------------------------------------------------------
def test_a_server_dripping_one_byte_a_second_is_cut_at_the_deadline(servers: Callable[..., Server]) -> None:
    drip = servers(drip_answer)
    fhir = client(drip.origin)
    started = time.monotonic()
    with pytest.raises(FhirTimeout):
        fhir.fetch_json(drip.origin + "/fhir", "Patient/p1", AUTH)
    took = time.monotonic() - started
    assert took < DEADLINE_S + MARGIN_S, f"a {DEADLINE_S} s deadline held the fetch for {took:.2f} s"
    assert len(drip.seen.requests) == 1  # it was reached (allowed), and cut


def test_all_fetches_of_one_hook_call_share_one_deadline(servers: Callable[..., Server]) -> None:
    drip = servers(drip_answer)
    fetch = client(drip.origin).fetcher()
    started = time.monotonic()
    for query in ("Patient/p1", "Observation?patient=p1", "MedicationRequest?patient=p1"):
        with pytest.raises(FhirTimeout):
            fetch(drip.origin + "/fhir", query, None)
    assert time.monotonic() - started < DEADLINE_S + MARGIN_S
    assert len(drip.seen.requests) <= 1  # after the deadline nothing more is even sent


def test_a_server_that_never_answers_is_cut_at_the_deadline() -> None:
    with socket.socket() as listener:  # accepts connections (backlog) and never reads or writes
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        origin = f"http://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(FhirTimeout):
            client(origin).fetch_json(origin, "Patient/p1", None)
        assert time.monotonic() - started < DEADLINE_S + MARGIN_S


# -- which servers may be read ------------------------------------------------------------------------
def test_a_server_off_the_allow_list_is_refused_before_any_traffic(servers: Callable[..., Server]) -> None:
    target = servers(json_answer(EMPTY))
    with pytest.raises(FhirServerRefused, match="allow-list"):
        client("https://fhir.example.org").fetch_json(target.origin, "Patient/p1", AUTH)
    with pytest.raises(FhirServerRefused, match="allow-list"):  # same host, another port: another origin
        client(f"http://127.0.0.1:{target.port + 1}").fetch_json(target.origin, "Patient/p1", AUTH)
    assert target.seen.requests == []


def test_a_loopback_server_is_refused_unless_configured(servers: Callable[..., Server]) -> None:
    target = servers(json_answer(EMPTY))
    by_name = f"http://localhost:{target.port}"  # a host name that resolves to loopback
    with pytest.raises(FhirServerRefused, match="loopback"):
        client(by_name).fetch_json(by_name, "Patient/p1", None)
    assert target.seen.requests == []
    # Configured: the loopback network named explicitly, or the allow-list naming the address itself.
    assert client(by_name, networks=("127.0.0.0/8", "::1/128")).fetch_json(by_name, "Patient/p1", None) == EMPTY
    assert client(target.origin).fetch_json(target.origin, "Patient/p1", None) == EMPTY


def test_every_address_of_a_host_is_checked() -> None:
    """A name that resolves to a public and a private address is refused (no "first one wins")."""
    answers = {"fhir.example.org": ["93.184.215.14", "10.0.0.7"]}
    fhir = client("https://fhir.example.org", resolve=lambda host, port: answers[host])
    with pytest.raises(FhirServerRefused, match="private"):
        fhir.fetch_json("https://fhir.example.org/r4", "Patient/p1", AUTH)
    metadata = client("http://fhir.example.org", resolve=lambda host, port: ["169.254.169.254"])
    with pytest.raises(FhirServerRefused):
        metadata.fetch_json("http://fhir.example.org", "Patient/p1", AUTH)


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.215.14", True), ("2606:4700:4700::1111", True),
    ("127.0.0.1", False), ("::1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("fe80::1", False), ("fc00::1", False), ("100.64.0.1", False),
    ("0.0.0.0", False), ("::", False), ("224.0.0.1", False), ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False),
    ("240.0.0.1", False), ("255.255.255.255", False),
])
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(("url", "origin"), [
    ("https://FHIR.example.org/r4/", "https://fhir.example.org"),
    ("https://fhir.example.org:443", "https://fhir.example.org"),
    ("http://fhir.example.org:8080/x", "http://fhir.example.org:8080"),
    ("http://[::1]:8080", "http://[::1]:8080"),
    ("ftp://fhir.example.org", None), ("https://user:pw@fhir.example.org", None), ("https://", None),
    ("https://fhir.example.org:99999", None), ("fhir.example.org", None),
])
def test_origins(url: str, origin: str | None) -> None:
    assert normalise_origin(url) == origin


def test_policy_origins_must_be_exact() -> None:
    with pytest.raises(ValueError, match="exact"):
        FhirServerPolicy(allowed_origins=("https://fhir.example.org/r4",), deadline_s=1, max_bytes=10)
    with pytest.raises(ValueError, match="exact"):
        FhirServerPolicy(allowed_origins=("*",), deadline_s=1, max_bytes=10)


# -- the token goes only where it was issued ------------------------------------------------------------
def test_the_token_is_sent_to_the_allowed_server(servers: Callable[..., Server]) -> None:
    target = servers(json_answer(EMPTY))
    assert client(target.origin).fetch_json(target.origin + "/fhir/", "Observation?patient=p1", AUTH) == EMPTY
    (path, headers), = target.seen.requests
    assert path == "/fhir/Observation?patient=p1"
    assert headers["authorization"] == "Bearer token-for-the-ehr"
    assert headers["host"] == f"127.0.0.1:{target.port}"


def test_a_redirect_is_not_followed_so_the_token_never_reaches_another_server(servers: Callable[..., Server]) -> None:
    elsewhere = servers(json_answer(EMPTY))
    hop = servers(redirect_to(elsewhere.origin))
    with pytest.raises(FhirBadResponse, match="redirect"):
        client(hop.origin, elsewhere.origin).fetch_json(hop.origin, "Patient/p1", AUTH)
    assert hop.seen.headers("authorization") == ["Bearer token-for-the-ehr"]
    assert elsewhere.seen.requests == []  # neither the request nor the token went there


@pytest.mark.parametrize("auth", [
    {"access_token": "abc\r\nX-Injected: 1", "token_type": "Bearer"},
    {"access_token": "abc def", "token_type": "Bearer"},
    {"access_token": "abc", "token_type": "MAC"},
    {"access_token": 12345, "token_type": "Bearer"},
    None,
])
def test_a_token_that_is_not_plain_bearer_text_is_never_put_in_a_header(servers: Callable[..., Server],
                                                                         auth: dict[str, Any] | None) -> None:
    target = servers(json_answer(EMPTY))
    client(target.origin).fetch_json(target.origin, "Patient/p1", auth)
    (_, headers), = target.seen.requests
    assert "authorization" not in headers and "x-injected" not in headers


def test_a_query_cannot_leave_the_server(servers: Callable[..., Server]) -> None:
    target = servers(json_answer(EMPTY))
    fhir = client(target.origin)
    for query in ("Patient/p1 HTTP/1.1\r\nHost: evil", "Patient/p1#frag", "Patient/\u00e9"):
        with pytest.raises(FhirServerRefused):
            fhir.fetch_json(target.origin, query, AUTH)
    assert target.seen.requests == []


# -- what is read back -----------------------------------------------------------------------------------
def test_an_answer_larger_than_the_limit_is_refused(servers: Callable[..., Server]) -> None:
    big = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {"resourceType": "Basic",
                                                                                   "id": "x" * 64}}] * 2000}
    declared = servers(json_answer(big))
    with pytest.raises(FhirResponseTooLarge):
        client(declared.origin).fetch_json(declared.origin, "Patient/p1", None)

    def chunked(h: BaseHTTPRequestHandler) -> None:  # no Content-Length: cut while reading
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        piece = b"[" + b"0," * 4096
        for _ in range(64):
            h.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        h.wfile.write(b"0\r\n\r\n")

    streamed = servers(chunked)
    with pytest.raises(FhirResponseTooLarge):
        client(streamed.origin).fetch_json(streamed.origin, "Patient/p1", None)


@pytest.mark.parametrize("body", [b"not json", b'{"value": NaN}', b"\xff\xfe", b"[" * 100_000])
def test_an_answer_that_is_not_json_is_refused(servers: Callable[..., Server], body: bytes) -> None:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    target = servers(answer)
    with pytest.raises(FhirBadResponse):
        client(target.origin, max_bytes=1 << 20).fetch_json(target.origin, "Patient/p1", None)


def test_an_error_status_and_a_closed_port_are_failures(servers: Callable[..., Server]) -> None:
    def not_found(h: BaseHTTPRequestHandler) -> None:
        h.send_error(404)

    target = servers(not_found)
    with pytest.raises(FhirBadResponse, match="404"):
        client(target.origin).fetch_json(target.origin, "Patient/p1", None)
    closed = "http://127.0.0.1:9"
    with pytest.raises(FhirFetchError):
        client(closed).fetch_json(closed, "Patient/p1", None)
