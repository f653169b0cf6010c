"""Bank commands: `validate`, `check`, `show`, `list` (see docs/question-format.md).

These run in the CLI process, which never imports torch: PyTorch code runs in the runner's
zygote process. Every mistake a user can make (unknown id, missing bank, bad answer file) is a
message and exit status 2, never a traceback.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich import box
from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from quizapp.bank import Bank, Kind, Question, UnknownQuestion, draw_variant, load_bank, new_seed
from quizapp.bank.models import Difficulty
from quizapp.cli.options import (
    AnswerCommand,
    bank_option,
    db_option,
    device_arg,
    json_option,
    user_option,
)
from quizapp.config import resolve_bank_dirs
from quizapp.grading.types import GradeResult, GradeStatus

if TYPE_CHECKING:
    from quizapp.runner import Runner
    from quizapp.service import ShownQuestion

EXIT_CORRECT = 0
EXIT_INCORRECT = 1
EXIT_UNUSABLE = 2


class Unusable(click.ClickException):
    """A mistake in the command line, the bank or the question: exit status 2."""

    exit_code = EXIT_UNUSABLE


# `check` grades once and exits, so nothing prepares a code answer's diagnosis ahead and no later
# attempt would use one that arrives late: it waits for the misconceptions' run (seconds for a
# heavy check) instead of the app's 2 s.
CLI_DIAGNOSIS_WAIT_S = 60.0


def _err_console() -> Console:
    return Console(stderr=True, highlight=False)


def _out_console() -> Console:
    return Console(highlight=False)


# -- shared helpers -----------------------------------------------------------------------------


def _root_param(ctx: click.Context, name: str) -> Any:
    root = ctx.find_root()
    return root.params.get(name) if root is not ctx else None


def _bank_dirs(ctx: click.Context, banks: Sequence[str]) -> list[Path]:
    """`--bank` on the command, else `--bank` before it (`quizapp --bank X list`), else config."""
    chosen = tuple(banks) or tuple(_root_param(ctx, "banks") or ())
    return resolve_bank_dirs(chosen)


def _load(ctx: click.Context, banks: Sequence[str], *, quiet: bool = False) -> Bank:
    """The bank, with its load problems shown on stderr; exit 2 when nothing usable loaded."""
    dirs = _bank_dirs(ctx, banks)
    bank = load_bank(dirs)
    if bank.problems and not quiet:
        if bank.questions:
            click.echo(
                f"The bank has {len(bank.problems)} problem(s); the good questions still work "
                "(run `quizapp validate` for details):",
                err=True,
            )
        for problem in bank.problems:
            click.echo(f"  {_problem_text(problem)}", err=True)
    if not bank.questions:
        where = ", ".join(str(d) for d in dirs)
        raise Unusable(f"no usable questions in {where}")
    return bank


def _problem_text(problem: Any) -> str:
    from quizapp.validation import problem_line

    return problem_line(problem)


def _question(bank: Bank, question_id: str) -> Question:
    try:
        return bank.get(question_id)
    except UnknownQuestion as exc:
        raise Unusable(str(exc)) from None


def _device(ctx: click.Context) -> str | None:
    return device_arg(_root_param(ctx, "device"))


@contextmanager
def _runners(ctx: click.Context, count: int) -> Iterator[list[Runner]]:
    """`count` runners started together (their zygotes import torch in parallel), all closed
    at the end. A runner passed in `obj` (tests) is the only one used.

    Batch work: each zygote preloads what optimizer runs import (see Runner's
    `preload_heavy`), since a bank's optimizer questions run back to back."""
    shared = ctx.find_object(dict)
    if shared is not None and shared.get("runner") is not None:
        yield [shared["runner"]]
        return
    from quizapp.runner import Runner

    runners = [Runner(device=_device(ctx), preload_heavy=True) for _ in range(count)]
    try:
        for runner in runners:
            runner.start()
        yield runners
    finally:
        for runner in runners:
            runner.close()


@contextmanager
def _runner(ctx: click.Context) -> Iterator[Runner]:
    """A runner (the zygote starts on first use) that is always closed.

    A caller may pass a started runner as `obj={"runner": runner}` (tests, embedding); it is
    used as is and left open.
    """
    shared = ctx.find_object(dict)
    if shared is not None and shared.get("runner") is not None:
        yield shared["runner"]
        return
    from quizapp.runner import Runner

    runner = Runner(device=_device(ctx))
    try:
        yield runner
    finally:
        runner.close()


def _did_you_mean(value: str, known: Sequence[str], what: str) -> NoReturn:
    close = difflib.get_close_matches(value, list(known), n=3, cutoff=0.5)
    message = f"no {what} '{value}'"
    if close:
        message += " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)"
    elif known:
        message += f"; known: {', '.join(sorted(known))}"
    raise Unusable(message)


# -- validate -----------------------------------------------------------------------------------


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@json_option
@click.option(
    "--seeds",
    "seeds",
    type=click.IntRange(1, 50),
    default=3,
    show_default=True,
    help="Seeds to run for each question (distinct param variants first; random draws too).",
)
@click.option(
    "--jobs",
    "jobs",
    type=click.IntRange(1, 16),
    default=None,
    help="Runners (one zygote each) validating in parallel.  [default: 2, or 1 on one core]",
)
@click.pass_context
def validate_cmd(
    ctx: click.Context, paths: tuple[str, ...], as_json: bool, seeds: int, jobs: int | None
) -> None:
    """Load every question file and run every question live; report every problem.

    PATH is a bank folder or a question file (default: the configured banks). Exit 0 when all
    is well, 1 otherwise.
    """
    from quizapp.grading.live import LiveGrader
    from quizapp.validation import problem_line, validate_bank

    dirs = resolve_bank_dirs(paths) if paths else _bank_dirs(ctx, ())
    bank = load_bank(dirs)
    console = _out_console()
    show_bar = not as_json and console.is_terminal
    wanted = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    # Small banks do not pay for a second zygote's start-up (importing torch, ~2 s).
    count = max(1, min(wanted, len(bank.questions) // 8 or 1))
    with _runners(ctx, count) as runners:
        grader = [LiveGrader(runner) for runner in runners]
        if show_bar:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            with Progress(
                TextColumn("validating"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                console=console,
                transient=True,
            ) as bar:
                task = bar.add_task("", total=len(bank.questions))

                def advance(done: int, total: int, question_id: str) -> None:
                    bar.update(task, completed=done, description=question_id)

                report = validate_bank(
                    bank,
                    grader,
                    seeds_per_question=seeds,
                    progress=advance,
                    workers=max(2, len(grader)),
                )
        else:
            report = validate_bank(
                bank, grader, seeds_per_question=seeds, workers=max(2, len(grader))
            )

    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        for problem in report.problems:
            click.echo(problem_line(problem))
        for qid, why in report.skipped:
            click.echo(f"skipped {qid}: {why}", err=True)
        summary = (
            f"{report.questions} question(s), {report.checked} run live, "
            f"{len(report.skipped)} skipped: "
        )
        summary += "no problems" if report.ok else f"{len(report.problems)} problem(s)"
        click.echo(summary, err=True)
    ctx.exit(0 if report.ok else 1)


# -- check --------------------------------------------------------------------------------------


def _read_answer(answer: str, kind: Kind) -> str:
    """For code (and output) questions, `@path` reads a file and `-` reads standard input."""
    if kind not in (Kind.CODE, Kind.OUTPUT):
        return answer
    if answer == "-":
        return sys.stdin.read()
    if answer.startswith("@") and len(answer) > 1:
        path = Path(answer[1:]).expanduser()
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise Unusable(f"cannot read the answer file {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise Unusable(f"the answer file {path} is not UTF-8 text") from None
    return answer


def _exit_code(result: GradeResult) -> int:
    if result.status is GradeStatus.CORRECT:
        return EXIT_CORRECT
    if result.status in (GradeStatus.INCORRECT, GradeStatus.TIMEOUT):
        return EXIT_INCORRECT
    return EXIT_UNUSABLE


class KeyPointsType(click.ParamType):
    """`--tick 2` or `--tick 1,3`: key point numbers, counted from 1."""

    name = "key points"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[int, ...]:
        if isinstance(value, tuple):
            return value
        parts = [p.strip() for p in str(value).split(",") if p.strip()]
        if parts and all(p.isdigit() and int(p) >= 1 for p in parts):
            return tuple(int(p) for p in parts)
        self.fail(f"{value!r}: give key point numbers from 1, like `2` or `1,3`", param, ctx)


@click.command("check", cls=AnswerCommand)
@click.argument("question_id", metavar="ID")
@click.argument("answer")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="The variant to grade.")
@click.option(
    "--tick",
    "ticks",
    type=KeyPointsType(),
    multiple=True,
    metavar="N[,N...]",
    help="Recall questions: key points your answer covered (1 = the first; `1,3` or repeat).",
)
@bank_option
@json_option
@user_option
@db_option
@click.pass_context
def check_cmd(
    ctx: click.Context,
    *,
    question_id: str,
    answer: str,
    seed: int | None,
    ticks: tuple[tuple[int, ...], ...],
    banks: tuple[str, ...],
    as_json: bool,
    user: str | None,
    db: str | None,
) -> None:
    """Grade ANSWER to question ID by running the question live.

    For code questions ANSWER may be `@path` (read a file) or `-` (read standard input).
    Exit 0 correct, 1 incorrect, 2 invalid answer or unusable question/bank.
    """
    import time

    bank = _load(ctx, banks, quiet=as_json)
    question = _question(bank, question_id)
    text = _read_answer(answer, question.kind)
    drawn = seed is None
    if seed is None:
        seed = new_seed()
    variant = draw_variant(question, seed)
    points = sorted({n for group in ticks for n in group})
    # ticking nothing is an answer too: 0 key points covered
    ticked = [n - 1 for n in points] if question.kind is Kind.RECALL else None
    user = user or _root_param(ctx, "user")
    started = time.perf_counter()

    if user:
        result = _grade_and_record(
            ctx,
            bank=bank,
            user=user,
            db=db,
            question_id=question_id,
            seed=seed,
            text=text,
            ticked=ticked,
            started=started,
        )
    else:
        from quizapp.grading.live import LiveGrader

        with _runner(ctx) as runner:
            grader = LiveGrader(runner, diagnosis_wait_s=CLI_DIAGNOSIS_WAIT_S)
            result = grader.grade(variant, text, ticked=ticked)

    if as_json:
        click.echo(json.dumps(result.to_json()))
    else:
        _print_result(result, question.kind, seed if drawn else None)
    ctx.exit(_exit_code(result))


def _grade_and_record(
    ctx: click.Context,
    *,
    bank: Bank,
    user: str,
    db: str | None,
    question_id: str,
    seed: int,
    text: str,
    ticked: list[int] | None,
    started: float,
) -> GradeResult:
    """Grades through the service and records the attempt for `user`.

    LEAD: this is the one place `check` records progress. It builds QuizService from its parts
    (the bank already loaded, this command's runner, a ProgressService on --db) and calls
    QuizService.grade and QuizService.record (quizapp/service.py).
    """
    import time

    from quizapp.config import Settings, resolve_db_url
    from quizapp.service import QuizService

    settings = Settings(
        db_url=resolve_db_url(db or _root_param(ctx, "db")),
        bank_dirs=tuple(bank.dirs),
        device=_device(ctx),
    )
    with _runner(ctx) as runner:
        try:
            service = QuizService(
                bank_dirs=settings.bank_dirs,
                runner=runner,
                progress=_progress(settings.db_url),
                bank=bank,
                diagnosis_wait_s=CLI_DIAGNOSIS_WAIT_S,
            )
            service.progress.resolve_user(user)
        except Exception as exc:  # no such profile, or the store cannot be opened
            raise Unusable(str(exc)) from None
        try:
            result = service.grade(question_id, seed, text, ticked=ticked)
            try:
                service.record(
                    user,
                    question_id,
                    result,
                    answer=text,
                    latency_s=time.perf_counter() - started,
                )
            except Exception as exc:
                _err_console().print(f"[yellow]graded, but not recorded for {user}: {exc}[/]")
        finally:
            service.progress.close()
    return result


def _progress(db_url: str) -> Any:
    from quizapp.progress import ProgressService
    from quizapp.store import open_store

    return ProgressService(open_store(db_url))


_STATUS_STYLE = {
    GradeStatus.CORRECT: ("✓ correct", "bold green"),
    GradeStatus.INCORRECT: ("✗ incorrect", "bold red"),
    GradeStatus.INVALID: ("? invalid answer", "bold yellow"),
    GradeStatus.ERROR: ("! the question could not be graded", "bold magenta"),
    GradeStatus.TIMEOUT: ("⏱ timed out", "bold red"),
}


_EXPECTED_LABEL = {Kind.CODE: "a reference solution", Kind.RECALL: "a model answer"}


def _print_result(result: GradeResult, kind: Kind, drawn_seed: int | None) -> None:
    console = _out_console()
    label, style = _STATUS_STYLE[result.status]
    console.print(Text(label, style=style))
    if drawn_seed is not None:
        console.print(Text(f"seed: {drawn_seed} (a random variant; pass --seed to repeat it)"))
    if result.given_display and result.status is not GradeStatus.INVALID:
        console.print(Text(f"your answer: {result.given_display}"))
    if result.expected_display and result.status is not GradeStatus.CORRECT:
        label = _EXPECTED_LABEL.get(kind, "expected")
        if "\n" in result.expected_display.strip():
            console.print(f"{label}:")
            console.print(Text(result.expected_display.rstrip()))
        else:
            console.print(Text(f"{label}: {result.expected_display.strip()}"))
    if result.feedback:
        console.print(Text(result.feedback))
    if result.misconception is not None:
        m = result.misconception
        console.print(Text(f"{m.label}: {m.summary} ({m.name})", style="bold yellow"))
        if m.explanation.strip():
            console.print(Markdown(m.explanation.strip()))
    if result.score is not None and result.extra.get("ticked") is not None:
        console.print(Text(f"score: {result.score:.0%}"))


# -- show ---------------------------------------------------------------------------------------


@click.command("show")
@click.argument("question_id", metavar="ID")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="The variant to show.")
@click.option("--trace", is_flag=True, help="Run it and show the layer-by-layer forward trace.")
@click.option("--graph", is_flag=True, help="Run it and show the autograd graph.")
@click.option("--modes", is_flag=True, help="Run it and compare train/eval/no_grad modes.")
@click.option("--author", is_flag=True, help="With --trace/--graph/--modes: notes for authors.")
@bank_option
@click.pass_context
def show_cmd(
    ctx: click.Context,
    question_id: str,
    seed: int | None,
    trace: bool,
    graph: bool,
    modes: bool,
    author: bool,
    banks: tuple[str, ...],
) -> None:
    """Print question ID as a user sees it (params substituted, options lettered).

    With --trace, --graph or --modes, the question's code is run again in the sandbox with
    instruments attached, and what it really computed is printed below the question.
    """
    from quizapp.service import show_variant

    bank = _load(ctx, banks)
    question = _question(bank, question_id)
    if seed is None:
        seed = new_seed()
    variant = draw_variant(question, seed)
    console = _out_console()
    console.print(render_shown(show_variant(variant)))
    if trace or graph or modes:
        _print_explanation(ctx, variant, trace=trace, graph=graph, modes=modes, author=author)


def _print_explanation(
    ctx: click.Context, variant: Any, *, trace: bool, graph: bool, modes: bool, author: bool
) -> None:
    from quizapp.explain import render_graph, render_modes, render_trace

    with _runner(ctx) as runner:
        from quizapp.explain import explain_variant

        explanation = explain_variant(runner, variant)
    console = _out_console()
    if explanation is None:
        console.print(Text("This question runs no code, so there is nothing to trace.", "dim"))
        return
    if explanation.run_error:
        console.print(
            Text(f"The question's code did not finish: {explanation.run_error}", "yellow")
        )
    renderables: list[tuple[str, RenderableType]] = []
    if trace:
        renderables.append(("Forward trace", render_trace(explanation.trace)))
    if graph:
        renderables.append(("Autograd graph", render_graph(explanation.graph)))
    if modes:
        renderables.append(("Train / eval / no_grad", render_modes(explanation.modes)))
    for title, renderable in renderables:
        console.rule(Text(title, style="bold"))
        console.print(renderable)
    if author:
        for note in (*explanation.notes, *explanation.unresolved):
            console.print(Text(f"note: {note}", style="dim"))


def render_shown(shown: ShownQuestion) -> Panel:
    """A question variant as a rich renderable (title, metadata, prompt, code, options)."""
    q = shown.question
    parts: list[Any] = []
    meta = f"{q.topic} · {q.kind.value} · {q.difficulty.value}"
    if q.tags:
        meta += " · " + ", ".join(q.tags)
    parts.append(Text(meta, style="dim"))
    parts.append(Markdown(shown.prompt))
    if shown.setup_code:
        parts.append(Syntax(shown.setup_code, "python", line_numbers=False, word_wrap=True))
    if shown.options:
        options = Text()
        for letter, text in shown.options:
            options.append(f"{letter}) ", style="bold")
            options.append(f"{text}\n")
        parts.append(options)
    if q.kind is Kind.CODE and shown.starter:
        parts.append(Text("starter:", style="bold"))
        parts.append(Syntax(shown.starter, "python", word_wrap=True))
    if q.kind is Kind.RECALL and q.key_points:
        parts.append(
            Text(
                f"Answer in your own words; afterwards tick which of the {len(q.key_points)} "
                "key points you covered (quizapp check ... --tick N).",
                style="dim",
            )
        )
    spaced: list[Any] = []
    for part in parts:
        if spaced:
            spaced.append(Text(""))
        spaced.append(part)
    hint = f"seed {shown.seed} · quizapp check {q.id} ANSWER --seed {shown.seed}"
    return Panel(
        Group(*spaced),
        title=Text(q.display_title, style="bold"),
        subtitle=Text(hint, style="dim"),
        subtitle_align="right",
    )


# -- list ---------------------------------------------------------------------------------------


@click.command("list")
@click.option("--topic", default=None, help="Only this topic.")
@click.option("--kind", type=click.Choice([k.value for k in Kind]), default=None)
@click.option("--difficulty", type=click.Choice([d.value for d in Difficulty]), default=None)
@click.option("--tag", default=None, help="Only questions with this tag.")
@click.option("--search", "search", default=None, metavar="TEXT", help="Text in id/title/prompt.")
@click.option("--summary", is_flag=True, help="Counts per topic x kind x difficulty.")
@bank_option
@json_option
@click.pass_context
def list_cmd(
    ctx: click.Context,
    *,
    topic: str | None,
    kind: str | None,
    difficulty: str | None,
    tag: str | None,
    search: str | None,
    summary: bool,
    banks: tuple[str, ...],
    as_json: bool,
) -> None:
    """List the bank's questions, with filters, or a coverage summary."""
    bank = _load(ctx, banks, quiet=as_json)
    if topic is not None and topic not in bank.topics():
        _did_you_mean(topic, bank.topics(), "topic")
    if tag is not None:
        tags = sorted({t for q in bank.questions.values() for t in q.tags})
        if tag not in tags:
            _did_you_mean(tag, tags, "tag")
    questions = bank.filter(topic=topic, kind=kind, difficulty=difficulty, tag=tag, text=search)
    if summary:
        _print_summary(questions, as_json)
        return
    if as_json:
        click.echo(json.dumps([_question_json(q) for q in questions], indent=2))
        return
    console = _out_console()
    if not questions:
        console.print("no questions match")
        return
    # The title goes under the id, so the table fits 80 columns; tags only when there is room.
    show_topic = topic is None
    show_tags = console.width >= 120
    table = Table(title=f"{len(questions)} question(s)", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("question", overflow="fold", ratio=3)
    if show_topic:
        table.add_column("topic", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("level", no_wrap=True)
    if show_tags:
        table.add_column("tags", overflow="fold", ratio=1)
    for q in questions:
        label = Text(q.id, style="bold")
        label.append("\n" + q.display_title + (" (varies)" if q.has_params else ""), "dim")
        row: list[Any] = [label]
        if show_topic:
            row.append(q.topic)
        row += [q.kind.value, q.difficulty.value]
        if show_tags:
            row.append(", ".join(q.tags))
        table.add_row(*row)
    console.print(table)


def _question_json(q: Question) -> dict[str, Any]:
    return {
        "id": q.id,
        "topic": q.topic,
        "kind": q.kind.value,
        "difficulty": q.difficulty.value,
        "title": q.display_title,
        "tags": list(q.tags),
        "params": sorted(q.params),
        "file": str(q.source_file) if q.source_file else None,
        "line": q.source_line,
    }


def _print_summary(questions: list[Question], as_json: bool) -> None:
    counts: dict[tuple[str, Kind], dict[Difficulty, int]] = {}
    for q in questions:
        row = counts.setdefault((q.topic, q.kind), {d: 0 for d in Difficulty})
        row[q.difficulty] += 1
    kind_order = {k: i for i, k in enumerate(Kind)}
    topic_order = {t: i for i, t in enumerate(dict.fromkeys(q.topic for q in questions))}
    keys = sorted(counts, key=lambda k: (topic_order[k[0]], kind_order[k[1]]))
    if as_json:
        rows = [
            {"topic": t, "kind": k.value, "difficulty": d.value, "count": counts[(t, k)][d]}
            for t, k in keys
            for d in Difficulty
            if counts[(t, k)][d]
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(questions)} question(s) by topic, kind and difficulty")
    table.add_column("topic")
    table.add_column("kind")
    for d in Difficulty:
        table.add_column(d.value, justify="right")
    table.add_column("total", justify="right", style="bold")
    for t, k in keys:
        row = counts[(t, k)]
        table.add_row(t, k.value, *(str(row[d] or "") for d in Difficulty), str(sum(row.values())))
    totals = {d: sum(counts[key][d] for key in keys) for d in Difficulty}
    table.add_section()
    table.add_row("all", "", *(str(totals[d]) for d in Difficulty), str(len(questions)))
    _out_console().print(table)
