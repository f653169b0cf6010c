"""The Textual app: navigation, the profile, the runner badge and the workers that reach the core.

Build it with `create_app(service, user=..., watch=...)`: the CLI and the tests share this
factory, so tests run the exact app with an in-memory fake or a real service on a temp DB.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType

from quizapp.tui.commands import QuizCommands
from quizapp.tui.messages import (
    BankReloaded,
    Booted,
    BootFailed,
    RoundEmpty,
    RoundReady,
    ServiceError,
)
from quizapp.tui.ports import Service, UserLike
from quizapp.tui.practice import (
    MOCK_QUESTIONS,
    MOCK_SECONDS_PER_QUESTION,
    MODES,
    Item,
    Round,
    spread_topics,
)

if TYPE_CHECKING:
    from quizapp.tui.screens.scratchpad import ScratchpadScreen

ServiceSource = Service | Callable[[], Service]
RUNNER_POLL_S = 0.25
QUIT_GRACE_S = 5.0  # how long quitting waits for a running check to be saved
# The store knows four kinds of session; a mixed round is a review, one question a drill.
SESSION_MODE = {"single": "drill"}  # a single question from the browser is a drill
SCRATCHPAD = "scratchpad"


class QuizApp(App[None]):
    """Practise PyTorch interview questions."""

    TITLE = "quizapp"
    CSS_PATH: ClassVar = ["app.tcss", "widgets/readiness.tcss"]
    COMMANDS: ClassVar = App.COMMANDS | {QuizCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True, show=False),  # in help and palette
    ]

    def __init__(
        self, service: ServiceSource, *, user: str | None = None, watch: bool = False
    ) -> None:
        super().__init__()
        self._service_source = service
        self._service: Service | None = None
        self.user: str | None = None
        self._wanted_user = user
        self.watch_bank = watch
        self.runner_label = "starting"
        self.bank_version = 0
        self._watch_stop = threading.Event()
        self._open_sessions: set[int] = set()
        self._quitting = False
        self._scratchpad: ScratchpadScreen | None = None

    # -- the service ------------------------------------------------------------------------
    @property
    def service(self) -> Service:
        if self._service is None:
            raise RuntimeError("the service is not ready yet")
        return self._service

    @property
    def ready(self) -> bool:
        return self._service is not None

    def on_mount(self) -> None:
        from quizapp.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        self._update_subtitle()
        # Paint first: the boot worker's imports (pydantic, SQLAlchemy) would hold the GIL.
        self.call_after_refresh(self.boot)

    @work(thread=True, exclusive=True, group="boot")
    def boot(self) -> None:
        """Builds the service when given a factory (so the first frame never waits for it)."""
        try:
            source = self._service_source
            service = source if not callable(source) else source()
            service.start_runner()
            users = service.users()
        except Exception as exc:
            self.post_message(BootFailed(_say(exc)))
            return
        self.post_message(Booted(service, users))
        # Import the grading stack now, off the UI thread: imports hold the GIL, and doing them
        # during the first check stalled the event loop for ~80 ms.
        with contextlib.suppress(Exception):
            getattr(service, "grader", None)

    @on(Booted)
    def _booted(self, message: Booted) -> None:
        self._service = message.service
        self.set_interval(RUNNER_POLL_S, self._poll_runner, name="runner-poll")
        self._poll_runner()
        self.choose_profile(message.users)
        if self.watch_bank:
            self.watch_bank_files()
        self.bank_changed()

    @on(BootFailed)
    def _boot_failed(self, message: BootFailed) -> None:
        from quizapp.tui.screens.problems import FatalScreen

        self.push_screen(FatalScreen("quizapp could not start", message.reason))

    def _poll_runner(self) -> None:
        if self._service is None:
            return
        status = self._service.runner_status()
        self.runner_label = status.label()
        self._update_subtitle()

    def _update_subtitle(self) -> None:
        who = self.user or "no profile"
        self.sub_title = f"{who} · {self.runner_label}"

    # -- profiles ---------------------------------------------------------------------------
    def choose_profile(self, users: Iterable[UserLike]) -> None:
        from quizapp.tui.screens.profile import NewProfileScreen, ProfileScreen

        names = [u.name for u in users]
        if self._wanted_user:
            wanted, self._wanted_user = self._wanted_user, None
            if wanted not in names:
                self.create_profile(wanted)
            else:
                self.set_user(wanted)
        elif not names:
            self.push_screen(NewProfileScreen(first_run=True), self._profile_chosen)
        elif len(names) == 1:
            self.set_user(names[0])
        else:
            self.push_screen(ProfileScreen(names, current=self.user), self._profile_chosen)

    def _profile_chosen(self, name: str | None) -> None:
        if name:
            self.set_user(name)

    @work(thread=True, group="profile")
    def create_profile(self, name: str) -> None:
        try:
            self.service.add_user(name)
        except Exception as exc:
            self.post_message(ServiceError("add the profile", _say(exc)))
            return
        self.call_from_thread(self.set_user, name)

    def set_user(self, name: str) -> None:
        self.user = name
        self._update_subtitle()
        self.bank_changed()

    def action_switch_user(self) -> None:
        if self._service is None:
            return
        self.load_users_for_picker()

    @work(thread=True, exclusive=True, group="profile")
    def load_users_for_picker(self) -> None:
        users = self.service.users()
        self.call_from_thread(self._show_picker, [u.name for u in users])

    def _show_picker(self, names: list[str]) -> None:
        from quizapp.tui.screens.profile import ProfileScreen

        self.push_screen(ProfileScreen(names, current=self.user), self._profile_chosen)

    # -- the bank ---------------------------------------------------------------------------
    def bank_changed(self) -> None:
        """Tells the screens that show bank or progress data to reload it."""
        self.bank_version += 1
        for screen in self.screen_stack:
            refresh = getattr(screen, "reload_data", None)
            if callable(refresh):
                refresh()

    @work(thread=True, exclusive=True, group="watch")
    def watch_bank_files(self) -> None:
        """Author mode: reload the bank whenever a YAML file under a bank folder changes."""
        from watchfiles import watch

        dirs = [str(d) for d in self.service.bank_dirs if d.exists()]
        if not dirs:
            return
        for changes in watch(*dirs, stop_event=self._watch_stop, rust_timeout=500):
            if not any(path.endswith((".yaml", ".yml")) for _, path in changes):
                continue
            try:
                bank = self.service.reload_bank()
            except Exception as exc:
                self.post_message(ServiceError("reload the bank", _say(exc)))
                continue
            self.post_message(BankReloaded(len(bank.questions), list(bank.problems)))

    @on(BankReloaded)
    def _bank_reloaded(self, message: BankReloaded) -> None:
        note = f"Bank reloaded: {message.questions} questions"
        if message.problems:
            note += f", {len(message.problems)} problems (see the browser)"
        self.notify(note, severity="warning" if message.problems else "information")
        self.bank_changed()

    @on(ServiceError)
    def _service_error(self, message: ServiceError) -> None:
        self.notify(f"Could not {message.action}: {message.reason}", severity="error", timeout=8)

    # -- practice rounds --------------------------------------------------------------------
    def start_round(self, mode: str, topic: str | None = None, *, size: int | None = None) -> None:
        """`size`: how many questions a mock interview asks (default MOCK_QUESTIONS)."""
        if self._service is None or self.user is None:
            self.notify("Choose a profile first.", severity="warning")
            return
        self._build_round(self.user, mode, topic, size=size)

    def practise_question(self, question_id: str, seed: int) -> None:
        if self._service is None or self.user is None:
            self.notify("Choose a profile first.", severity="warning")
            return
        self._build_round(self.user, "single", None, [Item(question_id, seed, "chosen")])

    @work(thread=True, exclusive=True, group="round")
    def _build_round(
        self,
        user: str,
        mode: str,
        topic: str | None,
        items: list[Item] | None = None,
        *,
        size: int | None = None,
    ) -> None:
        svc = self.service
        mock_size = size or MOCK_QUESTIONS
        try:
            if items is None:
                queue_mode = "mixed" if mode == "mock" else mode
                limit = mock_size * 8 if mode == "mock" else 10
                queue = svc.next_questions(user, mode=queue_mode, topic=topic, limit=limit)
                items = [Item(q.question_id, q.seed, q.reason) for q in queue]
                if mode == "mock":
                    questions = svc.bank.questions
                    items = spread_topics(items, lambda q: questions[q].topic, mock_size)
            if not items:
                self.post_message(RoundEmpty(mode, topic))
                return
            session_id = svc.start_session(user, SESSION_MODE.get(mode, mode), topic)
        except Exception as exc:
            self.post_message(ServiceError("start practising", _say(exc)))
            return
        limit_s = len(items) * MOCK_SECONDS_PER_QUESTION if mode == "mock" else None
        rnd = Round(user, mode, items, topic=topic, session_id=session_id, time_limit_s=limit_s)
        self.post_message(RoundReady(rnd))

    @on(RoundReady)
    def _round_ready(self, message: RoundReady) -> None:
        from quizapp.tui.screens.question import QuestionScreen

        rnd = message.round
        if rnd.session_id is not None:
            self._open_sessions.add(rnd.session_id)
        self.push_screen(QuestionScreen(rnd))

    @on(RoundEmpty)
    def _round_empty(self, message: RoundEmpty) -> None:
        what = {
            "review": "Nothing is due for review. Try learning new questions (l).",
            "learn": "No new questions left. Review (r) or drill a topic (d).",
        }.get(message.mode, "No questions to practise here.")
        self.notify(what, title=MODES.get(message.mode, message.mode))

    def next_question(self, rnd: Round) -> None:
        """Moves the round on: the next question in place of this screen, or the end."""
        from quizapp.tui.screens.question import QuestionScreen

        if rnd.advance() is None:
            self.finish_round(rnd)
        else:
            self.switch_screen(QuestionScreen(rnd))

    def finish_round(self, rnd: Round, *, summary: bool | None = None) -> None:
        from quizapp.tui.screens.summary import SummaryScreen

        self._end_session(rnd)
        show = rnd.is_mock if summary is None else summary
        if show and rnd.outcomes:
            self.switch_screen(SummaryScreen(rnd.summary()))
        else:
            self.pop_screen()
        self.bank_changed()

    def _end_session(self, rnd: Round) -> None:
        sid = rnd.session_id
        if sid is None or sid not in self._open_sessions:
            return
        self._open_sessions.discard(sid)
        try:
            self.service.end_session(sid)
        except Exception as exc:
            self.notify(f"Could not close the session: {_say(exc)}", severity="warning")

    # -- screens ----------------------------------------------------------------------------
    def action_help(self) -> None:
        from quizapp.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_stats(self) -> None:
        from quizapp.tui.screens.stats import StatsScreen

        if self.user is None:
            self.notify("Choose a profile first.", severity="warning")
            return
        self.push_screen(StatsScreen())

    def action_browse(self) -> None:
        from quizapp.tui.screens.browser import BrowserScreen

        if self._service is None:
            return
        self.push_screen(BrowserScreen())

    def action_scratchpad(self) -> None:
        """Opens the scratchpad: one instance for the session, so its code survives leaving."""
        from quizapp.tui.screens.scratchpad import ScratchpadScreen

        if self._service is None:
            self.notify("Still starting; the scratchpad opens once the app is ready.")
            return
        if self._scratchpad is None:
            self._scratchpad = ScratchpadScreen()
            self.install_screen(self._scratchpad, SCRATCHPAD)
        if self._scratchpad in self.screen_stack:
            while self.screen is not self._scratchpad:  # opened again from the palette on top
                self.pop_screen()
            return
        self.push_screen(SCRATCHPAD)

    def action_home(self) -> None:
        while len(self.screen_stack) > 2:
            leaving = self.screen
            rnd = getattr(leaving, "round", None)
            if isinstance(rnd, Round):
                self._end_session(rnd)
            self.pop_screen()
        self.bank_changed()

    def action_practise(self, mode: str) -> None:
        if mode == "drill":
            self.choose_topic()
        else:
            self.start_round(mode)

    def choose_topic(self) -> None:
        from quizapp.tui.screens.profile import TopicScreen

        if self._service is None:
            return
        topics = self.service.topics()
        if not topics:
            self.notify("The bank has no topics yet.", severity="warning")
            return
        self.push_screen(TopicScreen(topics), self._topic_chosen)

    def _topic_chosen(self, topic: str | None) -> None:
        if topic:
            self.start_round("drill", topic)

    # -- shutting down ----------------------------------------------------------------------
    async def action_quit(self) -> None:
        """Quits; an answer being checked is saved first (a check takes milliseconds)."""
        if self._quitting or not any(getattr(s, "checking", False) for s in self.screen_stack):
            self.quit_now()
            return
        self._quitting = True
        self.notify("Saving your answer, then quitting…")
        self.set_timer(QUIT_GRACE_S, self.quit_now)

    @property
    def quitting(self) -> bool:
        return self._quitting

    def check_finished(self) -> None:
        """Called by the question screen when a check ends (saved, failed or cancelled)."""
        if self._quitting:
            self.quit_now()

    def quit_now(self) -> None:
        self.shutdown()
        self.exit()

    def shutdown(self) -> None:
        """Ends open sessions and closes the service. Every answer is already committed."""
        self._watch_stop.set()
        if self._scratchpad is not None:
            self._scratchpad.cancel_run()
        for screen in self.screen_stack:
            cancel = getattr(screen, "cancel_check", None)
            if callable(cancel):
                cancel()
        if self._service is None:
            return
        for sid in list(self._open_sessions):
            with contextlib.suppress(Exception):
                self._service.end_session(sid)
        self._open_sessions.clear()

    def on_unmount(self) -> None:
        self.shutdown()
        if self._service is not None:
            with contextlib.suppress(Exception):
                self._service.close()


def _say(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def create_app(service: ServiceSource, *, user: str | None = None, watch: bool = False) -> QuizApp:
    """The one way to build the app, for the CLI and the tests alike.

    `service` is a `QuizService` (or anything with its methods), or a zero-argument callable
    that builds one: the CLI passes a callable so the first frame paints before the bank loads.
    """
    return QuizApp(service, user=user, watch=watch)
