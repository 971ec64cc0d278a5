"""A session's suggestions as files: an M3U8 playlist of the music, or every item as CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, fields
from urllib.parse import quote

from assistant.reports import ExportItem

COLUMNS = [field.name for field in fields(ExportItem)]


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
    if item.uri:
        return item.uri
    return "https://open.spotify.com/search/" + quote(" ".join(filter(None, (item.artist, item.title))), safe="")


def to_m3u(tracks: list[ExportItem], name: str) -> str:
    lines = ["#EXTM3U", f"#PLAYLIST:{name}"]
    for track in tracks:
        label = f"{track.artist} - {track.title}" if track.artist else track.title
        lines += [f"#EXTINF:-1,{label}", _location(track)]
    return "\n".join(lines) + "\n"


def to_csv(items: list[ExportItem]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows([getattr(item, column) for column in COLUMNS] for item in items)
    return buffer.getvalue()


def to_json(session_id: int, items: list[ExportItem]) -> str:
    return json.dumps({"session_id": session_id, "suggestions": [asdict(item) for item in items]}, indent=2,
                      ensure_ascii=False) + "\n"
