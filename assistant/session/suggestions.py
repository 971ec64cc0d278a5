"""Rounds of suggestions during a session, asked in a worker thread.

Spotify and TMDB may take seconds to answer (up to the recommend.budget_s setting); asked
from the frame loop, they would freeze the dashboard and make a camera drop every frame
meanwhile. The loop only says when a round is wanted (`consider`) and picks up answers
(`poll`), both cheap enough for every frame. One round is in flight at a time, and the
worker alone keeps what was already suggested, so no song or film repeats in a session.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from dataclasses import dataclass

from assistant.storage.recorder import SuggestionRecord
from recommenders.catalog import OfflineMusic
from recommenders.playback import Player
from recommenders.service import Recommendations, Suggestions
from recommenders.taste import Verdict

# How often a closing session looks for a signal telling it to stop waiting.
CANCEL_POLL_S = 0.05


@dataclass(frozen=True)
class Round:
    """One answer, with the time (on the source's timeline) of the mood it was asked for."""

    t: float
    suggestions: Suggestions

    def records(self) -> list[SuggestionRecord]:
        """The rows the recorder keeps for this round, each marked online or offline."""
        s = self.suggestions
        music = _online(s.music_source)
        movies = _online(s.movie_source)
        return [
            *(SuggestionRecord("music", track.title, music, artist=track.artist, genre=track.genre, uri=track.uri)
              for track in s.music),
            *(SuggestionRecord("movie", movie.title, movies, year=movie.year, genre=", ".join(movie.genres) or None,
                               tmdb_id=movie.tmdb_id)
              for movie in s.movies),
        ]


def _online(source_name: str) -> str:
    return "offline" if source_name == OfflineMusic.name else "online"


class SuggestionRounds:
    """Decides when a round is due and runs it off the frame loop.

    A round is due when the mood is established and differs from the mood of the last
    round, and at least ``interval_s`` of source time has passed since that round (the
    first mood of a session always gets one). A change that comes too soon is not lost:
    it gets its round once the interval has passed, if the mood still holds.
    """

    def __init__(self, service: Recommendations, *, strategy: str, limit: int, interval_s: float,
                 final_wait_s: float = 2.0, player: Player | None = None) -> None:
        """``final_wait_s``: how long the end of a session waits for its last round (the API
        budget, twice when playing). ``player``: queue each round's tracks on the person's
        Spotify device, here in the worker, so the frame loop never waits for it."""
        self.strategy, self.limit, self.interval_s, self.final_wait_s = strategy, limit, interval_s, final_wait_s
        self._service, self._player = service, player
        self._requests: queue.SimpleQueue[tuple[float, str, int] | None] = queue.SimpleQueue()
        self._answers: queue.SimpleQueue[Round | BaseException] = queue.SimpleQueue()
        self._seen: set[str] = set()  # touched by the worker only
        self._ratings: queue.SimpleQueue[tuple] = queue.SimpleQueue()  # for the worker to teach the taste
        self._asked_mood: str | None = None
        self._asked_t: float | None = None
        self._rounds = 0
        self._in_flight = False
        self._worker = threading.Thread(target=self._work, name="suggestions", daemon=True)
        self._worker.start()

    @property
    def fetching(self) -> bool:
        """Whether a round has been asked for and not yet answered."""
        return self._in_flight

    def next_round_at(self, mood: str | None) -> float | None:
        """Source time from which a round for ``mood`` may be asked, when the suggestions on
        show are for another mood; None when they are for this one (or nothing was asked yet)."""
        if mood is None or self._asked_t is None or mood == self._asked_mood:
            return None
        return self._asked_t + self.interval_s

    def consider(self, t: float, mood: str | None, *, final: bool = False) -> None:
        """Ask for a round if one is due at ``t`` for ``mood``; returns at once.

        ``final``: the session is ending, so the interval no longer applies: what is
        recorded (and exported) then ends with suggestions for the mood the session ended in.
        """
        if mood is None or mood == self._asked_mood or self._in_flight:
            return
        if not final and self._asked_t is not None and t - self._asked_t < self.interval_s:
            return
        self._asked_mood, self._asked_t, self._in_flight = mood, t, True
        self._requests.put((t, mood, self._rounds))
        self._rounds += 1

    def learn(self, mood: str, strategy: str, kind: str, genres: tuple[str, ...], key: str, verdict: Verdict,
              previous: Verdict | None) -> None:
        """A rating made during the session; the next round follows it (the worker alone touches the taste)."""
        self._ratings.put((mood, strategy, kind, genres, key, verdict, previous))

    def poll(self) -> Round | None:
        """The answer to the round in flight, if it has come."""
        if not self._in_flight:
            return None
        try:
            answer = self._answers.get_nowait()
        except queue.Empty:
            return None
        return self._settled(answer)

    def finish(self, t: float, mood: str | None, *, hurry: bool = False,
               cancel: threading.Event | None = None) -> list[Round]:
        """The session ends at ``t`` in ``mood``: collect the round in flight and, if the last
        round was for another mood, one final round for this one, both within
        ``final_wait_s``; then let the worker go. ``hurry`` (a second Ctrl-C, an error)
        waits for nothing, and ``cancel`` being set (a signal while closing) ends the wait."""
        answers = []
        deadline = time.monotonic() + self.final_wait_s
        for ask_final in (True, False):
            if self._in_flight and not hurry:
                try:
                    answers.append(self._settled(self._next_answer(deadline, cancel)))
                except queue.Empty:
                    break  # an online source still thinking; the daemon thread cannot hold up the exit
            if ask_final and not hurry and not self._in_flight:
                self.consider(t, mood, final=True)
        self._requests.put(None)
        return answers

    def _next_answer(self, deadline: float, cancel: threading.Event | None) -> Round | BaseException:
        """The worker's next answer, or queue.Empty at ``deadline`` or as soon as ``cancel`` is set."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (cancel is not None and cancel.is_set()):
                raise queue.Empty
            try:
                return self._answers.get(timeout=min(remaining, CANCEL_POLL_S))
            except queue.Empty:
                continue

    def _settled(self, answer: Round | BaseException) -> Round:
        self._in_flight = False
        if isinstance(answer, BaseException):
            raise answer  # a fault of our own code, not of a source: the service never raises for those
        return answer

    def _work(self) -> None:
        while (request := self._requests.get()) is not None:
            t, mood, round_no = request
            while not self._ratings.empty():
                rating = self._ratings.get()
                if self._service.taste is not None:
                    self._service.taste.learn(*rating)
            try:
                suggestions = self._service.suggest(mood, self.strategy, limit=self.limit, round_no=round_no,
                                                    seen=self._seen)
            except BaseException as error:  # noqa: BLE001 - handed to the frame loop, which raises it
                self._answers.put(error)
                continue
            self._seen |= suggestions.keys()
            if self._player is not None and (note := self._player.queue(suggestions.music)) is not None:
                suggestions = dataclasses.replace(suggestions, notes=(*suggestions.notes, note))
            self._answers.put(Round(t, suggestions))
