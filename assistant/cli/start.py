"""`assistant start`: the live session, from a camera, a video file or a folder of images.

The session's modules (torch, OpenCV, mediapipe) are imported inside the command, so that
`assistant --help` and the other commands do not pay seconds of start-up for them.
"""

from __future__ import annotations

import queue
from contextlib import ExitStack, closing
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Optional

import typer

from assistant.cli import options, state
from assistant.cli.output import console, err_console, print_json, print_note
from assistant.ui.views import duration as human_duration
from config.errors import UserError

if TYPE_CHECKING:
    from assistant.session.loop import LiveSummary, SessionStatus
    from assistant.ui.dashboard import Dashboard
    from assistant.ui.overlay import Overlay
    from config.settings import Settings
    from recognizer.calibration import Calibrator
    from recommenders.playback import Player


def start(
    source: str = typer.Option("0", "--source", metavar="0|1|PATH",
                               help="A camera index (0 is the default webcam), a video file, or a folder of images "
                                    "(taken in name order, 10 per second)."),
    duration: Optional[float] = typer.Option(None, "--duration", metavar="SECONDS", show_default=False,
                                             help="End after this many seconds of the source's time (default: when "
                                                  "the source ends, on q or Esc in the window, or on Ctrl-C)."),
    headless: bool = typer.Option(False, "--headless", help="No video window, only the terminal."),
    offline: bool = typer.Option(False, "--offline", help="Suggestions from the built-in catalog only: no network, "
                                                          "no keys needed."),
    strategy: Optional[Literal["match", "uplift", "calm"]] = typer.Option(
        None, "--strategy", show_default=False,
        help="match (suits the mood), uplift (moves towards positive, calmer choices round by round) or calm. "
             "Default: the session.strategy setting."),
    db: Optional[Path] = options.db_option(),
    no_learning: bool = options.no_learning_option(),
    profile: Optional[str] = options.profile_option(
        "Correct the model for this person's resting face (`assistant calibrate --profile NAME`). "
        "Default: the recognizer.calibration setting."),
    play: bool = typer.Option(False, "--play", help="Add each round's Spotify tracks to the queue of your active "
                                                    "Spotify device (Premium; `assistant auth spotify` first). "
                                                    "Default: the spotify.play setting."),
    as_json: bool = options.json_option("the summary at the end"),
    realtime: bool = typer.Option(False, "--realtime", help="Play a video file or image folder at its own pace, "
                                                            "dropping frames when behind, as a camera would. "
                                                            "Default: as fast as frames can be analysed."),
    loop: bool = typer.Option(False, "--loop", help="Start a video file again at its end, time running on, until "
                                                    "--duration or Ctrl-C (a short clip as a long session)."),
    save_frames: Optional[Path] = typer.Option(None, "--save-frames", metavar="DIR", show_default=False,
                                               help="Also write each analysed frame as a JPEG into DIR. Without it "
                                                    "no image is stored anywhere."),
) -> None:
    """Watch a camera or a video, follow the mood, and suggest music and movies for it.

    Every frame's emotions, the mood changes and the suggestions are recorded in the
    session database (`assistant history` lists the sessions); images are not. Ctrl-C
    (or q) ends the session and keeps everything recorded.

    Suggestions are numbered: in the terminal or the video window, 1-9 and 0 like one, x
    then its number dismisses it for good. Later rounds and sessions follow what you like
    (`assistant taste`).
    """
    from assistant.session.run import effective_settings, prepare, record
    from assistant.session.sources import open_source
    from assistant.session.stop import Stop, stop_on_signals
    from assistant.storage.database import db_path
    from assistant.storage.taste import load_taste

    if duration is not None:
        options.check_seconds("--duration", duration)
    settings = effective_settings(state.settings(), strategy=strategy, offline=offline, no_learning=no_learning)
    settings, player = _playback(settings, play)
    path = db_path(db)
    calibration = _calibration(settings, path, profile)
    taste = load_taste(path) if settings.recommend.learn else None
    keys: queue.SimpleQueue[str] = queue.SimpleQueue()
    with ExitStack() as stack:
        frames = stack.enter_context(closing(open_source(source, realtime=realtime, loop=loop)))
        if save_frames is not None:
            _make_frames_folder(save_frames)
        overlay = None if headless else _open_overlay(keys)
        if overlay is not None:
            stack.callback(overlay.close)
        pipeline, rounds = prepare(settings, taste, player, calibration)
        stack.callback(pipeline.close)
        dashboard = _open_dashboard(stack, keys)
        views = [view for view in (dashboard, overlay) if view is not None]

        def show(status: SessionStatus) -> None:
            for view in views:
                view.update(status)

        stop = Stop()
        with stop_on_signals(stop):
            summary = record(settings, frames, path, pipeline, rounds, stop, duration_s=duration,
                             save_frames=save_frames, on_frame=overlay, keys=keys, on_status=show if views else None)
    for note in () if dashboard is not None else summary.notes:  # the dashboard has shown them
        print_note(note)
    if as_json:
        print_json(summary.to_json())
    else:
        _print_summary(summary)


def _calibration(settings: Settings, path: Path, profile: str | None) -> Calibrator | None:
    """The resting-face correction this session applies: --profile's, else the recognizer.calibration
    setting's; one made for other weights is left out with a note."""
    from assistant.session.calibration import session_calibration
    from assistant.storage.profiles import check_name
    from recognizer.from_settings import weights_file
    from recognizer.weights import read_manifest

    calibration, ignored = session_calibration(settings, path, read_manifest(weights_file(settings)),
                                               None if profile is None else check_name(profile))
    if ignored is not None:
        print_note(ignored)
    return calibration


def _open_dashboard(stack: ExitStack, keys: queue.SimpleQueue[str]) -> Dashboard | None:
    """The live dashboard and the rating keys, when stderr is a terminal (closed with ``stack``)."""
    from assistant.ui.dashboard import Dashboard
    from assistant.ui.keys import TerminalKeys

    if not err_console.is_terminal:
        return None
    terminal = stack.enter_context(TerminalKeys(keys))
    if terminal.unavailable:
        print_note(f"keys in the terminal: {terminal.unavailable}; rate in the video window or afterwards "
                   "with `assistant rate`")
    return stack.enter_context(Dashboard(err_console))


def _playback(settings: Settings, play: bool) -> tuple[Settings, Player | None]:
    """The player for --play (or the spotify.play setting), checked before anything is
    loaded or recorded: a missing login is an error now, not a note in every round. The
    settings returned say whether this session plays, as its row records them."""
    from recommenders.playback import Player
    from recommenders.spotify_auth import logged_in_auth

    if play and settings.recommend.offline:
        raise UserError("--play needs Spotify, and this session is offline (--offline or recommend.offline)")
    wanted = play or settings.spotify.play
    if wanted and settings.recommend.offline:
        print_note("spotify.play is on but the session is offline: nothing is queued on Spotify")
    if not wanted or settings.recommend.offline:
        return settings.model_copy(update={"spotify": settings.spotify.model_copy(update={"play": False})}), None
    budget = settings.recommend.budget_s
    player = Player(logged_in_auth(settings.spotify, budget, need="playback"), settings.spotify, budget)
    return settings.model_copy(update={"spotify": settings.spotify.model_copy(update={"play": True})}), player


def _make_frames_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--save-frames takes a folder; {folder} is a file")
    try:
        # Frames are faces: a folder made here is the user's alone (an existing one keeps its mode).
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create {folder}: {error.strerror}") from None


def _open_overlay(keys: queue.SimpleQueue[str]) -> Overlay | None:
    from assistant.ui.overlay import NoDisplay, Overlay

    try:
        return Overlay(keys)
    except NoDisplay as reason:
        print_note(f"{reason}; continuing without the video window")
        return None


def _print_summary(summary: LiveSummary) -> None:
    dropped = f", {summary.dropped} dropped" if summary.dropped else ""
    console.print(f"Session {summary.session_id}: {human_duration(summary.duration_s)} of source time, "
                  f"{summary.frames} frames ({summary.frames_with_face} with a face{dropped}) "
                  f"at {summary.fps:.1f} fps; ended: {summary.end_reason}.",
                  markup=False, highlight=False, soft_wrap=True)
    moods = " → ".join(f"{mood or 'unknown'} at {t:.1f} s" for t, mood in summary.moods)
    console.print(f"Moods: {moods or 'none established'}.", highlight=False, soft_wrap=True)
    console.print(f"{summary.suggestions} suggestions recorded; `assistant report {summary.session_id}` shows the "
                  "session.", highlight=False, soft_wrap=True)
