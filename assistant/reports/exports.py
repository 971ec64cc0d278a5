"""A session's suggestions as files: an M3U8 playlist of the music, or every item as CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import quote

from assistant.reports.queries import ExportItem

COLUMNS = list(ExportItem.model_fields)
#: The only URIs a playlist entry may point at: anything else (``file:///etc/passwd``) came from
#: a catalogue, not from Spotify, and a player would open it.
SPOTIFY_TRACK = re.compile(r"spotify:track:[0-9A-Za-z]{1,64}")
#: A spreadsheet reads a cell that starts with one of these as a formula (OWASP's CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def playlist(items: list[ExportItem]) -> list[ExportItem]:
    """The music, each song once: rounds of suggestions repeat songs, a playlist should not."""
    seen: dict[tuple[str, str], ExportItem] = {}
    for item in items:
        if item.kind == "music":
            seen.setdefault(((item.artist or "").casefold(), item.title.casefold()), item)
    return list(seen.values())


def _location(item: ExportItem) -> str:
    """The Spotify URI when known; otherwise Spotify's web search for the song, which opens in
    the app or a browser, because an M3U entry needs a location and the catalog has none."""
    if item.uri and SPOTIFY_TRACK.fullmatch(item.uri):
        return item.uri
    return "https://open.spotify.com/search/" + quote(" ".join(filter(None, (item.artist, item.title))), safe="")


def to_m3u(tracks: list[ExportItem], name: str) -> str:
    lines = ["#EXTM3U", f"#PLAYLIST:{one_line(name)}"]
    for track in tracks:
        label = f"{track.artist} - {track.title}" if track.artist else track.title
        lines += [f"#EXTINF:-1,{one_line(label)}", _location(track)]
    return "\n".join(lines) + "\n"


def to_csv(items: list[ExportItem]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows([inert(getattr(item, column)) for column in COLUMNS] for item in items)
    return buffer.getvalue()


def one_line(text: str) -> str:
    """A title on one line: in an M3U a line break would start an entry of the title's choosing."""
    return " ".join(text.splitlines())


def inert(value: object) -> object:
    """A cell a spreadsheet shows as text: a leading ' stops ``=HYPERLINK(...)`` from running as a formula."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def write_atomically(path: Path, text: str, *, overwrite: bool) -> None:
    """Write ``text`` to a temporary file beside ``path``, then move it into place: a full disk or a
    crash leaves the old file whole and no partial one. Without ``overwrite`` an existing file is
    never replaced (FileExistsError), even one that appeared while writing."""
    handle = tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp",
                                         encoding="utf-8", newline="", delete=False)
    try:
        with handle:
            # newline="": the CSV writer's own CRLF (RFC 4180) must not be translated again.
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(handle.name, path)
        else:
            os.link(handle.name, path)
    finally:
        Path(handle.name).unlink(missing_ok=True)


def to_json(session_id: int, items: list[ExportItem]) -> str:
    return json.dumps({"session_id": session_id, "suggestions": [item.model_dump() for item in items]}, indent=2,
                      ensure_ascii=False) + "\n"
