"""Liking and dismissing the suggestions on show during a live session, one key at a time.

The keys, the same in the terminal dashboard and in the video window:

- ``1`` … ``9``, ``0``: like suggestion 1 … 9, 10 (music first, then movies, as numbered on screen);
- ``x`` then a number: dismiss that suggestion, never to be suggested again (``x`` alone
  again, or any other key, cancels);

and a later key on the same suggestion replaces its verdict. Digits clash with nothing the
window or the terminal already used (``q``/Esc end the session). A shifted digit would
save the ``x`` but types a different character on every keyboard layout; ``x`` is the
same everywhere. Suggestions past the tenth can be rated afterwards with `assistant rate`.

Each rating goes to the session recorder at once (written with the next flush, in the
same transaction as the suggestions it rates) and to the suggestion worker, whose next
round already follows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from assistant.session.suggestions import Round, SuggestionRounds
from assistant.storage.recorder import SessionRecorder, SuggestionRecord
from recommenders.base import Movie, Track
from recommenders.taste import Verdict, genres_of

#: Key -> the number of the suggestion it names.
NUMBER_KEYS: Mapping[str, int] = {**{str(n): n for n in range(1, 10)}, "0": 10}
DISMISS_KEY = "x"
#: The one-line reminder the dashboard and the window show under the suggestions.
HINT = "1-9, 0: like  ·  x then a number: dismiss"


@dataclass(frozen=True)
class Marks:
    """What the person has pressed on the suggestions on show, for the views to draw."""

    verdicts: Mapping[int, Verdict]  # suggestion number -> its verdict
    message: str | None  # what the last key did, or what it waits for


class LiveFeedback:
    """Turns keys into ratings of the round on show. Drive it from the frame loop's thread."""

    def __init__(self, recorder: SessionRecorder, rounds: SuggestionRounds | None) -> None:
        self._recorder, self._rounds = recorder, rounds
        self._round: Round | None = None
        self._items: list[Track | Movie] = []
        self._records: list[SuggestionRecord] = []
        self._handles: list[int] = []
        self._verdicts: dict[int, Verdict] = {}
        self._dismissing = False
        self._message: str | None = None

    @property
    def marks(self) -> Marks:
        return Marks(dict(self._verdicts), self._message)

    def show(self, answer: Round, records: list[SuggestionRecord], handles: list[int]) -> None:
        """A new round is on show: its records and their recorder handles, in the order they are
        numbered (music, then movies). Numbers start again at 1."""
        suggestions = answer.suggestions
        self._round, self._items, self._records, self._handles = (
            answer, [*suggestions.music, *suggestions.movies], records, handles)
        self._verdicts, self._dismissing, self._message = {}, False, None

    def press(self, key: str) -> bool:
        """One key; True when it changed what the views show."""
        if key == DISMISS_KEY and not self._dismissing:
            self._dismissing, self._message = True, "dismiss which? press its number"
            return True
        verdict: Verdict = "dismiss" if self._dismissing else "like"
        self._dismissing = False
        number = NUMBER_KEYS.get(key)
        if number is None:
            if verdict == "dismiss":  # any other key cancels a pending x
                self._message = None
                return True
            return False
        self._message = self._rate(number, verdict)
        return True

    def _rate(self, number: int, verdict: Verdict) -> str:
        if self._round is None:
            return "no suggestions to rate yet"
        if number > len(self._handles):
            return f"no suggestion {number} on show"
        suggestions, item, record = self._round.suggestions, self._items[number - 1], self._records[number - 1]
        previous = self._verdicts.get(number)
        self._recorder.add_rating(self._handles[number - 1], verdict)
        if self._rounds is not None and suggestions.mood is not None:
            self._rounds.learn(suggestions.mood, suggestions.strategy, record.kind,
                               genres_of(record.kind, record.genre), item.key, verdict, previous)
        self._verdicts[number] = verdict
        return f"{'liked' if verdict == 'like' else 'dismissed'} {number}: {record.title}"
