"""Ready by the interview: the forecast, the plan to the date, and the statistics behind them.

Plain data in and out (no SQLAlchemy, no Textual, no torch); `quizapp.progress` reads the cards
and calls these. The rules (see docs/progress.md, "Readiness"):

- **Retrievability** is FSRS's own estimate, `fsrs.Scheduler.get_card_retrievability`, with the
  profile's parameters. "On the day" means 12:00 local time on the interview day. A question never
  answered counts as 0 (not known).
- **The forecast** (`Readiness`): for the focus questions, overall and per topic, the mean
  retrievability now (`today`), on the day if nothing more were studied (`on_the_day`, exactly the
  cards' retrievability), and on the day following the plan (`at_pace`, a seeded Monte Carlo run
  of the plan through the same scheduler, recall drawn from the model's own retrievability).
- **The plan** (`Plan`): new questions a day = ceil(unseen focus questions at the start of today /
  days left to learn), where new questions are introduced up to two days before the interview so
  that every one is seen again on a later day before it; the daily allowance is the larger of that
  and the profile's own new-per-day. Reviews: a card whose retrievability on the day would fall
  below the target is due, at the latest, k days before the interview, where k is the interval the
  scheduler gives its current stability at the target retention (`effective_due`): a successful
  review then can only raise its stability, so its retrievability on the day is at least the target.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import DEFAULT_PARAMETERS

DEFAULT_TARGET_RETENTION = 0.9
SCHEDULER_RETENTION = 0.9  # the scheduler's everyday desired retention (fsrs's default)
INTERVIEW_HOUR = 12  # "on the day" is this hour, local time
# New questions are introduced until this many days before the interview, so that each one gets a
# second look on a later day before it (FSRS's first interval after graduating is at least a day).
NEW_UNTIL_DAYS_BEFORE = 2
PROJECTION_RUNS = 12
PROJECTION_SEED = 13
CURVE_POINTS = 61  # at most this many points on the forecast curve (today and the day included)
# A right answer a day or more after the previous one, with that previous interval at least this
# long, is a review of a mature question (Anki's definition of "mature": an interval of 21+ days).
MATURE_DAYS = 21
RETENTION_WINDOWS = (7, 30, 365)
BUCKETS: tuple[tuple[str, float], ...] = (
    ("<1d", 1.0),
    ("1-3d", 3.0),
    ("3-7d", 7.0),
    ("1-3w", 21.0),
    ("3w-3m", 90.0),
    ("3m+", math.inf),
)
# What a new question's first answer is assumed to be right with when the profile has no history.
DEFAULT_FIRST_RIGHT = 0.6


class ReviewKind(StrEnum):
    """How a review in the log counts for true retention."""

    MATURE = "mature"  # previous interval >= MATURE_DAYS
    YOUNG = "young"  # previous interval of 1 to MATURE_DAYS days


MIN_TARGET, MAX_TARGET = 0.5, 1.0  # a target retention is in [0.5, 1)


def parse_interview_date(text: str) -> date | None:
    """An interview date as typed (YYYY-MM-DD; empty: none); ValueError says how to write it."""
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2027-01-15 (empty: no interview)"
        ) from None


def parse_target_retention(text: str) -> float:
    """A target retention as typed (0.9, or 90%), or ValueError saying what is allowed."""
    raw = text.strip().removesuffix("%").strip()
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{text!r} is not a number; write e.g. 0.9 (or 90%)") from None
    if text.strip().endswith("%") or value > 1:
        value /= 100
    if not (MIN_TARGET <= value < MAX_TARGET) or math.isnan(value):
        raise ValueError(
            f"target retention must be at least {MIN_TARGET:.0%} and below 100% "
            f"(got {text.strip()})"
        )
    return value


def make_scheduler(parameters: Sequence[float] | None = None, *, fuzz: bool = True) -> Scheduler:
    """The profile's FSRS scheduler: its fitted parameters (None: fsrs's defaults). Its day-to-day
    desired retention stays SCHEDULER_RETENTION; the target retention is for the interview day and
    acts through `effective_due` (a higher target pulls reviews in before the day)."""
    return Scheduler(
        parameters=tuple(parameters) if parameters is not None else DEFAULT_PARAMETERS,
        desired_retention=SCHEDULER_RETENTION,
        enable_fuzzing=fuzz,
    )


def interview_moment(day: date, tz: tzinfo | None) -> datetime:
    """The UTC moment "on the day" means: INTERVIEW_HOUR local time on the interview day."""
    local = datetime.combine(day, time(INTERVIEW_HOUR))
    aware = local.replace(tzinfo=tz) if tz is not None else local.astimezone()
    return aware.astimezone(UTC)


def start_of_day(day: date, tz: tzinfo | None) -> datetime:
    local = datetime.combine(day, time())
    aware = local.replace(tzinfo=tz) if tz is not None else local.astimezone()
    return aware.astimezone(UTC)


@dataclass(frozen=True)
class Memory:
    """What the forecast needs of one card (a row of review_cards)."""

    question_id: str
    topic: str
    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    first_day: date | None = None

    def to_card(self) -> Card:
        return Card(
            card_id=1,
            state=State(self.state),
            step=self.step,
            stability=self.stability,
            difficulty=self.difficulty,
            due=self.due,
            last_review=self.last_review,
        )


def retrievability(scheduler: Scheduler, memory: Memory | None, at: datetime) -> float:
    """FSRS's chance of recall at `at`; 0 for a question never answered."""
    if memory is None:
        return 0.0
    return float(scheduler.get_card_retrievability(memory.to_card(), current_datetime=at))


def forgetting_curve(scheduler: Scheduler, elapsed_days: int, stability: float) -> float:
    """The same formula as Scheduler.get_card_retrievability (fsrs 6), for many points at once
    without building Cards; tests keep the two equal."""
    decay = -scheduler.parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    return float((1 + factor * max(elapsed_days, 0) / stability) ** decay)


def interval_at(scheduler: Scheduler, stability: float, retention: float) -> int:
    """Whole days until retrievability falls to `retention` (at least 1), like fsrs's own
    next-interval rule without its rounding up past the target."""
    decay = -scheduler.parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    days = stability / factor * (retention ** (1 / decay) - 1)
    return max(math.floor(days), 1)


def effective_due(
    scheduler: Scheduler,
    memory: Memory,
    *,
    interview: datetime | None,
    target: float,
    tz: tzinfo | None,
    now: datetime,
) -> datetime:
    """The card's due date, pulled in so that a review lands before the interview when its
    retrievability on the day would otherwise be below the target (rule in the module docstring).
    Never later than the scheduler's own due date."""
    if (
        interview is None
        or interview <= now
        or memory.stability is None
        or memory.last_review is None
    ):
        return memory.due
    if retrievability(scheduler, memory, interview) >= target:
        return memory.due
    k = interval_at(scheduler, memory.stability, target)
    latest = start_of_day(local_date(interview, tz) - timedelta(days=k), tz)
    # At most one review a day: a card whose stability is too short for any review before the day
    # to carry it (after a late lapse) must not fall due again the moment it is answered.
    latest = max(latest, memory.last_review + timedelta(days=1))
    return min(memory.due, latest)


def local_date(moment: datetime, tz: tzinfo | None) -> date:
    return (moment.astimezone(tz) if tz is not None else moment.astimezone()).date()


# -- the plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What to do today to be ready on the day (rule in the module docstring)."""

    days_left: int  # whole days from today to the interview (0 on the day)
    unseen: int  # focus questions never answered
    needed_per_day: int  # new questions a day needed to see each one twice before the day
    new_per_day: int  # today's pace: max(needed_per_day, the profile's new-per-day)
    new_today: int  # new questions still to take today
    reviews_today: int  # focus cards due by the end of today (after cuts)
    learn_until: date | None  # the last day new questions are introduced

    def line(self) -> str:
        return f"today: {self.new_today} new, {self.reviews_today} reviews"


def needed_new_per_day(unseen_at_start_of_day: int, days_left: int) -> int:
    """New questions a day so that every unseen one is introduced by NEW_UNTIL_DAYS_BEFORE days
    before the interview (all of them today when that day has passed)."""
    if unseen_at_start_of_day <= 0:
        return 0
    learning_days = days_left - NEW_UNTIL_DAYS_BEFORE + 1
    if learning_days <= 1:
        return unseen_at_start_of_day
    return math.ceil(unseen_at_start_of_day / learning_days)


def make_plan(
    *,
    today: date,
    interview_day: date,
    unseen: int,
    new_today_done: int,
    profile_new_per_day: int,
    reviews_today: int,
) -> Plan:
    days_left = (interview_day - today).days
    needed = needed_new_per_day(unseen + new_today_done, days_left)
    pace = max(needed, profile_new_per_day) if days_left > 0 else 0
    return Plan(
        days_left=days_left,
        unseen=unseen,
        needed_per_day=needed,
        new_per_day=pace,
        new_today=min(max(pace - new_today_done, 0), unseen),
        reviews_today=reviews_today,
        learn_until=(
            interview_day - timedelta(days=NEW_UNTIL_DAYS_BEFORE)
            if days_left >= NEW_UNTIL_DAYS_BEFORE
            else None
        ),
    )


# -- the forecast --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicReadiness:
    topic: str
    questions: int  # focus questions of this topic
    seen: int
    today: float
    on_the_day: float  # if nothing more is studied
    at_pace: float  # following the plan
    below_target: int  # seen questions whose retrievability on the day is below the target


@dataclass(frozen=True)
class ForecastPoint:
    day: date
    share: float  # expected share right on that day, following the plan


@dataclass(frozen=True)
class Readiness:
    interview_date: date
    today: float
    on_the_day: float
    at_pace: float
    target_retention: float
    days_left: int
    questions: int
    seen: int
    below_target: int
    by_topic: list[TopicReadiness]
    curve: list[ForecastPoint]
    plan: Plan
    fitted: bool  # the scheduler uses parameters fitted to this profile

    def to_json(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

    def headline(self) -> str:
        """ "ready 41% today, 78% on 15 Jan at this pace"."""
        on = f"{self.interview_date.day} {self.interview_date:%b}"
        return f"ready {self.today:.0%} today, {self.at_pace:.0%} on {on} at this pace"

    def countdown(self) -> str:
        if self.days_left < 0:
            return f"interview was {-self.days_left} day(s) ago ({self.interview_date})"
        if self.days_left == 0:
            return f"interview today ({self.interview_date})"
        unit = "day" if self.days_left == 1 else "days"
        return f"{self.days_left} {unit} to the interview ({self.interview_date:%a %d %b %Y})"


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    return value


@dataclass(frozen=True)
class LearnerHabits:
    """What the projection assumes of the user, from their own log."""

    first_right: float = DEFAULT_FIRST_RIGHT  # share of first answers that were right
    # Ratings of right answers (Hard, Good, Easy) -> share; Good only without history.
    right_ratings: dict[int, float] = field(default_factory=lambda: {int(Rating.Good): 1.0})


def forecast(
    *,
    scheduler: Scheduler,
    memories: Sequence[Memory],
    focus: Sequence[tuple[str, str]],  # (question id, topic), in the order new ones are taken
    now: datetime,
    tz: tzinfo | None,
    interview_day: date,
    target: float,
    profile_new_per_day: int,
    habits: LearnerHabits | None = None,
    fitted: bool = False,
    runs: int = PROJECTION_RUNS,
    seed: int = PROJECTION_SEED,
) -> Readiness:
    habits = habits or LearnerHabits()
    today = local_date(now, tz)
    moment = interview_moment(interview_day, tz)
    by_id = {m.question_id: m for m in memories}
    focus_ids = [q for q, _t in focus]
    topic_of = dict(focus)
    seen = [by_id[q] for q in focus_ids if q in by_id]
    unseen = [q for q in focus_ids if q not in by_id]
    end_today = start_of_day(today + timedelta(days=1), tz)
    due_today = sum(
        1
        for m in seen
        if effective_due(scheduler, m, interview=moment, target=target, tz=tz, now=now) < end_today
    )
    new_today_done = sum(1 for m in seen if m.first_day == today)
    plan = make_plan(
        today=today,
        interview_day=interview_day,
        unseen=len(unseen),
        new_today_done=new_today_done,
        profile_new_per_day=profile_new_per_day,
        reviews_today=due_today,
    )
    r_now = {m.question_id: retrievability(scheduler, m, now) for m in seen}
    r_day = {m.question_id: retrievability(scheduler, m, moment) for m in seen}
    days = _curve_days(today, interview_day)
    projected = _project(
        scheduler=scheduler,
        seen=seen,
        unseen=unseen,
        plan=plan,
        now=now,
        tz=tz,
        interview=moment,
        target=target,
        habits=habits,
        days=days,
        runs=runs,
        seed=seed,
    )
    n = len(focus_ids)

    def mean(values: Iterable[float], count: int) -> float:
        return sum(values) / count if count else 0.0

    by_topic: list[TopicReadiness] = []
    topics: dict[str, list[str]] = defaultdict(list)
    for q in focus_ids:
        topics[topic_of[q]].append(q)
    for topic in sorted(topics):
        ids = topics[topic]
        by_topic.append(
            TopicReadiness(
                topic=topic,
                questions=len(ids),
                seen=sum(1 for q in ids if q in by_id),
                today=mean((r_now.get(q, 0.0) for q in ids), len(ids)),
                on_the_day=mean((r_day.get(q, 0.0) for q in ids), len(ids)),
                at_pace=mean((projected[q][-1] for q in ids), len(ids)),
                below_target=sum(1 for q in ids if q in r_day and r_day[q] < target),
            )
        )
    curve = [
        ForecastPoint(day, mean((projected[q][i] for q in focus_ids), n))
        for i, day in enumerate(days)
    ]
    return Readiness(
        interview_date=interview_day,
        today=mean(r_now.values(), n),
        on_the_day=mean(r_day.values(), n),
        at_pace=curve[-1].share if curve else 0.0,
        target_retention=target,
        days_left=plan.days_left,
        questions=n,
        seen=len(seen),
        below_target=sum(1 for r in r_day.values() if r < target),
        by_topic=by_topic,
        curve=curve,
        plan=plan,
        fitted=fitted,
    )


def _curve_days(today: date, interview_day: date) -> list[date]:
    total = (interview_day - today).days
    if total <= 0:
        return [interview_day]
    step = max(1, math.ceil(total / (CURVE_POINTS - 1)))
    days = [today + timedelta(days=i) for i in range(0, total, step)]
    return [*days, interview_day]


def _project(
    *,
    scheduler: Scheduler,
    seen: Sequence[Memory],
    unseen: Sequence[str],
    plan: Plan,
    now: datetime,
    tz: tzinfo | None,
    interview: datetime,
    target: float,
    habits: LearnerHabits,
    days: Sequence[date],
    runs: int,
    seed: int,
) -> dict[str, list[float]]:
    """Per focus question, its mean retrievability on each of `days` (at INTERVIEW_HOUR local)
    over `runs` simulated futures that follow the plan: every due review done on time, recall
    drawn from the model's retrievability, right answers rated like the user's."""
    rng = random.Random(seed)
    sim = replace_fuzz(scheduler)
    moments = [interview_moment(d, tz) for d in days]
    ratings = list(habits.right_ratings)
    weights = [habits.right_ratings[r] for r in ratings]
    # When each unseen question is introduced: today's allowance first, then the plan's pace.
    intro: dict[str, datetime] = {}
    today = local_date(now, tz)
    day, taken_today, quota = today, 0, plan.new_today
    for qid in unseen:
        while taken_today >= quota:
            day += timedelta(days=1)
            taken_today, quota = 0, plan.new_per_day
            if quota <= 0 or day >= local_date(interview, tz):
                break
        if taken_today >= quota:
            break
        first = start_of_day(day, tz) + timedelta(hours=10)
        intro[qid] = max(first, now)
        taken_today += 1
    totals: dict[str, list[float]] = {}
    for memory in seen:
        totals[memory.question_id] = [0.0] * len(days)
    for qid in unseen:
        totals[qid] = [0.0] * len(days)
    for _run in range(runs):
        for memory in seen:
            path = _simulate(
                sim, memory.to_card(), now, interview, target, tz, rng, ratings, weights, None
            )
            _accumulate(sim, path, moments, totals[memory.question_id])
        for qid, start in intro.items():
            path = _simulate(
                sim,
                Card(card_id=1, due=start),
                start,
                interview,
                target,
                tz,
                rng,
                ratings,
                weights,
                habits.first_right,
            )
            _accumulate(sim, path, moments, totals[qid])
    return {q: [v / runs for v in values] for q, values in totals.items()}


def replace_fuzz(scheduler: Scheduler) -> Scheduler:
    """The same scheduler without fuzzing (a projection must not depend on the global RNG)."""
    return Scheduler(
        parameters=scheduler.parameters,
        desired_retention=scheduler.desired_retention,
        learning_steps=scheduler.learning_steps,
        relearning_steps=scheduler.relearning_steps,
        maximum_interval=scheduler.maximum_interval,
        enable_fuzzing=False,
    )


def _simulate(
    sim: Scheduler,
    card: Card,
    now: datetime,
    interview: datetime,
    target: float,
    tz: tzinfo | None,
    rng: random.Random,
    ratings: list[int],
    weights: list[float],
    first_right: float | None,
) -> list[tuple[datetime, float]]:
    """One future of one card up to the interview: [(review moment, stability after)]; the card's
    existing last review first."""
    path: list[tuple[datetime, float]] = []
    if card.last_review is not None and card.stability is not None:
        path.append((card.last_review, card.stability))
    first = first_right is not None
    while True:
        if card.last_review is not None and card.stability is not None:
            memory = Memory(
                "",
                "",
                int(card.state),
                card.step,
                card.stability,
                card.difficulty,
                card.due,
                card.last_review,
            )
            due = effective_due(sim, memory, interview=interview, target=target, tz=tz, now=now)
        else:
            due = card.due
        at = max(due, now)
        if at >= interview:
            return path
        if first:
            p = first_right or 0.0
            first = False
        else:
            p = float(sim.get_card_retrievability(card, current_datetime=at))
        if rng.random() < p:
            rating = Rating(rng.choices(ratings, weights)[0]) if ratings else Rating.Good
        else:
            rating = Rating.Again
        card, _log = sim.review_card(card, rating, review_datetime=at)
        now = at
        assert card.stability is not None
        path.append((at, float(card.stability)))


def _accumulate(
    sim: Scheduler,
    path: list[tuple[datetime, float]],
    moments: Sequence[datetime],
    into: list[float],
) -> None:
    j = -1
    for i, moment in enumerate(moments):
        while j + 1 < len(path) and path[j + 1][0] <= moment:
            j += 1
        if j < 0:
            continue
        last, stability = path[j]
        into[i] += forgetting_curve(sim, (moment - last).days, stability)


# -- statistics a person can trust ---------------------------------------------------------------


@dataclass(frozen=True)
class RetentionCount:
    reviews: int
    right: int

    @property
    def retention(self) -> float | None:
        return self.right / self.reviews if self.reviews else None


@dataclass(frozen=True)
class RetentionWindow:
    days: int
    mature: RetentionCount
    young: RetentionCount
    by_topic: dict[str, dict[str, RetentionCount]]  # topic -> {"mature": ..., "young": ...}


@dataclass(frozen=True)
class LoggedAnswer:
    """One attempt as true retention needs it."""

    question_id: str
    topic: str
    answered_at: datetime
    answered_day: date
    correct: bool


def true_retention(answers: Sequence[LoggedAnswer], today: date) -> list[RetentionWindow]:
    """Share of reviews answered right over the last 7 / 30 / 365 days: a review is an answer a
    day or more after the same question's previous answer; it is of a mature question when that
    gap was MATURE_DAYS or more (Anki's "true retention")."""
    ordered = sorted(answers, key=lambda a: (a.question_id, a.answered_at))
    reviews: list[tuple[LoggedAnswer, ReviewKind]] = []
    previous: LoggedAnswer | None = None
    for answer in ordered:
        if previous is not None and previous.question_id == answer.question_id:
            gap = (answer.answered_day - previous.answered_day).days
            if gap >= 1:
                kind = ReviewKind.MATURE if gap >= MATURE_DAYS else ReviewKind.YOUNG
                reviews.append((answer, kind))
        previous = answer
    windows = []
    for span in RETENTION_WINDOWS:
        first = today - timedelta(days=span - 1)
        counts: Counter[tuple[str, ReviewKind, bool]] = Counter(
            (a.topic, kind, a.correct) for a, kind in reviews if a.answered_day >= first
        )
        topics = sorted({t for t, _k, _c in counts})

        def count(kind: ReviewKind, topic: str | None, c: Counter[Any] = counts) -> RetentionCount:
            keys = [k for k in c if k[1] == kind and (topic is None or k[0] == topic)]
            return RetentionCount(
                reviews=sum(c[k] for k in keys), right=sum(c[k] for k in keys if k[2])
            )

        windows.append(
            RetentionWindow(
                days=span,
                mature=count(ReviewKind.MATURE, None),
                young=count(ReviewKind.YOUNG, None),
                by_topic={
                    t: {
                        ReviewKind.MATURE.value: count(ReviewKind.MATURE, t),
                        ReviewKind.YOUNG.value: count(ReviewKind.YOUNG, t),
                    }
                    for t in topics
                },
            )
        )
    return windows


@dataclass(frozen=True)
class Bucket:
    label: str
    stability: int  # cards whose stability falls in the bucket
    interval: int  # cards whose scheduled interval (due - last review) falls in the bucket


def memory_distribution(memories: Sequence[Memory]) -> list[Bucket]:
    """How many cards have a stability / a scheduled interval in each of BUCKETS."""

    def bucket(days: float) -> int:
        return next(i for i, (_label, upper) in enumerate(BUCKETS) if days < upper)

    stability = [0] * len(BUCKETS)
    interval = [0] * len(BUCKETS)
    for m in memories:
        if m.stability is None or m.last_review is None:
            continue
        stability[bucket(m.stability)] += 1
        interval[bucket((m.due - m.last_review).total_seconds() / 86400)] += 1
    return [Bucket(label, stability[i], interval[i]) for i, (label, _upper) in enumerate(BUCKETS)]


@dataclass(frozen=True)
class TrustedStats:
    """The `readiness`, `retention` and `memory` parts of `quizapp stats --json`."""

    readiness: Readiness | None
    retention: list[RetentionWindow]
    memory: list[Bucket]
    reviews_for_fit: int  # reviews the optimizer can learn from
    reviews_needed_for_fit: int  # more needed before `quizapp optimize` can fit (0: enough)
    fitted: bool = False  # the profile already schedules with fitted parameters
    parameters: tuple[float, ...] | None = None  # those parameters (None: fsrs's defaults)

    def to_json(self) -> dict[str, Any]:
        def count(c: RetentionCount) -> dict[str, Any]:
            return {"reviews": c.reviews, "right": c.right, "retention": c.retention}

        return {
            "readiness": self.readiness.to_json() if self.readiness else None,
            "retention": {
                str(w.days): {
                    "mature": count(w.mature),
                    "young": count(w.young),
                    "by_topic": {
                        t: {k: count(v) for k, v in kinds.items()}
                        for t, kinds in w.by_topic.items()
                    },
                }
                for w in self.retention
            },
            "memory": [asdict(b) for b in self.memory],
            "optimizer": {
                "reviews": self.reviews_for_fit,
                "needed": self.reviews_needed_for_fit,
                "fitted": self.fitted,
                # The parameters every retrievability above was computed with.
                "parameters": list(self.parameters or DEFAULT_PARAMETERS),
            },
        }


__all__ = [
    "DEFAULT_TARGET_RETENTION",
    "Bucket",
    "ForecastPoint",
    "LearnerHabits",
    "LoggedAnswer",
    "Memory",
    "Plan",
    "Readiness",
    "RetentionWindow",
    "TopicReadiness",
    "TrustedStats",
    "effective_due",
    "forecast",
    "forgetting_curve",
    "interview_moment",
    "make_plan",
    "make_scheduler",
    "memory_distribution",
    "needed_new_per_day",
    "parse_interview_date",
    "parse_target_retention",
    "retrievability",
    "true_retention",
]
