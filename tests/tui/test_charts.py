"""The text charts: bars, the activity calendar, the due forecast, and counted words."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from quizapp.tui.practice import plural
from quizapp.tui.widgets.charts import bar, bars_text, forecast_text, heat_level, heatmap_text


@given(st.floats(min_value=-1, max_value=2, allow_nan=False), st.integers(1, 60))
def test_a_bar_is_always_its_width_and_grows_with_the_fraction(fraction: float, width: int) -> None:
    drawn = bar(fraction, width)
    assert len(drawn) == width
    assert drawn.count("█") == int(min(1.0, max(0.0, fraction)) * width * 8 + 0.5) // 8


def test_bar_ends() -> None:
    assert bar(0, 4) == "    " and bar(1, 4) == "████" and bar(0.5, 4) == "██  "
    assert bar(1 / 32, 4) == "▏   "  # an eighth of a cell


@given(st.integers(20, 200))
def test_fitted_bars_never_wrap(cells: int) -> None:
    rows = [("forward-pass", 0.25, "25% of 12"), ("modes", 1.0, "100% of 3"), ("hooks", 0, "—")]
    lines = bars_text(rows, 30, fit=cells).plain.splitlines()
    assert len(lines) == 3
    longest = max(len(line) for line in lines)
    fixed = len("forward-pass") + len("100% of 3") + 2  # label, caption and two spaces
    assert longest == fixed + max(4, min(30, cells - fixed))  # the bar takes what is left
    if cells >= fixed + 4:
        assert longest <= cells


def test_empty_bars_say_so() -> None:
    assert bars_text([]).plain == "nothing yet"


def test_heat_levels_scale_with_the_busiest_day() -> None:
    assert heat_level(0, 10) == 0 and heat_level(1, 10) == 1 and heat_level(10, 10) == 4
    assert heat_level(5, 0) == 0


def test_heatmap_is_a_week_per_column_with_today_last() -> None:
    today = date(2026, 11, 27)  # a Friday
    text = heatmap_text({today: 3, today - timedelta(days=1): 1}, today, weeks=10).plain
    lines = text.splitlines()
    assert len(lines) == 1 + 7 + 1  # months, seven weekdays, the legend
    days = [line[4:] for line in lines[1:8]]
    assert all(len(row) == 10 for row in days)
    assert days[4][-1] == "█"  # Friday, this week: the busiest day
    assert days[3][-1] == "▒"  # Thursday: 1 of a peak of 3 is the second of four levels
    assert days[5][-1] == " " and days[6][-1] == " "  # the weekend has not happened yet


def test_forecast_has_a_column_per_day() -> None:
    start = date(2026, 11, 29)
    text = forecast_text([(start + timedelta(days=i), n) for i, n in enumerate([0, 4, 2])])
    lines = text.plain.splitlines()
    assert lines[-2].split() == ["0", "4", "2"] and lines[-1].split() == ["Su", "Mo", "Tu"]
    assert forecast_text([]).plain == "nothing scheduled"


def test_plural() -> None:
    assert plural(1, "answer") == "1 answer"
    assert plural(0, "answer") == "0 answers" and plural(3, "day") == "3 days"
