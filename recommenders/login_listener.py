"""The one redirect a Spotify login waits for, on the loopback address of ``spotify.redirect_uri``.

spotipy's own listener answers the first request of any kind (a browser's favicon request
ends the login), has no timeout (on a server without a browser it waits for ever), and
reports the address to open only through a logger. This one waits until a deadline, answers
anything without ``code`` or ``error`` with a 404 and keeps waiting, and takes an answer only
when its ``state`` is the one sent, so a stray or forged redirect cannot log anyone in.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

from config.errors import UserError

PAGE = (b"<!doctype html><meta charset=utf-8><title>assistant</title>"
        b"<p>Spotify login received; you can close this tab and go back to the terminal.")


def new_state() -> str:
    """The unguessable value the authorize URL carries and the redirect must bring back (RFC 6749, 10.12)."""
    return secrets.token_urlsafe(24)


@dataclass
class Redirect:
    code: str | None = None
    error: str | None = None


class _Listener(HTTPServer):
    allow_reuse_address = True

    def __init__(self, port: int, path: str, state: str) -> None:
        self.expected_path, self.expected_state, self.redirect = path, state, Redirect()
        super().__init__(("127.0.0.1", port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Listener

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        url = urlparse(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        answer = ("code" in query or "error" in query) and url.path == self.server.expected_path
        if not answer or query.get("state") != self.server.expected_state:
            # A favicon, a scanner, or a redirect from another login attempt: not ours, keep waiting.
            self.send_response(404)
            self.end_headers()
            return
        self.server.redirect = Redirect(query.get("code"), query.get("error"))
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass  # nothing on the terminal: the request line carries the code


class RedirectListener:
    """Bound to ``redirect_uri``'s port as soon as it is made, so that a browser sent to the
    consent page right afterwards finds it listening; `wait` then takes the login's redirect."""

    def __init__(self, redirect_uri: str, state: str) -> None:
        target = urlparse(redirect_uri)
        self.redirect_uri = redirect_uri
        try:
            self._server = _Listener(target.port or 80, target.path or "/", state)
        except OSError as error:
            raise UserError(f"cannot listen on {redirect_uri} for the login redirect: {error.strerror}") from None

    def __enter__(self) -> RedirectListener:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.server_close()

    def wait(self, timeout_s: float) -> str:
        """The code of the login's redirect, once it arrives (at most ``timeout_s`` from now)."""
        deadline = time.monotonic() + timeout_s
        while self._server.redirect == Redirect():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise UserError(f"no login arrived at {self.redirect_uri} within {timeout_s:g} s; run `assistant auth "
                                "spotify` again (--timeout gives more time)")
            self._server.timeout = min(remaining, 1.0)
            self._server.handle_request()
        if self._server.redirect.error:
            raise UserError(f"Spotify login refused: {self._server.redirect.error}")
        return str(self._server.redirect.code)
