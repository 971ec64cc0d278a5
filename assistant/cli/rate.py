"""`assistant rate`: like or dismiss a past session's suggestions after the fact."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Optional

import typer
from rich.prompt import Prompt
from sqlmodel import Session

from assistant.cli import options
from assistant.cli.output import console, err_console, print_error, print_json
from assistant.storage import ratings
from assistant.storage.database import database, db_path
from assistant.storage.models import SessionRow
from assistant.storage.ratings import Rated
from assistant.ui.tables import MARKS, suggestion_table
from config.errors import UserError
from recommenders.taste import Verdict


def rate(
    session_id: Optional[int] = typer.Argument(None, metavar="SESSION_ID", show_default=False,
                                               help="Session whose suggestions to rate (see `assistant history`); "
                                                    "default: the last one."),
    last: bool = typer.Option(False, "--last", help="Rate the most recent session's suggestions."),
    like: Optional[str] = typer.Option(None, "--like", metavar="N,N", show_default=False,
                                       help="Numbers of the suggestions you liked, e.g. 1,3."),
    dismiss: Optional[str] = typer.Option(None, "--dismiss", metavar="N,N", show_default=False,
                                          help="Numbers of the suggestions you do not want again, e.g. 2."),
    db: Optional[Path] = options.db_option(),
    as_json: bool = options.json_option("what was rated"),
) -> None:
    """Like or dismiss a session's suggestions, numbered 1 to N as `assistant report` lists them.

    Without --like and --dismiss it lists them and asks. Later suggestions follow what you
    like, and a dismissed song or film is never suggested again (see `assistant taste`).
    """
    path = db_path(db)
    with database(path) as engine:
        chosen = options.pick_session(engine, session_id, last)
        with Session(engine) as db_session:  # read, then let go of the file while the person answers
            if db_session.get(SessionRow, chosen) is None:
                raise UserError(f"no session {chosen}; `assistant history` lists the sessions")
            listed = ratings.session_suggestions(db_session, chosen)
        if not listed:
            raise UserError(f"session {chosen} has no suggestions to rate")
        if like is None and dismiss is None:
            verdicts = _ask(listed, chosen)
        else:
            verdicts = _verdicts(listed, chosen, like or "", dismiss or "")
        if verdicts:
            with engine.connect().execution_options(immediate=True) as conn, Session(bind=conn) as db_session:
                now = time.time()
                ratings.record(db_session, [(listed[n - 1].suggestion.id, v, now) for n, v in verdicts.items()])
                db_session.commit()
    if as_json:
        print_json({"session_id": chosen, "rated": [
            {"number": n, "kind": listed[n - 1].suggestion.kind, "title": listed[n - 1].suggestion.title, "verdict": v}
            for n, v in sorted(verdicts.items())]})
        return
    if not verdicts:
        console.print("Nothing rated.")
        return
    said = "; ".join(f"{MARKS[verdict]} {', '.join(str(n) for n, v in verdicts.items() if v == verdict)}"
                     for verdict in MARKS if verdict in verdicts.values())
    console.print(f"Session {chosen}: {said}. `assistant taste` shows what your ratings taught.", highlight=False)


def _numbers(text: str, option: str, count: int, session_id: int) -> list[int]:
    numbers = []
    for part in (p for p in re.split(r"[,\s]+", text.strip()) if p):
        if not part.isdigit():
            raise UserError(f"{option} takes suggestion numbers like 1,3; not {text!r}")
        number = int(part)
        if not 1 <= number <= count:
            raise UserError(f"session {session_id} has no suggestion {number} (its suggestions are 1 to {count})")
        numbers.append(number)
    return numbers


def _verdicts(listed: list[Rated], session_id: int, like: str, dismiss: str) -> dict[int, Verdict]:
    """Suggestion number -> verdict, every number checked before anything is written."""
    liked = _numbers(like, "--like", len(listed), session_id)
    dismissed = _numbers(dismiss, "--dismiss", len(listed), session_id)
    both = sorted(set(liked) & set(dismissed))
    if both:
        raise UserError(f"suggestion {both[0]} is in both --like and --dismiss")
    return {**{n: "like" for n in liked}, **{n: "dismiss" for n in dismissed}}


def _ask(listed: list[Rated], session_id: int) -> dict[int, Verdict]:
    """The numbered list on stderr, then the two questions, asked again until the answer makes sense."""
    err_console.print(suggestion_table(listed, session_id))
    while True:
        try:
            like = Prompt.ask("Liked (numbers, e.g. 1,3; Enter for none)", console=err_console, default="",
                              show_default=False)
            dismiss = Prompt.ask("Dismissed, never to be suggested again", console=err_console, default="",
                                 show_default=False)
        except EOFError:
            raise UserError("no answer; give --like and --dismiss to rate without questions") from None
        try:
            return _verdicts(listed, session_id, like, dismiss)
        except UserError as error:
            print_error(str(error))
