"""Charts drawn with Rich text: bars, a year's activity calendar, a due forecast.

Pure display: a screen hands them plain data (`show(...)`); they never reach the service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta

from rich.text import Text
from textual.widgets import Static

BLOCKS = " ▏▎▍▌▋▊▉█"
HEAT = ("·", "░", "▒", "▓", "█")
HEAT_STYLES = ("bright_black", "green4", "green3", "green1", "bold bright_green")


def bar(fraction: float, width: int) -> str:
    """A horizontal bar of `width` cells filled to `fraction`, with eighth-cell resolution."""
    fraction = min(1.0, max(0.0, fraction))
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (BLOCKS[part] if part and full < width else "")
    return text.ljust(width)


def bars_text(
    rows: Sequence[tuple[str, float, str]], width: int = 24, *, fit: int | None = None
) -> Text:
    """One line per row: label, bar, and a caption such as '75% of 12'. With `fit`, the bars
    are as wide as lets each line fit in that many cells (so nothing wraps in a narrow box)."""
    out = Text()
    if not rows:
        return Text("nothing yet", style="dim")
    label_w = min(22, max(len(r[0]) for r in rows))
    if fit is not None:
        caption_w = max(len(r[2]) for r in rows)
        width = max(4, min(width, fit - label_w - caption_w - 2))
    for i, (label, fraction, caption) in enumerate(rows):
        if i:
            out.append("\n")
        style = "red" if fraction < 0.4 else "yellow" if fraction < 0.75 else "green"
        out.append(label[:label_w].ljust(label_w) + " ")
        out.append(bar(fraction, width), style=style)
        out.append(f" {caption}", style="dim")
    return out


def heat_level(count: int, peak: int) -> int:
    if count <= 0 or peak <= 0:
        return 0
    return min(4, 1 + (count * 4 - 1) // peak)


def heatmap_text(activity: Mapping[date, int], today: date, weeks: int = 53) -> Text:
    """A GitHub-style calendar: one column per week, one row per weekday, newest on the right."""
    end = today
    start = end - timedelta(days=end.weekday() + 7 * (weeks - 1))
    peak = max(activity.values(), default=0)
    out = Text()
    months = [" "] * weeks
    for w in range(weeks):
        first = start + timedelta(weeks=w)
        if first.day <= 7:
            label = first.strftime("%b")
            if w + len(label) <= weeks and all(c == " " for c in months[w : w + len(label)]):
                months[w : w + len(label)] = list(label)
    out.append("    " + "".join(months) + "\n", style="dim")
    for weekday in range(7):
        out.append(("Mon ", "    ", "Wed ", "    ", "Fri ", "    ", "Sun ")[weekday], style="dim")
        for w in range(weeks):
            day = start + timedelta(weeks=w, days=weekday)
            if day > end:
                out.append(" ")
                continue
            level = heat_level(activity.get(day, 0), peak)
            out.append(HEAT[level], style=HEAT_STYLES[level])
        if weekday < 6:
            out.append("\n")
    out.append("\n    less ", style="dim")
    for level in range(5):
        out.append(HEAT[level], style=HEAT_STYLES[level])
    out.append(" more", style="dim")
    return out


def forecast_text(forecast: Sequence[tuple[date, int]], height: int = 5) -> Text:
    """Vertical bars: reviews due on each of the coming days."""
    if not forecast:
        return Text("nothing scheduled", style="dim")
    peak = max((n for _, n in forecast), default=0) or 1
    out = Text()
    for row in range(height, 0, -1):
        for _, n in forecast:
            filled = n * height / peak
            cell = "██" if filled >= row else ("▄▄" if filled >= row - 0.5 and n else "  ")
            out.append(cell + " ", style="cyan")
        out.append("\n")
    for _, n in forecast:
        out.append(f"{n:>2} ", style="bold")
    out.append("\n")
    for day, _ in forecast:
        out.append(day.strftime("%a")[:2] + " ", style="dim")
    return out


class Chart(Static):
    """A Static that holds one chart; `show` replaces it. A chart given as a function of the
    available width is redrawn whenever the widget is resized."""

    _draw: Callable[[int], Text] | None = None

    def show(self, chart: Text | Callable[[int], Text]) -> None:
        if isinstance(chart, Text):
            self._draw = None
            self.update(chart)
        else:
            self._draw = chart
            self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        if self._draw is not None:
            self.update(self._draw(self.content_region.width or 80))
