"""The Textual app: navigation, the profile, the runner badge and the workers that reach the core.

Build it with `create_app(service, user=..., watch=...)`: the CLI and the tests share this
factory, so tests run the exact app with an in-memory fake or a real service on a temp DB.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.timer import Timer

from quizapp.practice.modes import PracticeMode
from quizapp.tui.commands import QuizCommands
from quizapp.tui.messages import (
    Answered,
    BankReloaded,
    Booted,
    BootFailed,
    CheckEnded,
    ChooseTopic,
    CreateProfile,
    LeaveRound,
    NextQuestion,
    PractiseQuestion,
    QuestionReady,
    RoundEmpty,
    RoundReady,
    ServiceError,
    SettingsSaved,
    StartRound,
    TryAgain,
    TypedAhead,
)
from quizapp.tui.ports import Service, UserLike
from quizapp.tui.screens.base import QuizScreen

if TYPE_CHECKING:
    from quizapp.practice import Plan, PracticeSession
    from quizapp.tui.screens.scratchpad import ScratchpadScreen

ServiceSource = Service | Callable[[], Service]
RUNNER_POLL_S = 0.25
QUIT_GRACE_S = 5.0  # how long quitting waits for a running check to be saved
SCRATCHPAD = "scratchpad"
MIN_WIDTH, MIN_HEIGHT = 60, 20  # below this the app asks for a larger window
HOLD_KEYS_S = 5.0  # at most this long: keys typed while a question opens wait for it


class QuizApp(App[None]):
    """Practise PyTorch interview questions."""

    TITLE = "quizapp"
    CSS_PATH: ClassVar = ["app.tcss", "widgets/readiness.tcss"]
    COMMANDS: ClassVar = App.COMMANDS | {QuizCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True, show=False),  # in help and palette
        Binding("f5", "restart_runner", "Restart runner", show=False),  # named when it failed
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
        self._open_sessions: list[PracticeSession] = []
        self._quitting = False
        self._scratchpad: ScratchpadScreen | None = None
        # Keys typed while a round opens (in a worker) are held, then given to the question's
        # answer box in order: sent with no idle (tmux, a paste), they used to land on the
        # screen being left, or before the editor had focus.
        self._held_keys: list[events.Key] | None = None
        self._held_since = 0.0
        self._hold_timer: Timer | None = None
        self._typed_ahead_count = 0  # held keys that reached a text box after its Enter
        self._creating_profile = False  # the keys held wait for the new profile, not a round

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
        self._check_size()
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

    def action_restart_runner(self) -> None:
        if self._service is None:
            return
        self._service.restart_runner()
        self._poll_runner()

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

    @on(CreateProfile)
    def _create_profile(self, message: CreateProfile) -> None:
        message.stop()
        if self.ready:
            self._hold_keys()  # the keys typed after the name wait for the profile
            self._creating_profile = True
            self.create_profile(message.name)

    @on(TypedAhead)
    def _typed_ahead(self, message: TypedAhead) -> None:
        message.stop()
        # Typed before any key the app holds now (it reached the text box first): in front of
        # them, after those typed ahead before it.
        self._hold_keys()
        assert self._held_keys is not None
        key = events.Key(message.key, message.character)
        self._held_keys.insert(self._typed_ahead_count, key)
        self._typed_ahead_count += 1

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
        self.load_settings(name)
        if self._creating_profile:  # the keys typed after its name act on the home screen
            self._creating_profile = False
            self.call_later(self._release_keys)

    @work(thread=True, exclusive=True, group="settings")
    def load_settings(self, name: str) -> None:
        try:
            settings = self.service.settings(name)
        except Exception as exc:
            self.post_message(ServiceError("read the settings", _say(exc)))
            return
        self.post_message(SettingsSaved(settings))

    @on(SettingsSaved)
    def _settings_saved(self, message: SettingsSaved) -> None:
        """A profile's theme follows it (kept per profile, revision 0005)."""
        theme = message.settings.theme
        if theme and theme != self.theme:
            if theme in self.available_themes:
                self.theme = theme
            else:
                self.notify(f"Unknown theme {theme!r}; using {self.theme}.", severity="warning")
        self.bank_changed()

    def watch_theme(self, theme: str) -> None:
        """The theme chosen in the palette is kept in the profile."""
        if self._service is not None and self.user is not None:
            self.save_theme(self.user, theme)

    @work(thread=True, exclusive=True, group="theme")
    def save_theme(self, user: str, theme: str) -> None:
        with contextlib.suppress(Exception):
            if self.service.settings(user).theme != theme:
                self.service.update_settings(user, theme=theme)

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
        from quizapp.tui.screens.base import QuizScreen

        self.bank_version += 1
        for screen in self.screen_stack:
            if isinstance(screen, QuizScreen):
                screen.reload_data()

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
    async def _service_error(self, message: ServiceError) -> None:
        self._creating_profile = False
        await self._release_keys()
        self.notify(f"Could not {message.action}: {message.reason}", severity="error", timeout=8)

    # -- keys typed ahead ---------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)
        elif self._held_keys is not None:
            self._held_keys.append(event)
        else:
            await self._dispatch_key(event)

    async def _dispatch_key(self, key: events.Key) -> None:
        # A key that opens a question (home's l, a result's n...) holds the keys after it until
        # the question's answer box has the focus; the screen only posts its message later.
        screen = self.screen
        opens = isinstance(screen, QuizScreen) and screen.opens_round(key.key)
        if opens:  # not when typing the letter into a text box (imported late: start-up)
            from textual.widgets import Input, TextArea

            opens = not isinstance(self.focused, Input | TextArea)
        await super().on_event(key)
        if opens:
            self._hold_keys()

    def _hold_keys(self) -> None:
        if self._held_keys is None:
            self._held_keys = []
            self._typed_ahead_count = 0
            self._held_since = time.monotonic()
            if self._hold_timer is not None:
                self._hold_timer.stop()
            self._hold_timer = self.set_timer(HOLD_KEYS_S, self._release_keys, name="hold-keys")

    async def _release_keys(self) -> None:
        held, self._held_keys = self._held_keys or [], None
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None
        for i, key in enumerate(held):
            if self._held_keys is not None:  # a replayed key opened a question: wait again
                self._held_keys[:0] = held[i:]
                return
            await self._dispatch_key(key)

    @on(QuestionReady)
    async def _question_ready(self, message: QuestionReady) -> None:
        message.stop()
        if message.at >= self._held_since:  # not a screen that was ready before the hold
            await self._release_keys()

    # -- practice rounds --------------------------------------------------------------------
    # The planner plans and a PracticeSession owns the round (quizapp.practice); screens show
    # it and post what the user did; the app only opens, moves on, finishes and navigates.
    def start_round(
        self, mode: PracticeMode | str, topic: str | None = None, *, size: int | None = None
    ) -> None:
        """`size`: how many questions (a mock: 5, 10 or 15)."""
        if self._service is None or self.user is None:
            self.notify("Choose a profile first.", severity="warning")
            return
        self._hold_keys()
        self._open_round(self.user, PracticeMode(mode), topic, size, None)

    def practise_question(self, question_id: str, seed: int | None = None) -> None:
        if self._service is None or self.user is None:
            self.notify("Choose a profile first.", severity="warning")
            return
        self._hold_keys()
        self._open_round(self.user, PracticeMode.SINGLE, None, None, (question_id, seed))

    @on(StartRound)
    def _start_round(self, message: StartRound) -> None:
        message.stop()
        if message.mode is PracticeMode.DRILL and message.topic is None:
            self.choose_topic()
        else:
            self.start_round(message.mode, message.topic, size=message.size)

    @on(PractiseQuestion)
    def _practise_question(self, message: PractiseQuestion) -> None:
        message.stop()
        self.practise_question(message.question_id, message.seed)

    @on(ChooseTopic)
    def _choose_topic(self, message: ChooseTopic) -> None:
        message.stop()
        self.choose_topic()

    @work(thread=True, exclusive=True, group="round")
    def _open_round(
        self,
        user: str,
        mode: PracticeMode,
        topic: str | None,
        size: int | None,
        chosen: tuple[str, int | None] | None,
    ) -> None:
        svc = self.service
        try:
            plan: Plan = (
                svc.single(*chosen) if chosen else svc.plan(user, mode, topic=topic, size=size)
            )
            if not plan.items:
                self.post_message(RoundEmpty(mode, plan.empty_reason))
                return
            session = svc.open_session(user, plan)
        except Exception as exc:
            self.post_message(ServiceError("start practising", _say(exc)))
            return
        self.post_message(RoundReady(session))

    @on(RoundReady)
    def _round_ready(self, message: RoundReady) -> None:
        from quizapp.tui.screens.question import QuestionScreen

        if not self.screen_stack or not self.is_running:  # closing: nothing to show
            return
        session = message.session
        self._open_sessions.append(session)
        if session.plan.limit_note:
            self.notify(session.plan.limit_note, title="Daily limit", timeout=10)
        self.push_screen(QuestionScreen(session))

    @on(RoundEmpty)
    async def _round_empty(self, message: RoundEmpty) -> None:
        await self._release_keys()
        self.notify(
            message.reason or "No questions to practise here.", title=message.mode.label, timeout=10
        )

    @on(Answered)
    def _answered(self, message: Answered) -> None:
        from quizapp.tui.screens.result import ResultScreen

        if not self.screen_stack or not self.is_running:  # closing: nothing to show
            return
        message.stop()
        self._hold_keys()  # until the result screen's keys work (n typed at once is kept)
        self.switch_screen(ResultScreen(message.session, message.shown, message.submission))

    @on(NextQuestion)
    def _next_question(self, message: NextQuestion) -> None:
        """Moves the round on: the next question in place of this screen, or the end."""
        from quizapp.tui.screens.question import QuestionScreen

        if not self.screen_stack or not self.is_running:  # closing: nothing to show
            return
        message.stop()
        session = message.session
        if session.advance() is None:
            self._finish(session)
        else:
            self._hold_keys()
            self.switch_screen(QuestionScreen(session))

    @on(TryAgain)
    def _try_again(self, message: TryAgain) -> None:
        from quizapp.tui.screens.question import QuestionScreen

        if not self.screen_stack or not self.is_running:  # closing: nothing to show
            return
        message.stop()
        self._hold_keys()
        self.switch_screen(QuestionScreen(message.session))

    @on(LeaveRound)
    def _leave_round(self, message: LeaveRound) -> None:
        if not self.screen_stack or not self.is_running:  # closing: nothing to show
            return
        message.stop()
        self._finish(message.session)

    def _finish(self, session: PracticeSession) -> None:
        """Ends the round; a mock always ends on its summary, even with nothing answered."""
        from quizapp.tui.screens.summary import SummaryScreen

        summary = None
        if session in self._open_sessions:
            self._open_sessions.remove(session)
        try:
            summary = session.finish()
        except Exception as exc:
            self.notify(f"Could not close the session: {_say(exc)}", severity="warning")
        if session.is_mock and summary is not None:
            self.switch_screen(SummaryScreen(summary))
        else:
            self.pop_screen()
        self.bank_changed()
        self.call_after_refresh(self._release_keys)

    @on(CheckEnded)
    def _check_ended(self, message: CheckEnded) -> None:
        message.stop()
        if self._quitting:
            self.quit_now()

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
        from quizapp.tui.screens.base import QuizScreen

        while len(self.screen_stack) > 2:
            leaving = self.screen
            if isinstance(leaving, QuizScreen) and leaving.session is not None:
                self._close_session(leaving.session)
            self.pop_screen()
        self.bank_changed()

    def _close_session(self, session: PracticeSession) -> None:
        if session in self._open_sessions:
            self._open_sessions.remove(session)
        with contextlib.suppress(Exception):
            session.close_quietly()

    def action_settings(self) -> None:
        from quizapp.tui.screens.settings import SettingsScreen

        if self._service is None or self.user is None:
            self.notify("Choose a profile first.", severity="warning")
            return
        self.push_screen(SettingsScreen(self.user))

    def on_resize(self, event: events.Resize) -> None:
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int | None = None, height: int | None = None) -> None:
        """Below MIN_WIDTH x MIN_HEIGHT the widgets would be garbled: say so instead."""
        from quizapp.tui.screens.too_small import TooSmallScreen

        if width is None or height is None:
            width, height = self.size
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        showing = isinstance(self.screen, TooSmallScreen)
        if small and not showing:
            self.push_screen(TooSmallScreen(MIN_WIDTH, MIN_HEIGHT))
        elif not small and showing:
            self.pop_screen()

    def choose_topic(self) -> None:
        from quizapp.tui.screens.profile import TopicScreen

        if self._service is None:
            return
        topics = self.service.topics()
        if not topics:
            self.notify("The bank has no topics yet.", severity="warning")
            return
        self.push_screen(TopicScreen(topics), self._topic_chosen)
        self.call_after_refresh(self._release_keys)

    def _topic_chosen(self, topic: str | None) -> None:
        if topic:
            self.start_round("drill", topic)

    # -- shutting down ----------------------------------------------------------------------
    async def action_quit(self) -> None:
        """Quits; an answer being checked is saved first (a check takes milliseconds)."""
        from quizapp.tui.screens.base import QuizScreen

        checking = any(isinstance(s, QuizScreen) and s.checking for s in self.screen_stack)
        if self._quitting or not checking:
            self.quit_now()
            return
        self._quitting = True
        self.notify("Saving your answer, then quitting…")
        self.set_timer(QUIT_GRACE_S, self.quit_now)

    @property
    def quitting(self) -> bool:
        return self._quitting

    def quit_now(self) -> None:
        self.shutdown()
        self.exit()

    def shutdown(self) -> None:
        """Ends open sessions and closes the service. Every answer is already committed."""
        self._watch_stop.set()
        if self._scratchpad is not None:
            self._scratchpad.cancel_run()
        from quizapp.tui.screens.base import QuizScreen

        for screen in self.screen_stack:
            if isinstance(screen, QuizScreen):
                screen.cancel_check()
        if self._service is None:
            return
        for session in list(self._open_sessions):
            self._close_session(session)

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
