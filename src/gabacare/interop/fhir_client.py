"""Reading an EHR's FHIR server on behalf of a CDS Hooks call, without becoming a proxy for the caller.

A CDS request names its own ``fhirServer`` and may carry an access token (``fhirAuthorization``).
Read naively, that lets any caller make GabaCare fetch any URL (loopback, the cloud metadata address,
the hospital's intranet) with the caller's token attached, and hold a worker as long as a slow server
likes. :class:`FhirClient` reads only under a :class:`FhirServerPolicy`:

* **allow-list of exact origins** (``scheme://host[:port]``): any other ``fhirServer`` is refused
  before any network traffic;
* **public addresses only**: the host is resolved and *every* address must be public; a private,
  loopback, link-local, shared, multicast or reserved address is refused unless it lies in a
  configured network (``private_networks``), or the allow-listed origin itself names that address as
  an IP literal. The connection goes to the address that was checked (no second lookup, so DNS
  rebinding gains nothing);
* **one total deadline**: connecting, TLS, the status line, the headers and the body all share one
  deadline (every socket read gets the time *left*, so a server dripping one byte a second is cut at
  the deadline, not after ``n`` per-read timeouts);
* **a size limit**: a ``Content-Length`` above ``max_bytes`` is refused unread, and reading stops as
  soon as the body passes it;
* **the token goes only where it was issued**: ``Authorization: Bearer`` is sent to the request's own
  ``fhirServer`` only, redirects are never followed (a 3xx is a failure), and a token that is not
  plain ``b64token`` text is never put into a header.

Errors (every one carries a ``reason`` safe to show: it names no URL, token or patient data)::

    gabacare.errors.StorageError   (an outside store cannot be read: HTTP 503 if it ever escaped)
    └── FhirFetchError             the server was not read
        ├── FhirServerRefused      not allowed by the policy (nothing was sent)
        ├── FhirTimeout            the deadline passed
        ├── FhirResponseTooLarge   the answer is larger than ``max_bytes``
        └── FhirBadResponse        not 200, a redirect, or not JSON
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from gabacare._record import record
from gabacare.errors import StorageError

__all__ = [
    "FhirBadResponse",
    "FhirClient",
    "FhirFetchError",
    "FhirResponseTooLarge",
    "FhirServerPolicy",
    "FhirServerRefused",
    "FhirTimeout",
    "is_public_address",
    "normalise_origin",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: (host, port) -> the addresses it resolves to (injectable for tests; the default asks the system).
Resolver = Callable[[str, int], Sequence[str]]

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
#: RFC 6750 ``b64token``: the only text ever written after ``Bearer``.
_B64TOKEN: Final = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class FhirFetchError(StorageError):
    """The FHIR server was not read; ``reason`` says why without naming the URL or any data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FhirServerRefused(FhirFetchError):
    """The policy does not allow this server (nothing was sent)."""


class FhirTimeout(FhirFetchError):
    """The one deadline for the fetch passed."""


class FhirResponseTooLarge(FhirFetchError):
    """The answer is larger than the policy's ``max_bytes``."""


class FhirBadResponse(FhirFetchError):
    """The server answered, but not with a 200 JSON document."""


def normalise_origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, lower-case, default port left out; None if not one.

    Examples
    --------
    >>> normalise_origin("HTTPS://FHIR.Example.org:443/r4/")
    'https://fhir.example.org'
    >>> normalise_origin("http://127.0.0.1:8080") , normalise_origin("ftp://x") , normalise_origin("https://u:p@h")
    ('http://127.0.0.1:8080', None, None)
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host or parts.username is not None or parts.password is not None:
        return None
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" + (f":{port}" if port is not None and port != _DEFAULT_PORTS[scheme] else "")


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _unmapped(addr: IPAddress) -> IPAddress:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def is_public_address(addr: IPAddress) -> bool:
    """True for a globally routable unicast address (not private, loopback, link-local, shared,
    multicast, reserved or unspecified; IPv4-mapped IPv6 is judged as its IPv4 address)."""
    a = _unmapped(addr)
    return bool(a.is_global and not (a.is_multicast or a.is_loopback or a.is_link_local or a.is_private
                                     or a.is_reserved or a.is_unspecified))


@record
class FhirServerPolicy:
    """Which FHIR servers a CDS call may make GabaCare read, and how much it may cost.

    Parameters
    ----------
    allowed_origins: exact ``scheme://host[:port]`` origins (see :func:`normalise_origin`); empty: none.
    deadline_s: the one total deadline of a fetch (and, in :meth:`FhirClient.fetcher`, of all the
        fetches of one hook call together).
    max_bytes: the largest answer read.
    private_networks: networks whose private addresses an allowed origin may resolve to.
    """

    allowed_origins: tuple[str, ...]
    deadline_s: float
    max_bytes: int
    private_networks: tuple[IPNetwork, ...] = ()

    def __post_init__(self) -> None:
        origins = []
        for origin in self.allowed_origins:
            norm = normalise_origin(origin)
            if norm is None or urlsplit(origin.strip()).path.strip("/"):
                raise ValueError(f"FHIR server origins must be exact scheme://host[:port] values, not {origin!r}")
            origins.append(norm)
        object.__setattr__(self, "allowed_origins", tuple(origins))
        if not self.deadline_s > 0 or self.max_bytes < 1:
            raise ValueError("a FHIR fetch needs a positive deadline and size limit")

    def address_allowed(self, addr: IPAddress, origin_host: str) -> bool:
        """May a connection go to ``addr`` for an allowed origin whose host is ``origin_host``?"""
        if is_public_address(addr):
            return True
        plain = _unmapped(addr)
        literal = _literal_ip(origin_host)
        if literal is not None and _unmapped(literal) == plain:
            return True  # the allow-list names this very address: configured explicitly
        return any(plain.version == net.version and plain in net for net in self.private_networks)


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _DeadlineReader(io.RawIOBase):
    """A socket's bytes where every read gets only the time left before one deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise FhirTimeout("the FHIR server did not answer within the deadline")
        self._sock.settimeout(left)
        try:
            return self._sock.recv_into(buffer)
        except TimeoutError:
            raise FhirTimeout("the FHIR server did not answer within the deadline") from None


class _ResponseSocket:
    """What :class:`http.client.HTTPResponse` needs of a socket: ``makefile`` (deadline-bound)."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._reader = io.BufferedReader(_DeadlineReader(sock, deadline))

    def makefile(self, mode: str) -> io.BufferedIOBase:
        return self._reader


@dataclass
class FhirClient:
    """Reads FHIR searches under a :class:`FhirServerPolicy` (module docstring).

    ``resolve`` looks host names up (the system resolver by default; it runs in a helper thread so
    that it, too, obeys the deadline). ``tls`` is the TLS context for https origins (the system's
    trust store by default).
    """

    policy: FhirServerPolicy
    resolve: Resolver = _system_resolver
    tls: ssl.SSLContext | None = None
    _tls_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- the policy -----------------------------------------------------------------------------------
    def check_server(self, server: str) -> str:
        """The allowed origin of ``server`` (a FHIR base URL); :class:`FhirServerRefused` otherwise."""
        origin = normalise_origin(server)
        if origin is None:
            raise FhirServerRefused("the request's fhirServer is not an http(s) URL")
        if origin not in self.policy.allowed_origins:
            raise FhirServerRefused("the request's fhirServer is not on this service's allow-list")
        return origin

    def fetcher(self, deadline: float | None = None) -> Callable[[str, str, Mapping[str, Any] | None], Any]:
        """A fetch function for one hook call: every fetch it makes ends before one shared ``deadline``
        (a :func:`time.monotonic` instant; default the policy's ``deadline_s`` from now)."""
        if deadline is None:
            deadline = time.monotonic() + self.policy.deadline_s

        def fetch(server: str, query: str, auth: Mapping[str, Any] | None) -> Any:
            return self.fetch_json(server, query, auth, deadline=deadline)

        return fetch

    # -- one fetch ------------------------------------------------------------------------------------
    def fetch_json(self, server: str, query: str, auth: Mapping[str, Any] | None, *,
                   deadline: float | None = None) -> Any:
        """GET ``server`` + ``/`` + ``query`` and return the parsed JSON; raise :class:`FhirFetchError`.

        Parameters
        ----------
        server: the FHIR base URL from the CDS request (``fhirServer``).
        query: a relative FHIR search (``Observation?patient=...``); it may not leave ``server``.
        auth: the request's ``fhirAuthorization``; its ``access_token`` is sent to ``server`` only.
        deadline: a :func:`time.monotonic` instant; default ``policy.deadline_s`` from now.
        """
        if deadline is None:
            deadline = time.monotonic() + self.policy.deadline_s
        origin = self.check_server(server)
        url = server.strip().rstrip("/") + "/" + query.lstrip("/")
        parts = urlsplit(url)
        if normalise_origin(url) != origin or any(c in url for c in "\r\n\t #") or not url.isascii():
            raise FhirServerRefused("the FHIR query would leave the request's fhirServer")
        token = _bearer(auth)
        host = parts.hostname or ""
        port = parts.port or _DEFAULT_PORTS[parts.scheme.lower()]
        addresses = self._addresses(host, port, deadline)
        sock = self._connect(addresses, port, deadline)
        try:
            if parts.scheme.lower() == "https":
                sock = self._tls(sock, host, deadline)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            host_header = host if port == _DEFAULT_PORTS[parts.scheme.lower()] else f"{host}:{port}"
            if ":" in host:
                host_header = f"[{host}]" + ("" if port == _DEFAULT_PORTS[parts.scheme.lower()] else f":{port}")
            lines = [f"GET {target} HTTP/1.1", f"Host: {host_header}", "Accept: application/fhir+json, application/json",
                     "Accept-Encoding: identity", "Connection: close", "User-Agent: GabaCare-CDS"]
            if token is not None:
                lines.append(f"Authorization: Bearer {token}")
            self._send(sock, ("\r\n".join(lines) + "\r\n\r\n").encode("ascii"), deadline)
            return self._read(sock, deadline)
        finally:
            sock.close()

    def _addresses(self, host: str, port: int, deadline: float) -> list[IPAddress]:
        literal = _literal_ip(host)
        if literal is not None:
            found: list[IPAddress] = [literal]
        else:
            names = self._resolve_within(host, port, deadline)
            found = []
            for name in names:
                addr = _literal_ip(name.split("%")[0])
                if addr is not None:
                    found.append(addr)
        if not found:
            raise FhirFetchError("the FHIR server's host name has no address")
        refused = [a for a in found if not self.policy.address_allowed(a, host)]
        if refused:
            raise FhirServerRefused("the FHIR server resolves to a private, loopback or link-local address "
                                    "that this service is not configured to reach")
        return found

    def _resolve_within(self, host: str, port: int, deadline: float) -> Sequence[str]:
        result: list[Sequence[str]] = []
        failed: list[BaseException] = []

        def work() -> None:
            try:
                result.append(self.resolve(host, port))
            except BaseException as exc:
                failed.append(exc)

        worker = threading.Thread(target=work, name="gabacare-fhir-dns", daemon=True)
        worker.start()
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            raise FhirTimeout("the FHIR server's host name was not resolved within the deadline")
        if failed or not result:
            raise FhirFetchError("the FHIR server's host name cannot be resolved")
        return result[0]

    def _connect(self, addresses: list[IPAddress], port: int, deadline: float) -> socket.socket:
        for addr in addresses:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            family = socket.AF_INET6 if addr.version == 6 else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(left)
            try:
                sock.connect((str(addr), port))
            except TimeoutError:
                sock.close()
                break
            except OSError:
                sock.close()
                continue
            return sock
        if time.monotonic() >= deadline:
            raise FhirTimeout("the FHIR server did not accept a connection within the deadline")
        raise FhirFetchError("the FHIR server refused the connection")

    def _tls(self, sock: socket.socket, host: str, deadline: float) -> socket.socket:
        with self._tls_lock:
            if self.tls is None:
                self.tls = ssl.create_default_context()
            context = self.tls
        wrapped = context.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                wrapped.close()
                raise FhirTimeout("the FHIR server's TLS handshake did not finish within the deadline")
            wrapped.settimeout(left)
            try:
                wrapped.do_handshake()
                return wrapped
            except TimeoutError:
                continue  # the loop's deadline check ends it
            except ssl.SSLError:
                wrapped.close()
                raise FhirFetchError("the FHIR server's TLS certificate or handshake was refused") from None

    @staticmethod
    def _send(sock: socket.socket, data: bytes, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise FhirTimeout("the FHIR server did not answer within the deadline")
        sock.settimeout(left)  # sendall: the timeout bounds the whole call
        try:
            sock.sendall(data)
        except TimeoutError:
            raise FhirTimeout("the FHIR server did not answer within the deadline") from None

    def _read(self, sock: socket.socket, deadline: float) -> Any:
        response = http.client.HTTPResponse(_ResponseSocket(sock, deadline), method="GET")  # type: ignore[arg-type]
        try:
            response.begin()
            if response.status != 200:
                kind = "a redirect (not followed)" if 300 <= response.status < 400 else f"HTTP {response.status}"
                raise FhirBadResponse(f"the FHIR server answered {kind}")
            limit = self.policy.max_bytes
            declared = response.getheader("content-length")
            if declared is not None and declared.strip().isdigit() and int(declared) > limit:
                raise FhirResponseTooLarge(f"the FHIR server's answer is larger than {limit} bytes")
            body = response.read(limit + 1)  # one byte more than allowed tells "too large" from "just fits"
            if len(body) > limit:
                raise FhirResponseTooLarge(f"the FHIR server's answer is larger than {limit} bytes")
        except FhirFetchError:
            raise
        except (http.client.HTTPException, OSError, ValueError):
            if time.monotonic() >= deadline:
                raise FhirTimeout("the FHIR server did not answer within the deadline") from None
            raise FhirBadResponse("the FHIR server's answer is not valid HTTP") from None
        try:
            return json.loads(body.decode("utf-8-sig"), parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise FhirBadResponse("the FHIR server's answer is not JSON") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"JSON constant {name} is not a number FHIR allows")


def _bearer(auth: Mapping[str, Any] | None) -> str | None:
    """The access token to send, or None; a token that is not a plain ``b64token`` is never sent."""
    if not isinstance(auth, Mapping):
        return None
    token = auth.get("access_token")
    kind = auth.get("token_type", "Bearer")
    if not isinstance(token, str) or not isinstance(kind, str) or kind.lower() != "bearer":
        return None
    return token if _B64TOKEN.fullmatch(token) else None
