"""A stand-in for Spotify and TMDB on 127.0.0.1, for tests that run the real spotipy and
tmdbsimple clients against it.

It speaks the real paths, JSON shapes and error bodies (Spotify accounts /api/token and
/authorize, Web API /v1/search, /v1/me, /v1/me/playlists, /v1/playlists/{id}/items, /v1/me/player/devices and
/v1/me/player/queue; TMDB
/3/discover/movie and /3/genre/movie/list) and can be told to misbehave on a path: any
status with any headers (401, 403, 404, 429 + Retry-After, 5xx), a body that is not JSON,
or an answer slower than the client's timeout. Its data is made up for the tests: the
offline catalog, not this, is what users see without the APIs.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from config.settings import Settings, load_settings

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-0123456789"
TMDB_KEY = "test-tmdb-key-0123456789abcdef"
# A v4 read access token is a JWT: three dot-separated parts, the first "eyJ…".
TMDB_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ0ZXN0In0.test-tmdb-read-token-signature"
AUTH_CODE = "test-authorization-code"
USER_TOKEN = "test-user-access-token"
REFRESH_TOKEN = "test-user-refresh-token"
SCOPES = "playlist-modify-private playlist-modify-public user-modify-playback-state user-read-playback-state"
TRACKS_PER_GENRE = 25
ENGLISH_GENRES = {28: "Action", 12: "Adventure", 16: "Animation", 35: "Comedy", 80: "Crime", 99: "Documentary",
                  18: "Drama", 10751: "Family", 14: "Fantasy", 36: "History", 27: "Horror", 10402: "Music",
                  9648: "Mystery", 10749: "Romance", 878: "Science Fiction", 10770: "TV Movie", 53: "Thriller",
                  10752: "War", 37: "Western"}
FRENCH_GENRES = {**ENGLISH_GENRES, 35: "Comédie", 18: "Drame", 10749: "Romance", 16: "Animation", 10751: "Familial",
                 27: "Horreur", 53: "Thriller", 28: "Action", 12: "Aventure"}
# Made-up films: every policy genre has several, some also carry horror or thriller ids.
FILM_GENRES = [[18], [18, 10749], [35], [35, 10751], [16, 10751], [18, 53], [27], [28, 53], [12, 14], [878],
               [99], [80, 18], [9648, 53], [18, 27], [35, 18], [10749, 35]]
#: Titles as real catalogues have them, which Rich would read as markup if shown unescaped.
MARKUP_TITLES = ["A [/] Song", "Song [feat. Drake]", "[untitled]", "[link=https://example.com]Click[/link]",
                 "[bold red]Loud[/]"]
FILMS = [{"id": 1000 + n, "title": f"Test Film {n}", "release_date": f"{1990 + n % 30}-05-01",
          "genre_ids": FILM_GENRES[n % len(FILM_GENRES)]} for n in range(96)]


@dataclass
class Fault:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # None: the normal answer's body (or an error body for status >= 400)
    delay_s: float = 0.0
    times: int | None = None  # None: every time
    # The answer's body a byte at a time, this long apart: a server that never stops (quite) talking.
    byte_every_s: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


class FakeApis:
    """Start with ``FakeApis()``; ``fail(path, ...)`` scripts a fault; ``close()`` stops it."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.playlists: dict[str, dict[str, Any]] = {}
        # The user's Spotify Connect devices, as /me/player/devices lists them; the active one
        # takes queued tracks. Set is_active False on all for "no active device".
        self.devices: list[dict[str, Any]] = [
            {"id": "phone0001", "is_active": False, "is_private_session": False, "is_restricted": False,
             "name": "Test Phone", "type": "Smartphone", "volume_percent": 80, "supports_volume": True},
            {"id": "laptop0001", "is_active": True, "is_private_session": False, "is_restricted": False,
             "name": "Test Laptop", "type": "Computer", "volume_percent": 50, "supports_volume": True}]
        self.queued: list[tuple[str, str]] = []  # (device id, track URI), in the order they came
        # Titles every song and film takes in turn instead of its made-up one (real catalogues hold
        # titles such as MARKUP_TITLES); None: the made-up titles.
        self.titles: list[str] | None = None
        self._faults: dict[str, Fault] = {}
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def spotify_api_base(self) -> str:
        return f"{self.url}/v1/"

    @property
    def spotify_accounts_base(self) -> str:
        return f"{self.url}/"

    @property
    def tmdb_api_base(self) -> str:
        return f"{self.url}/3"

    def fail(self, path: str, status: int = 200, *, headers: dict[str, str] | None = None, body: bytes | None = None,
             delay_s: float = 0.0, times: int | None = None, byte_every_s: float = 0.0) -> None:
        with self._lock:
            self._faults[path] = Fault(status, headers or {}, body, delay_s, times, byte_every_s)

    def hits(self, path: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.requests if seen.path.startswith(path)]

    def close(self) -> None:
        self._release.set()  # wake handlers still "being slow"
        self._server.shutdown()
        self._server.server_close()

    # ---- used by the handler ----

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for prefix, fault in self._faults.items():
                if path.startswith(prefix):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            del self._faults[prefix]
                    return fault
        return None

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def _wait(self, seconds: float) -> None:
        self._release.wait(seconds)


def closed_port_url() -> str:
    """A loopback URL where nothing listens, so a connection is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _handler(apis: FakeApis) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            pass

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            url = urlparse(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            apis._record(Seen(method, url.path, query, dict(self.headers), body))
            fault = apis._take_fault(url.path)
            if fault and fault.delay_s:
                apis._wait(fault.delay_s)
            trickle = fault.byte_every_s if fault else 0.0
            if fault and (fault.status != 200 or fault.body is not None):
                payload = fault.body
                if payload is None:
                    payload = json.dumps(_error_body(url.path, fault.status)).encode()
                return self._send(fault.status, payload, fault.headers, trickle)
            status, data, headers = _route(apis, method, url.path, query, dict(self.headers), body)
            if status in (204, 301, 302, 303):
                return self._send(status, b"", headers)
            self._send(status, json.dumps(data).encode(), headers, trickle)

        def _send(self, status: int, payload: bytes, headers: dict[str, str], byte_every_s: float = 0.0) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if not byte_every_s:
                    self.wfile.write(payload)
                for index in range(len(payload) if byte_every_s else 0):
                    self.wfile.write(payload[index:index + 1])
                    self.wfile.flush()
                    if apis._release.wait(byte_every_s):
                        return
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout), as it should

    return Handler


#: What Spotify says since February 2026 when a development-mode app's owner has no Premium.
OWNER_PREMIUM_403 = json.dumps({"error": {"status": 403, "message": "Active premium subscription required for the "
                                          "owner of the app"}}).encode()
#: A spent quota: a 429 with a reason, and a Retry-After of a day has been seen.
QUOTA_429 = json.dumps({"error": {"status": 429, "message": "API rate limit exceeded",
                                  "reason": "QUOTA_EXCEEDED"}}).encode()


def _error_body(path: str, status: int) -> dict:
    if path.startswith("/3/"):
        messages = {401: (7, "Invalid API key: You must be granted a valid key."),
                    404: (34, "The resource you requested could not be found."),
                    429: (25, "Your request count is over the allowed limit.")}
        code, message = messages.get(status, (11, "Internal error: Something went wrong, contact TMDB."))
        return {"success": False, "status_code": code, "status_message": message}
    if path == "/api/token":
        return {"error": "invalid_client", "error_description": "Invalid client"}
    if path.startswith("/v1/me/player") and status in (403, 404):  # what the player API says for these
        message, reason = {403: ("Player command failed: Premium required", "PREMIUM_REQUIRED"),
                           404: ("Player command failed: No active device found", "NO_ACTIVE_DEVICE")}[status]
        return {"error": {"status": status, "message": message, "reason": reason}}
    return {"error": {"status": status, "message": {401: "Invalid access token", 403: "Forbidden",
                                                    404: "Service not found", 429: "API rate limit exceeded"}
                      .get(status, "Server error")}}


def _route(apis: FakeApis, method: str, path: str, query: dict[str, str], headers: dict[str, str],
           body: bytes) -> tuple[int, Any, dict[str, str]]:
    if path == "/api/token" and method == "POST":
        return _token(dict((k, v[-1]) for k, v in parse_qs(body.decode()).items()), headers)
    if path == "/authorize" and method == "GET":
        target = query["redirect_uri"] + "?" + urlencode({"code": AUTH_CODE, **({"state": query["state"]}
                                                                             if "state" in query else {})})
        return 302, None, {"Location": target}
    if path.startswith("/v1/"):
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        if not token.startswith("test-"):
            return 401, _error_body(path, 401), {}
        return _spotify(apis, method, path.removeprefix("/v1"), query, token, body)
    if path.startswith("/3/"):
        bearer = headers.get("Authorization", "") == f"Bearer {TMDB_TOKEN}"
        if not bearer and query.get("api_key") != TMDB_KEY:
            return 401, _error_body(path, 401), {}
        return _tmdb(apis, path.removeprefix("/3"), query)
    return 404, _error_body(path, 404), {}


def _token(form: dict[str, str], headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
    grant = form.get("grant_type")
    if grant == "client_credentials":
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if headers.get("Authorization") != expected:
            return 400, {"error": "invalid_client", "error_description": "Invalid client"}, {}
        return 200, {"access_token": "test-app-token", "token_type": "Bearer", "expires_in": 3600}, {}
    if grant == "authorization_code":
        verifier = form.get("code_verifier", "")
        if form.get("client_id") != CLIENT_ID or form.get("code") != AUTH_CODE or len(verifier) < 43:
            return 400, {"error": "invalid_grant", "error_description": "Invalid authorization code"}, {}
        return 200, {"access_token": USER_TOKEN, "token_type": "Bearer", "expires_in": 3600,
                     "refresh_token": REFRESH_TOKEN, "scope": SCOPES}, {}
    if grant == "refresh_token" and form.get("refresh_token") == REFRESH_TOKEN:
        return 200, {"access_token": USER_TOKEN, "token_type": "Bearer", "expires_in": 3600, "scope": SCOPES}, {}
    return 400, {"error": "unsupported_grant_type", "error_description": "grant_type not supported"}, {}


def _spotify(apis: FakeApis, method: str, path: str, query: dict[str, str], token: str,
             body: bytes) -> tuple[int, Any, dict[str, str]]:
    if path == "/search" and method == "GET":
        return _search(apis, query)
    user_only = token == USER_TOKEN
    if path in ("/me", "/me/") and method == "GET" and user_only:
        return 200, {"id": "testuser", "display_name": "Test User", "type": "user", "uri": "spotify:user:testuser"}, {}
    if path == "/me/playlists" and method == "POST" and user_only:
        request = json.loads(body)
        playlist_id = f"testplaylist{len(apis.playlists) + 1}"
        apis.playlists[playlist_id] = {"name": request["name"], "public": request.get("public"), "items": []}
        return 201, {"id": playlist_id, "name": request["name"], "type": "playlist",
                     "uri": f"spotify:playlist:{playlist_id}",
                     "external_urls": {"spotify": f"https://open.spotify.com/playlist/{playlist_id}"}}, {}
    match = re.fullmatch(r"/playlists/(\w+)/items", path)
    if match and method == "POST" and user_only and match.group(1) in apis.playlists:
        request = json.loads(body)
        uris = request["uris"] if isinstance(request, dict) else request
        if len(uris) > 100:
            return 400, {"error": {"status": 400, "message": "You can add a maximum of 100 tracks per request."}}, {}
        apis.playlists[match.group(1)]["items"].extend(uris)
        return 201, {"snapshot_id": f"snapshot{len(apis.playlists[match.group(1)]['items'])}"}, {}
    if path == "/me/player/devices" and method == "GET" and user_only:
        return 200, {"devices": apis.devices}, {}
    if path == "/me/player/queue" and method == "POST" and user_only:
        active = [d["id"] for d in apis.devices if d["is_active"]]
        device = query.get("device_id") or (active[0] if active else None)
        if device not in active:
            return 404, _error_body("/v1" + path, 404), {}
        if not query.get("uri", "").startswith("spotify:track:"):
            return 400, {"error": {"status": 400, "message": "Invalid base62 id"}}, {}
        apis.queued.append((device, query["uri"]))
        return 204, None, {}
    if not user_only and (path.startswith("/me") or path.startswith("/playlists")):
        return 401, {"error": {"status": 401, "message": "This request requires user authentication."}}, {}
    return 404, _error_body(path, 404), {}  # including the pre-2026 /users/{id}/playlists and /tracks


def _search(apis: FakeApis, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
    limit, offset = int(query.get("limit", 10)), int(query.get("offset", 0))
    if not 0 < limit <= 10:  # the 2026 maximum
        return 400, {"error": {"status": 400, "message": "Invalid limit"}}, {}
    match = re.search(r'genre:"([^"]+)"', query.get("q", ""))
    genre = match.group(1) if match else ""
    total = 0 if genre in ("", "nothing") else TRACKS_PER_GENRE
    # Three songs in a row by one artist, so the two-per-artist rule has work to do.
    items = [{"id": f"{genre}{n}",
              "name": apis.titles[n % len(apis.titles)] if apis.titles else f"{genre.title()} Song {n}",
              "type": "track", "explicit": False,
              "uri": f"spotify:track:{re.sub('[^0-9A-Za-z]', '', genre)}{n:04d}",
              "artists": [{"name": f"{genre.title()} Artist {n // 3}", "type": "artist"}],
              "album": {"name": f"{genre.title()} Album", "release_date": "2020-01-01"}, "duration_ms": 200000}
             for n in range(offset, min(offset + limit, total))]
    base = f"{apis.url}/v1/search?"
    following = base + urlencode({**query, "offset": offset + limit}) if offset + limit < total else None
    return 200, {"tracks": {"href": base + urlencode(query), "items": items, "limit": limit, "offset": offset,
                            "total": total, "next": following, "previous": None}}, {}


def _tmdb(apis: FakeApis, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
    if path == "/genre/movie/list":
        names = FRENCH_GENRES if query.get("language", "").startswith("fr") else ENGLISH_GENRES
        return 200, {"genres": [{"id": k, "name": v} for k, v in names.items()]}, {}
    if path == "/discover/movie":
        wanted = {int(g) for g in re.split(r"[|,]", query.get("with_genres", "")) if g}
        without = query.get("without_genres", "")
        unwanted = {int(g) for g in re.split(r"[|,]", without) if g}
        # As TMDB reads it: commas leave out a film with any of the genres, pipes (OR of the
        # negations) only a film with all of them.
        def left_out(genres: set[int]) -> bool:
            return bool(unwanted) and (unwanted <= genres if "|" in without else bool(unwanted & genres))

        films = [f for f in FILMS
                 if (not wanted or wanted & set(f["genre_ids"])) and not left_out(set(f["genre_ids"]))]
        page = int(query.get("page", 1))
        chunk = films[(page - 1) * 20: page * 20]
        return 200, {"page": page, "total_pages": (len(films) + 19) // 20, "total_results": len(films),
                     "results": [{**f, "adult": False, "overview": "", "vote_count": 1000, "vote_average": 7.5,
                                  **({"title": apis.titles[f["id"] % len(apis.titles)]} if apis.titles else {})}
                                 for f in chunk]}, {}
    return 404, _error_body("/3" + path, 404), {}


def quick_settings(budget_s: float = 1.0, cache_ttl_s: int = 0, **tmdb: Any) -> Settings:
    """The settings (with the environment's base URLs) and a short budget, for fast fault tests."""
    settings = load_settings()
    recommend = settings.recommend.model_copy(update={"budget_s": budget_s, "cache_ttl_s": cache_ttl_s})
    return settings.model_copy(update={"recommend": recommend, "tmdb": settings.tmdb.model_copy(update=tmdb)})


@pytest.fixture
def fake_apis(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApis]:
    """The fake server, with keys and base-URL overrides in the environment pointing at it."""
    apis = FakeApis()
    monkeypatch.setenv("ASSISTANT_SPOTIFY_API_BASE", apis.spotify_api_base)
    monkeypatch.setenv("ASSISTANT_SPOTIFY_ACCOUNTS_BASE", apis.spotify_accounts_base)
    monkeypatch.setenv("ASSISTANT_TMDB_API_BASE", apis.tmdb_api_base)
    monkeypatch.setenv("SPOTIPY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SPOTIPY_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("TMDB_API_KEY", TMDB_KEY)
    yield apis
    apis.close()
