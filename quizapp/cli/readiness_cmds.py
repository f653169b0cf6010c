"""Readiness commands and text: `quizapp optimize`, the readiness part of `quizapp stats`, and
the `--interview` / `--retention` settings of `quizapp users set` (see docs/progress.md,
"Readiness"). The fit runs in its own process (quizapp.fitting); torch is never imported here.
"""

from __future__ import annotations

import json
import math
from datetime import date

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from quizapp.cli.options import db_option, json_option, user_option
from quizapp.readiness import Readiness, TrustedStats, parse_interview_date

SPARK = "▁▂▃▄▅▆▇█"


def parse_interview(value: str) -> date | None:
    try:
        return parse_interview_date(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--interview") from None


def describe_readiness(settings: object) -> str:
    interview = getattr(settings, "interview_date", None)
    target = getattr(settings, "target_retention", 0.9)
    fitted = getattr(settings, "parameters", None) is not None
    when = interview.isoformat() if interview else "none"
    return (
        f"interview: {when}; target retention: {target:.0%}; "
        f"scheduler: {'fitted to you' if fitted else 'FSRS defaults'}"
    )


def _pct(value: float | None) -> str:
    return (
        "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.0%}"
    )


def curve_line(readiness: Readiness, width: int = 60) -> tuple[str, float]:
    """The forecast curve as a sparkline, today to the day, and the share its lowest block
    stands for (0, or a tenth below the lowest point when the curve sits high)."""
    shares = [p.share for p in readiness.curve][-width:]
    if not shares:
        return "", 0.0
    low = max(0.0, math.floor(min(shares) * 10) / 10 - 0.1) if min(shares) >= 0.5 else 0.0
    span = 1.0 - low
    line = "".join(
        SPARK[max(0, min(len(SPARK) - 1, int((s - low) / span * len(SPARK))))] for s in shares
    )
    return line, low


def render_readiness(console: Console, readiness: Readiness) -> None:
    console.print(Text(readiness.countdown(), style="bold"))
    console.print(
        f"Ready {readiness.today:.0%} today; on the day {readiness.at_pace:.0%} following the "
        f"plan ({readiness.on_the_day:.0%} if you stopped now); target retention "
        f"{readiness.target_retention:.0%} ({readiness.below_target} seen question(s) would be "
        "below it on the day without the plan's reviews)"
    )
    plan = readiness.plan
    console.print(
        f"Plan: {plan.line()} (needs {plan.needed_per_day} new a day for {plan.unseen} unseen"
        + (f", new until {plan.learn_until})" if plan.learn_until else ")")
    )
    line, low = curve_line(readiness)
    console.print(
        Text(f"forecast to the day ({low:.0%}-100%)  ")
        + Text(line, style="cyan")
        + Text(f"  {readiness.at_pace:.0%}")
    )
    table = Table("topic", "questions", "seen", "today", "on the day", "at pace", "below target")
    for t in readiness.by_topic:
        table.add_row(
            t.topic,
            str(t.questions),
            str(t.seen),
            _pct(t.today),
            _pct(t.on_the_day),
            _pct(t.at_pace),
            str(t.below_target),
        )
    console.print(table)


def render_trusted(console: Console, trusted: TrustedStats, *, user: str) -> None:
    console.print()
    if trusted.readiness is not None:
        render_readiness(console, trusted.readiness)
    else:
        console.print(
            f"No interview date. Plan to one with: quizapp users set {user} --interview YYYY-MM-DD"
        )
    table = Table(
        "window",
        "mature reviews",
        "true retention",
        "young reviews",
        "retention",
        title="True retention (reviews a day or more after the previous answer)",
    )
    for w in trusted.retention:
        table.add_row(
            f"last {w.days} days",
            str(w.mature.reviews),
            _pct(w.mature.retention),
            str(w.young.reviews),
            _pct(w.young.retention),
        )
    console.print(table)
    memory = Table("", *(b.label for b in trusted.memory), title="Memory (cards)")
    memory.add_row("stability", *(str(b.stability) for b in trusted.memory))
    memory.add_row("interval", *(str(b.interval) for b in trusted.memory))
    console.print(memory)
    if trusted.reviews_needed_for_fit:
        console.print(
            f"Fitting the scheduler to you needs {trusted.reviews_needed_for_fit} more review(s) "
            f"({trusted.reviews_for_fit} so far)."
        )
    elif trusted.fitted:
        console.print(
            f"The scheduler is fitted to you ({trusted.reviews_for_fit} reviews); refit now and "
            f"then: quizapp optimize --user {user}"
        )
    else:
        console.print(
            f"Enough reviews ({trusted.reviews_for_fit}) to fit the scheduler to you: "
            f"quizapp optimize --user {user}"
        )


@click.command("optimize")
@user_option
@click.option(
    "--dry-run", is_flag=True, help="Fit and report the losses, but keep the current parameters."
)
@click.option(
    "--reset", "reset_defaults", is_flag=True, help="Go back to FSRS's default parameters."
)
@json_option
@db_option
@click.pass_context
def optimize_cmd(
    ctx: click.Context,
    user: str | None,
    dry_run: bool,
    reset_defaults: bool,
    as_json: bool,
    db: str | None,
) -> None:
    """Fit the FSRS scheduler's parameters to a profile's own reviews (fsrs's optimizer, run in a
    separate process), report log loss and RMSE of the defaults vs the fit on reviews held out of
    the fit, and schedule with the fitted parameters from then on."""
    from quizapp import fitting
    from quizapp.cli.progress_cmds import Unusable, _service, _user

    with _service(ctx, db) as service:
        name = _user(ctx, service, user)
        if reset_defaults:
            changed = service.set_fsrs_parameters(name, None)
            click.echo(
                f"{name!r} schedules with FSRS's defaults again ({changed} due date(s) moved)."
            )
            return
        histories = service.review_histories(name)
        needed = fitting.reviews_needed(histories)
        if needed:
            train, _test = fitting.split(histories)
            raise Unusable(
                f"{name!r} has {fitting.countable_reviews(train)} review(s) the optimizer can "
                f"learn from; it needs {needed} more (at least {fitting.MIN_REVIEWS}: answers a "
                "day or more after the same question's previous one). Keep practising, then run "
                "this again."
            )
        if not as_json:
            click.echo(
                f"Fitting FSRS to {name!r}'s reviews (a separate process; may take a minute)…",
                err=True,
            )
        try:
            result = fitting.fit(histories)
        except fitting.FitError as error:
            raise Unusable(str(error)) from None
        changed = 0 if dry_run else service.set_fsrs_parameters(name, result.parameters)
    better = result.fitted.log_loss < result.default.log_loss
    if as_json:
        click.echo(
            json.dumps(
                {
                    "user": name,
                    "train_reviews": result.train_reviews,
                    "held_out_reviews": result.fitted.reviews,
                    "held_out_questions": result.held_out_questions,
                    "default": {"log_loss": result.default.log_loss, "rmse": result.default.rmse},
                    "fitted": {"log_loss": result.fitted.log_loss, "rmse": result.fitted.rmse},
                    "parameters": list(result.parameters),
                    "saved": not dry_run,
                    "due_dates_changed": changed,
                }
            )
        )
        return
    console = Console(highlight=False)
    table = Table(
        "parameters",
        "log loss",
        "RMSE",
        title=f"On {result.fitted.reviews} held-out review(s) of {result.held_out_questions} "
        f"question(s) (fit on {result.train_reviews})",
    )
    table.add_row("FSRS defaults", f"{result.default.log_loss:.4f}", f"{result.default.rmse:.4f}")
    table.add_row("fitted to you", f"{result.fitted.log_loss:.4f}", f"{result.fitted.rmse:.4f}")
    console.print(table)
    if dry_run:
        console.print("Dry run: parameters not saved.")
    else:
        console.print(
            f"Saved: {name!r} schedules with the fitted parameters from now on; "
            f"{changed} due date(s) moved."
            + (
                ""
                if better
                else " (The fit did not beat the defaults on held-out reviews; "
                "`quizapp optimize --reset` goes back to them.)"
            )
        )


__all__ = ["describe_readiness", "optimize_cmd", "parse_interview", "render_trusted"]
