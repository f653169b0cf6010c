"""`quizapp queue`: the round the app would serve now, printed, nothing recorded.

It asks the same planner the TUI asks (quizapp.practice.planner, through ProgressService.plan),
so a reader can see what Learn, Review, Mixed, Drill or a mock interview would give.
"""

from __future__ import annotations

import json

import click
from rich.table import Table

from quizapp.cli.options import bank_option, db_option, json_option, user_option
from quizapp.cli.progress_cmds import (
    Unusable,
    _out,
    _quiet_bank,
    _service,
    _user,
    adopt_renames,
    bank_questions,
)
from quizapp.practice.modes import MOCK_SIZES, QUEUE_MODES, PracticeMode


@click.command("queue")
@user_option
@click.option(
    "--mode",
    type=click.Choice([m.value for m in QUEUE_MODES]),
    default=PracticeMode.MIXED.value,
    show_default=True,
    help="Which round: learn, review, mixed, drill or mock.",
)
@click.option("--topic", default=None, metavar="T", help="Only this topic.")
@click.option(
    "--size",
    type=click.IntRange(1, 200),
    default=None,
    metavar="N",
    help=f"How many questions (a round: 10; a mock: 5; the app offers mocks of "
    f"{', '.join(map(str, MOCK_SIZES))}).",
)
@json_option
@db_option
@bank_option
@click.pass_context
def queue_cmd(
    ctx: click.Context,
    user: str | None,
    mode: str,
    topic: str | None,
    size: int | None,
    as_json: bool,
    db: str | None,
    banks: tuple[str, ...],
) -> None:
    """Print the round the app would serve now (id, topic, kind, difficulty, reason, seed)."""
    bank = _quiet_bank(ctx, banks)
    questions = bank_questions(bank)
    if not questions:
        raise Unusable("the bank has no questions that load; see `quizapp validate`")
    topics = sorted({q.topic for q in questions})
    if topic is not None and topic not in topics:
        raise Unusable(f"unknown topic {topic!r}; the bank's topics are {', '.join(topics)}")
    with _service(ctx, db) as service:
        adopt_renames(service, bank)
        name = _user(ctx, service, user)
        plan = service.plan(name, PracticeMode(mode), questions=questions, topic=topic, size=size)
    if as_json:
        click.echo(json.dumps({"user": name, **plan.to_json()}))
        return
    out = _out()
    if not plan.items:
        out.print(plan.empty_reason or "Nothing to practise.")
        return
    title = f"{plan.mode.label} for {name}" + (f" · {topic}" if topic else "")
    table = Table(title=title)
    table.add_column("#", justify="right")
    table.add_column("id", no_wrap=True, overflow="fold")
    for header in ("topic", "kind", "difficulty", "reason", "seed"):
        table.add_column(header)
    if plan.mode.is_mock:
        table.add_column("clock")
    for n, item in enumerate(plan.items, 1):
        row = [
            str(n),
            item.question_id,
            item.topic,
            item.kind,
            item.difficulty,
            item.reason.value,
            str(item.seed),
        ]
        if plan.mode.is_mock:
            row.append(f"{(item.seconds or 0) / 60:.0f} min")
        table.add_row(*row)
    out.print(table)
    if plan.limit_note:
        out.print(plan.limit_note)
    if plan.time_limit_s:
        out.print(f"Time: {plan.time_limit_s / 60:.0f} minutes in all.")
    out.print("Nothing was recorded.", style="dim")
