"""Progress commands: `users`, `stats`, `export`, `import`, `reset` (see docs/progress.md).

Each takes `--db URL` (or uses the one given before the command, QUIZAPP_DB, or the default
file). Mistakes a user can make (unknown profile, bad URL, damaged export) are one message and
exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from quizapp.cli.options import bank_option, db_option, json_option, user_option
from quizapp.cli.readiness_cmds import (
    describe_readiness,
    parse_interview,
    render_trusted,
)
from quizapp.progress import MAX_NEW_PER_DAY, ProgressService, UserSettings
from quizapp.stats import Stats
from quizapp.store.errors import StoreError

if TYPE_CHECKING:
    from quizapp.bank import Bank

EXIT_UNUSABLE = 2
HEAT_COLORS = ("grey23", "#0e4429", "#006d32", "#26a641", "#39d353")
SPARK = "▁▂▃▄▅▆▇█"


class Unusable(click.ClickException):
    exit_code = EXIT_UNUSABLE


def _root_param(ctx: click.Context, name: str) -> Any:
    root = ctx.find_root()
    return root.params.get(name) if root is not ctx else None


def _db(ctx: click.Context, db: str | None) -> str | None:
    return db or _root_param(ctx, "db")


@contextmanager
def _service(ctx: click.Context, db: str | None) -> Iterator[ProgressService]:
    from quizapp.store import open_store

    try:
        store = open_store(_db(ctx, db))
    except StoreError as error:
        raise Unusable(str(error)) from None
    service = ProgressService(store)
    try:
        yield service
    except (StoreError, ValueError) as error:
        raise Unusable(str(error)) from None
    finally:
        service.close()


def _out() -> Console:
    return Console(highlight=False)


def _user(ctx: click.Context, service: ProgressService, user: str | None) -> str:
    return service.resolve_user(user or _root_param(ctx, "user"))


# -- users --------------------------------------------------------------------------------------


@click.group("users", invoke_without_command=True)
@db_option
@json_option
@click.pass_context
def users_cmd(ctx: click.Context, db: str | None, as_json: bool) -> None:
    """List profiles; `users add|rename|remove|set` manage them."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    if ctx.invoked_subcommand is not None:
        return
    with _service(ctx, db) as service:
        users = service.list_users()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "name": u.name,
                        "created_at": u.created_at.isoformat(),
                        "attempts": u.attempts,
                        "last_active": u.last_active.isoformat() if u.last_active else None,
                        "new_per_day": u.new_per_day,
                        "focus_topics": list(u.settings.focus_topics),
                        "theme": u.settings.theme,
                    }
                    for u in users
                ]
            )
        )
        return
    if not users:
        click.echo("No profiles yet. Create one with: quizapp users add NAME")
        return
    table = Table("profile", "attempts", "last active", "new/day", "created")
    for u in users:
        table.add_row(
            u.name,
            str(u.attempts),
            u.last_active.isoformat() if u.last_active else "never",
            str(u.new_per_day),
            u.created_at.date().isoformat(),
        )
    _out().print(table)


def _group_db(ctx: click.Context, db: str | None) -> str | None:
    return db or (ctx.obj or {}).get("db")


@users_cmd.command("add")
@click.argument("name")
@db_option
@click.pass_context
def users_add(ctx: click.Context, name: str, db: str | None) -> None:
    """Create a profile."""
    with _service(ctx, _group_db(ctx, db)) as service:
        info = service.add_user(name)
    click.echo(f"Added profile {info.name!r}.")


@users_cmd.command("rename")
@click.argument("old")
@click.argument("new")
@db_option
@click.pass_context
def users_rename(ctx: click.Context, old: str, new: str, db: str | None) -> None:
    """Rename a profile (its progress follows)."""
    with _service(ctx, _group_db(ctx, db)) as service:
        info = service.rename_user(old, new)
    click.echo(f"Renamed {old!r} to {info.name!r}.")


@users_cmd.command("remove")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@db_option
@click.pass_context
def users_remove(ctx: click.Context, name: str, yes: bool, db: str | None) -> None:
    """Delete a profile and ALL its progress (export it first to keep a copy)."""
    with _service(ctx, _group_db(ctx, db)) as service:
        info = service.get_user(name)
        if not yes:
            click.confirm(
                f"Delete profile {info.name!r} and its {info.attempts} recorded attempt(s)? "
                f"This cannot be undone (keep a copy with `quizapp export --user {info.name}`)",
                abort=True,
            )
        deleted = service.remove_user(name)
    click.echo(f"Removed profile {name!r} ({deleted} attempt(s) deleted).")


@users_cmd.command("set")
@click.argument("name")
@click.option(
    "--new-per-day",
    type=click.IntRange(0, MAX_NEW_PER_DAY),
    default=None,
    metavar="N",
    help="How many new questions a day Learn and Mixed introduce (0-1000).",
)
@click.option(
    "--focus",
    default=None,
    metavar="T,T",
    help="Topics to learn first, comma-separated; --focus '' clears the focus.",
)
@click.option("--theme", default=None, metavar="NAME", help="The app's theme; '' resets it.")
@click.option(
    "--interview",
    default=None,
    metavar="YYYY-MM-DD",
    help="The interview date to plan to; --interview '' removes it.",
)
@click.option(
    "--retention",
    type=click.FloatRange(0.5, 1.0, max_open=True),
    default=None,
    metavar="R",
    help="Target chance of recalling each question on the day (default 0.9).",
)
@db_option
@bank_option
@click.pass_context
def users_set(
    ctx: click.Context,
    name: str,
    new_per_day: int | None,
    focus: str | None,
    theme: str | None,
    interview: str | None,
    retention: float | None,
    db: str | None,
    banks: tuple[str, ...],
) -> None:
    """Change a profile's practice settings (kept per profile); with no option, show them."""
    topics: list[str] | None = None
    if focus is not None:
        topics = [t.strip() for t in focus.split(",") if t.strip()]
        known = {q.topic for q in bank_questions(_quiet_bank(ctx, banks))}
        unknown = [t for t in topics if known and t not in known]
        if unknown:
            raise Unusable(
                f"unknown topic{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                f"the bank's topics are {', '.join(sorted(known))}"
            )
    interview_day = parse_interview(interview) if interview else None
    with _service(ctx, _group_db(ctx, db)) as service:
        service.get_user(name)  # an unknown profile: one message naming the known ones
        settings = service.update_settings(
            name,
            new_per_day=new_per_day,
            focus_topics=topics,
            theme=theme or None,
            clear_theme=theme == "",
        )
        if interview is not None:
            service.set_interview(name, interview_day)
        if retention is not None:
            service.set_target_retention(name, retention)
        ready = service.readiness_settings(name)
    changed = any(v is not None for v in (new_per_day, focus, theme, interview, retention))
    click.echo(
        f"{'Saved' if changed else 'Settings of'} {name!r}: {describe_settings(settings)}; "
        f"{describe_readiness(ready)}"
    )


def describe_settings(settings: UserSettings) -> str:
    focus = ", ".join(settings.focus_topics) or "none (the whole bank)"
    return (
        f"{settings.new_per_day} new per day; focus: {focus}; theme: {settings.theme or 'default'}"
    )


# -- stats --------------------------------------------------------------------------------------


def _quiet_bank(ctx: click.Context, banks: Sequence[str]) -> Bank | None:
    """The bank, or None when none loads: a broken bank must not hide or block progress."""
    from quizapp.config import resolve_bank_dirs

    try:
        from quizapp.bank import load_bank
    except ImportError:
        return None
    chosen = tuple(banks) or tuple(_root_param(ctx, "banks") or ())
    try:
        return load_bank(resolve_bank_dirs(chosen))
    except Exception:  # stats then fall back to the topics recorded in the log
        return None


def bank_questions(bank: Bank | None) -> list[Any]:
    """The bank's questions for topic totals; without a usable bank, stats use recorded topics."""
    return list(bank.questions.values()) if bank is not None else []


def adopt_renames(service: ProgressService, bank: Bank | None) -> dict[str, str]:
    """Move progress kept under renamed questions' old ids to their new ids, as the app does
    when it loads the bank, so that stats, export and reset never show or miss an old id.
    Returns the bank's aliases (old id -> new id)."""
    aliases = bank.aliases if bank is not None else {}
    service.adopt_aliases(aliases)
    return aliases


@click.command("stats")
@user_option
@json_option
@db_option
@bank_option
@click.pass_context
def stats_cmd(
    ctx: click.Context, user: str | None, as_json: bool, db: str | None, banks: tuple[str, ...]
) -> None:
    """Progress statistics: totals, topics, streaks, a year of activity, what is due."""
    bank = _quiet_bank(ctx, banks)
    questions = bank_questions(bank)
    with _service(ctx, db) as service:
        adopt_renames(service, bank)
        name = _user(ctx, service, user)
        stats = service.stats(name, questions=questions)
        trusted = service.trusted_stats(name, questions=questions)
    if as_json:
        click.echo(json.dumps(stats.to_json() | trusted.to_json()))
        return
    console = _out()
    render_stats(console, stats)
    render_trusted(console, trusted, user=name)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def render_stats(console: Console, stats: Stats) -> None:
    t = stats.totals
    console.print(
        Text.assemble(
            (f"{stats.user}", "bold"),
            f"  {t.attempts} attempts, {_pct(t.accuracy)} right, {t.questions_seen} questions "
            f"seen, {_duration(t.time_spent_s)} practised",
        )
    )
    median = "—" if stats.median_latency_s is None else f"{stats.median_latency_s:.1f} s"
    console.print(
        f"Streak: {stats.current_streak} day(s) (longest {stats.longest_streak})   "
        f"Due today: {stats.due_today}   New today: {stats.new_today}/{stats.new_per_day}   "
        f"Median time per question: {median}   Leeches: {stats.leeches}"
    )
    console.print()
    console.print(heatmap(stats))
    console.print(
        Text("last 60 days  ")
        + Text(sparkline([d.attempts for d in stats.activity[-60:]]), style="green")
    )
    console.print()
    if stats.topics:
        table = Table(
            "topic", "questions", "seen", "attempts", "accuracy", "mastery", "due", title="Topics"
        )
        for topic in stats.topics:
            table.add_row(
                topic.topic,
                str(topic.questions),
                str(topic.seen),
                str(topic.attempts),
                _pct(topic.accuracy),
                _pct(topic.mastery),
                str(topic.due),
            )
        console.print(table)
    forecast = " ".join(str(d.due) for d in stats.due_forecast)
    console.print(f"Due, next {len(stats.due_forecast)} days: {forecast}")
    if stats.weakest:
        table = Table("question", "topic", "right", "lapses", "median time", "", title="Weakest")
        for w in stats.weakest:
            table.add_row(
                w.question_id,
                w.topic,
                f"{w.correct}/{w.attempts}",
                str(w.lapses),
                "—" if w.median_latency_s is None else f"{w.median_latency_s:.1f} s",
                "[red]leech[/]" if w.leech else "",
            )
        console.print(table)
    if stats.misconceptions:
        console.print(misconceptions_table(stats))
    if stats.changed:
        console.print(f"[yellow]Changed since you last answered:[/] {', '.join(stats.changed)}")


def misconceptions_table(stats: Stats) -> Table:
    """The user's recurring misconceptions: what their wrong answers most often matched."""
    table = Table("misconception", "times", "last seen", "questions", title="Misconceptions")
    for m in stats.misconceptions:
        name = Text(m.name, style="bold")
        if m.summary:
            name.append(f"\n{m.summary}", style="dim")
        shown = ", ".join(m.questions[:3]) + (
            f" +{len(m.questions) - 3}" if len(m.questions) > 3 else ""
        )
        table.add_row(name, str(m.count), m.last_seen.date().isoformat(), shown)
    return table


def sparkline(values: Sequence[int]) -> str:
    top = max(values, default=0)
    if top == 0:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(len(SPARK) - 1, round(v / top * (len(SPARK) - 1)))] for v in values)


def heatmap(stats: Stats) -> Text:
    """A year of activity, GitHub-style: weeks as columns, Monday to Sunday as rows."""
    days = {d.day: d.attempts for d in stats.activity}
    if not stats.activity:
        return Text()
    first = stats.activity[0].day
    start = first - timedelta(days=first.weekday())
    weeks = (stats.today - start).days // 7 + 1
    top = max(days.values(), default=0)
    text = Text()
    header = [" "] * weeks
    for w in range(weeks):
        monday = start + timedelta(weeks=w)
        if monday.day <= 7 and w + 3 <= weeks:
            label = monday.strftime("%b")
            header[w : w + 3] = list(label)
    text.append("     " + "".join(header) + "\n", style="dim")
    for weekday, name in enumerate(("Mon", "", "Wed", "", "Fri", "", "Sun")):
        text.append(f"{name:<4} ", style="dim")
        for w in range(weeks):
            day = start + timedelta(weeks=w, days=weekday)
            if day < first or day > stats.today:
                text.append(" ")
                continue
            text.append("■", style=HEAT_COLORS[_level(days.get(day, 0), top)])
        text.append("\n")
    text.append("     less ", style="dim")
    for color in HEAT_COLORS:
        text.append("■", style=color)
    text.append(" more", style="dim")
    return text


def _level(count: int, top: int) -> int:
    if count <= 0 or top <= 0:
        return 0
    return min(4, 1 + (count * 4 - 1) // top)


# -- export / import / reset ----------------------------------------------------------------------


@click.command("export")
@user_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of stdout.",
)
@db_option
@bank_option
@click.pass_context
def export_cmd(
    ctx: click.Context,
    user: str | None,
    output: Path | None,
    db: str | None,
    banks: tuple[str, ...],
) -> None:
    """Export a profile's progress (profile, cards, sessions, every attempt) as JSON."""
    bank = _quiet_bank(ctx, banks)
    with _service(ctx, db) as service:
        adopt_renames(service, bank)
        data = service.export_user(_user(ctx, service, user))
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise Unusable(f"cannot write {output}: {error.strerror}") from None
    click.echo(
        f"Exported {len(data['attempts'])} attempt(s) of {data['user']['name']!r} to {output}.",
        err=True,
    )


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@click.option("--as", "as_user", default=None, metavar="NAME", help="Import into this profile.")
@db_option
@bank_option
@click.pass_context
def import_cmd(
    ctx: click.Context, file: str, as_user: str | None, db: str | None, banks: tuple[str, ...]
) -> None:
    """Import progress exported with `quizapp export` (merging into an existing profile)."""
    try:
        raw = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as error:
        raise Unusable(f"cannot read {file}: {error.strerror}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise Unusable(
            f"{file} is not JSON (line {error.lineno}: {error.msg}); export with `quizapp export`"
        ) from None
    bank = _quiet_bank(ctx, banks)
    with _service(ctx, db) as service:
        summary = service.import_data(data, as_user=as_user)
        adopt_renames(service, bank)  # an export made before a rename lands under the new ids
    verb = "Created" if summary.created_user else "Merged into"
    click.echo(
        f"{verb} profile {summary.user!r}: {summary.attempts_added} attempt(s) added, "
        f"{summary.attempts_skipped} already present; {summary.cards_added} card(s) added, "
        f"{summary.cards_updated} updated; {summary.sessions_added} session(s) added."
    )


@click.command("reset")
@user_option
@click.option("--question", "question_id", default=None, metavar="ID", help="Only this question.")
@click.option("--topic", default=None, metavar="TOPIC", help="Only this topic.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@db_option
@bank_option
@click.pass_context
def reset_cmd(
    ctx: click.Context,
    user: str | None,
    question_id: str | None,
    topic: str | None,
    yes: bool,
    db: str | None,
    banks: tuple[str, ...],
) -> None:
    """Forget the schedule of a question, a topic or everything: they become new again.

    The attempt log (history, streaks, activity) is kept.
    """
    if question_id and topic:
        raise Unusable("give --question or --topic, not both")
    bank = _quiet_bank(ctx, banks)
    with _service(ctx, db) as service:
        aliases = adopt_renames(service, bank)
        if question_id is not None:
            question_id = aliases.get(question_id, question_id)  # a renamed question's old id
        name = _user(ctx, service, user)
        n = service.count_cards(name, question_id=question_id, topic=topic)
        scope = (
            f"question {question_id!r}"
            if question_id
            else f"topic {topic!r}"
            if topic
            else "every question"
        )
        if n == 0:
            click.echo(f"Nothing to reset: {name!r} has no progress on {scope}.")
            return
        if not yes:
            click.confirm(
                f"Reset {n} card(s) of {name!r} ({scope})? They become new again", abort=True
            )
        done = service.reset(name, question_id=question_id, topic=topic)
    click.echo(f"Reset {done} card(s) of {name!r} ({scope}).")
