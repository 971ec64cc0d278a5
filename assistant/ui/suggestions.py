"""One round of suggestions as tables: the music, the movies and where they came from."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from recommenders.service import Suggestions
from recommenders.tmdb import ATTRIBUTION


def render_suggestions(suggestions: Suggestions) -> list[RenderableType]:
    """The heading, the music and the movies, and TMDB's attribution when TMDB answered.

    Titles, artists and genres come from the catalogues, so they are `Text`, never markup."""
    heading = Text.assemble((suggestions.mood, "bold"), f" · {suggestions.strategy} · {suggestions.source}")
    music = Table(title=f"Music ({_marked(suggestions.music_source)})", title_justify="left")
    for column in ("Title", "Artist", "Genre"):
        music.add_column(column)
    for track in suggestions.music:
        music.add_row(Text(track.title), Text(track.artist), Text(track.genre))
    movies = Table(title=f"Movies ({_marked(suggestions.movie_source)})", title_justify="left")
    for column in ("Title", "Year", "Genres"):
        movies.add_column(column)
    for movie in suggestions.movies:
        movies.add_row(Text(movie.title), str(movie.year or ""), Text(", ".join(movie.genres)))
    return [heading, music, movies, *([Text(ATTRIBUTION, style="dim")] if suggestions.shows_tmdb else [])]


def _marked(source: str) -> str:
    return "offline" if source == "offline catalog" else source
