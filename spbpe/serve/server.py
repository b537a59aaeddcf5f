"""The playground's HTTP server: the page, its two static files and a small JSON API.

    >>> server = make_server(Playground.load(models=["llama2.model"]), "127.0.0.1", 0)  # doctest: +SKIP
    >>> server.url                                                                    # doctest: +SKIP
    'http://127.0.0.1:40123/'

Routes (anything else is a 404, a known path with another method a 405):
  GET  /  /app.js  /style.css   the page, from the package's static/ folder (read once at start)
  GET  /api/tokenizers          {"tokenizers": [{"id", "name", "family", "vocab_size"}], "max_body": N}
  POST /api/encode              {"text": str, "tokenizers": [id, ...]} -> {"results": [...]}
                                (see spbpe/serve/tokenizers.py for a result's fields)

Safety, by construction: request paths are looked up in a fixed table of
files loaded at start (no file system access from a request, so no path
traversal); tokenizers are named by id, never by path; a body must have a
Content-Length of at most ``max_body`` bytes (413 before a byte of it is
read; a chunked body is refused with 411) and the type application/json
(415; so a cross-origin page cannot post without a preflight this server
never grants); requests whose Host is not this server are refused (403),
which stops DNS rebinding.  Every error is a JSON object ``{"error": "..."}``
with a 4xx status (500 for a bug, without the traceback), and the server
keeps serving.  Responses forbid sniffing, framing and every outside
resource (Content-Security-Policy: 'self' only); the page builds its DOM
with textContent, never innerHTML.  ThreadingHTTPServer gives each
connection a thread; they share the immutable tokenizers.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from .tokenizers import Playground

__all__ = ["make_server", "PlaygroundServer", "MAX_BODY", "STATIC_FILES"]

MAX_BODY = 1 << 20  # bytes of one request body
MAX_TOKENIZERS = 16  # ids in one request
_STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
# URL path -> (file in static/, content type)
STATIC_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
_API = {"/api/tokenizers": "GET", "/api/encode": "POST"}
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class _Refused(Exception):
    """A request answered with a 4xx status and a JSON error."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class PlaygroundServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that holds the tokenizers, the static files and the limits."""

    daemon_threads = True
    allow_reuse_address = True
    log = False  # print one line per request on stderr

    def __init__(self, address: Tuple[str, int], playground: Playground, max_body: int = MAX_BODY) -> None:
        self.playground, self.max_body = playground, max_body
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.files: Dict[str, bytes] = {}
        for name in {f for f, _ in STATIC_FILES.values()}:
            with open(os.path.join(_STATIC, name), "rb") as f:
                self.files[name] = f.read()
        super().__init__(address, _Handler)
        self.hosts = _allowed_hosts(address[0], self.server_address[1])

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), self.server_address[1]
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1" if host != "::" else "::1"
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that failed outside a handler (a reset): one line, no traceback."""
        exc = sys.exc_info()[1]
        print(f"spbpe serve: {client_address[0]}: {type(exc).__name__}: {exc}", file=sys.stderr)


def _allowed_hosts(host: str, port: int) -> Optional[set]:
    """Host header values accepted: this server's names with its port; None (any) when bound to all."""
    if host in ("0.0.0.0", "::", ""):
        return None
    names = set(_LOOPBACK) if host in _LOOPBACK else {host, f"[{host}]"}
    return {f"{n}:{port}" for n in names} | names


def make_server(playground: Playground, host: str = "127.0.0.1", port: int = 8000, max_body: int = MAX_BODY):
    """A server bound to host:port (port 0: a free one; see ``.url``), not yet serving."""
    return PlaygroundServer((host, port), playground, max_body)


class _Handler(BaseHTTPRequestHandler):
    server: PlaygroundServer
    server_version = "spbpe-serve"
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.0"  # answers to a bad request line have a status line and headers too
    timeout = 30  # seconds a connection may sit idle or trickle
    _drain = False  # drop the unread body before closing (see _discard_unread)
    _body_read = False  # whether the request's body has been read (else it must not be taken for the next request)

    def version_string(self) -> str:
        return self.server_version

    # ------------------------------------------------------------ dispatch
    def do_GET(self) -> None:
        self._answer("GET")

    def do_HEAD(self) -> None:
        self._answer("HEAD")

    def do_POST(self) -> None:
        self._answer("POST")

    def __getattr__(self, name: str) -> Any:
        # Any other method (PUT, DELETE, BREW, ...): 405 with a JSON error, not http.server's 501 page.
        if name.startswith("do_"):
            return lambda: self._answer(name[3:])
        raise AttributeError(name)

    def _answer(self, method: str) -> None:
        self._body_read = self._drain = False
        try:
            status, body, ctype = self._route(method)
        except _Refused as e:
            # a refused request's body may be unread: the connection cannot carry another request
            unread = not self._body_read and (
                bool(self.headers.get("Transfer-Encoding")) or self.headers.get("Content-Length", "0").strip() != "0"
            )
            self.close_connection = self.close_connection or unread
            self._drain = unread
            status, body, ctype = e.status, _json({"error": e.message}), "application/json"
        except Exception as e:  # a bug: say so, without the traceback, and keep serving
            print(f"spbpe serve: internal error: {type(e).__name__}: {e}", file=sys.stderr)
            self.close_connection = True
            status, body = HTTPStatus.INTERNAL_SERVER_ERROR, _json({"error": "internal error"})
            ctype = "application/json"
        self._send(status, body, ctype, head=method == "HEAD")

    def _route(self, method: str) -> Tuple[HTTPStatus, bytes, str]:
        self._check_host()
        path = urlsplit(self.path).path
        if path in STATIC_FILES:
            if method not in ("GET", "HEAD"):
                raise _Refused(HTTPStatus.METHOD_NOT_ALLOWED, f"{method} is not allowed on {path}; use GET")
            name, ctype = STATIC_FILES[path]
            return HTTPStatus.OK, self.server.files[name], ctype
        if path not in _API:
            raise _Refused(HTTPStatus.NOT_FOUND, "not found")
        want = _API[path]
        if method != want and not (want == "GET" and method == "HEAD"):
            raise _Refused(HTTPStatus.METHOD_NOT_ALLOWED, f"{method} is not allowed on {path}; use {want}")
        if path == "/api/tokenizers":
            answer = {"tokenizers": self.server.playground.describe(), "max_body": self.server.max_body}
            return HTTPStatus.OK, _json(answer), "application/json"
        return HTTPStatus.OK, _json({"results": self._encode(self._read_json())}), "application/json"

    # ----------------------------------------------------------- requests
    def _check_host(self) -> None:
        hosts = self.server.hosts
        if hosts is not None and self.headers.get("Host", "").lower() not in hosts:
            raise _Refused(HTTPStatus.FORBIDDEN, "unexpected Host header")

    def _read_json(self) -> Any:
        if self.headers.get("Transfer-Encoding"):
            raise _Refused(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length, not chunked")
        raw = self.headers.get("Content-Length")
        if raw is None:
            raise _Refused(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required")
        if not raw.strip().isdigit():
            raise _Refused(HTTPStatus.BAD_REQUEST, "bad Content-Length")
        length = int(raw)
        if length > self.server.max_body:  # refused before reading a byte of it
            raise _Refused(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"request body of {length:,} bytes is over the limit of {self.server.max_body:,}",
            )
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            self.rfile.read(length)
            self._body_read = True
            raise _Refused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "the body must be application/json")
        body = self.rfile.read(length)
        self._body_read = True
        if len(body) < length:
            raise _Refused(HTTPStatus.BAD_REQUEST, "the body is shorter than its Content-Length")
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise _Refused(HTTPStatus.BAD_REQUEST, f"the body is not JSON in UTF-8 ({type(e).__name__})") from None

    def _encode(self, req: Any) -> List[Dict[str, Any]]:
        if not isinstance(req, dict):
            raise _Refused(HTTPStatus.BAD_REQUEST, 'expected a JSON object: {"text": ..., "tokenizers": [...]}')
        text = req.get("text")
        if not isinstance(text, str):
            raise _Refused(HTTPStatus.BAD_REQUEST, '"text" must be a string')
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise _Refused(HTTPStatus.BAD_REQUEST, '"text" has an unpaired surrogate (not valid Unicode)') from None
        known = self.server.playground.tokenizers
        ids = req.get("tokenizers", list(known))
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise _Refused(HTTPStatus.BAD_REQUEST, '"tokenizers" must be a list of tokenizer ids')
        ids = list(dict.fromkeys(ids))
        if len(ids) > MAX_TOKENIZERS:
            raise _Refused(HTTPStatus.BAD_REQUEST, f"at most {MAX_TOKENIZERS} tokenizers per request")
        unknown = [i for i in ids if i not in known]
        if unknown:
            shown = json.dumps(unknown[0][:80])
            raise _Refused(HTTPStatus.NOT_FOUND, f"unknown tokenizer {shown} (known: {', '.join(known)})")
        return self.server.playground.encode(text, ids)

    # ----------------------------------------------------------- responses
    def _send(self, status: HTTPStatus, body: bytes, ctype: str, head: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in _HEADERS.items():
            self.send_header(k, v)
        if status == HTTPStatus.METHOD_NOT_ALLOWED:
            path = urlsplit(self.path).path
            self.send_header("Allow", "GET, HEAD" if path in STATIC_FILES or _API.get(path) == "GET" else "POST")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(body)
        if self._drain:
            self._discard_unread()

    def _discard_unread(self) -> None:
        """Before closing (a refused body, a 413): stop sending, then drop what the client still sends
        for a moment (at most twice the limit, two seconds, 0.2 s of silence), so closing does not reset
        the connection before the client reads the answer."""
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(0.2)
            left, stop = 2 * self.server.max_body, time.monotonic() + 2.0
            while left > 0 and time.monotonic() < stop:
                chunk = self.connection.recv(min(left, 65536))
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:
            pass

    def send_error(self, code: int, message: Optional[str] = None, explain: Optional[str] = None) -> None:
        """http.server's own refusals (a malformed request line, headers too long): JSON, not its HTML page."""
        try:
            status = HTTPStatus(code)
        except ValueError:
            status = HTTPStatus.BAD_REQUEST
        if status >= 500:  # 505 for an HTTP version it does not speak: the client's fault all the same
            status = HTTPStatus.BAD_REQUEST
        self.close_connection = True
        try:
            self._send(status, _json({"error": message or status.phrase}), "application/json")
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log:
            sys.stderr.write(f"spbpe serve: {self.address_string()} {format % args}\n")


def _json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
