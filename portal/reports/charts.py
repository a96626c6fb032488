"""Small server-side charts for the monthly report PDF: geometry here, SVG markup in
``templates/reports/_svg_chart.html`` (WeasyPrint renders inline SVG; no JavaScript there).

Two kinds are enough for the report: vertical bars (stacked when there are several series) and
a line over buckets. Values are Decimal or int; the axis runs from 0 (or a given minimum) to a
"nice" maximum: four equal steps of 1, 2, 2.5 or 5 times a power of ten, whole numbers.
"""

from dataclasses import dataclass, field
from decimal import Decimal

WIDTH = 640
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 28, 46
# One colour per series, distinguishable in print and for common colour blindness (Okabe-Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass
class Tick:
    y: float
    label: str


@dataclass
class XLabel:
    x: float
    label: str


@dataclass
class LegendItem:
    x: float
    colour: str
    label: str


@dataclass
class Point:
    x: float
    y: float
    title: str


@dataclass
class Chart:
    """What the SVG template draws."""

    title: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: float = HEIGHT - BOTTOM
    ticks: list[Tick] = field(default_factory=list)
    x_labels: list[XLabel] = field(default_factory=list)
    legend: list[LegendItem] = field(default_factory=list)
    rects: list[Rect] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    line_colour: str = PALETTE[0]
    empty: bool = False

    @property
    def polyline(self) -> str:
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in self.points)


# Axis steps: whole numbers of the form 1, 2, 2.5 or 5 × 10^k (the charts count things).
STEPS = sorted(
    int(size)
    for size in (step * 10**power for power in range(12) for step in (1, 2, 2.5, 5))
    if float(size).is_integer()
)


def nice_max(value: float) -> int:
    """An axis maximum of four equal whole steps: 3 → 4, 5 → 8, 9 → 20, 350 → 400."""
    quarter = max(float(value), 0) / 4
    return 4 * next((step for step in STEPS if step >= quarter), STEPS[-1])


def short(label: str, width: int = 8) -> str:
    """A category label that fits under its bar: at most ``width`` characters."""
    return label if len(label) <= width else label[: width - 1] + "…"


def _label(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:,.1f}"


def _axis(chart: Chart, low: float, high: float, unit: str = "") -> None:
    plot = chart.baseline - TOP
    for n in range(5):
        value = low + (high - low) * n / 4
        chart.ticks.append(Tick(chart.baseline - plot * n / 4, _label(value) + unit))


def _legend(chart: Chart, names: list[str]) -> None:
    x = float(LEFT)
    for n, name in enumerate(names):
        chart.legend.append(LegendItem(x, PALETTE[n % len(PALETTE)], name))
        # CJK glyphs are about as wide as the font size; Latin ones about half of it.
        x += 22 + sum(11 if ord(char) > 0x2E80 else 6 for char in name)


def bar_chart(
    title: str,
    labels: list[str],
    series: list[tuple[str, list]],
    *,
    maximum: float | None = None,
    unit: str = "",
) -> Chart:
    """Vertical bars, one per label; several series are stacked in the given order."""
    chart = Chart(title=title)
    totals = [sum(float(values[i] or 0) for _name, values in series) for i in range(len(labels))]
    chart.empty = not any(totals)
    high = maximum or nice_max(max(totals, default=0))
    _axis(chart, 0, high, unit)
    if len(series) > 1:
        _legend(chart, [name for name, _values in series])
    plot_width = chart.right_edge - LEFT
    plot_height = chart.baseline - TOP
    slot = plot_width / max(len(labels), 1)
    bar = min(slot * 0.6, 48)
    for i, label in enumerate(labels):
        x = LEFT + slot * i + (slot - bar) / 2
        chart.x_labels.append(XLabel(LEFT + slot * (i + 0.5), short(label)))
        y = chart.baseline
        for n, (name, values) in enumerate(series):
            value = float(values[i] or 0)
            if not value:
                continue
            height = plot_height * value / high
            y -= height
            chart.rects.append(
                Rect(x, y, bar, height, PALETTE[n % len(PALETTE)], f"{label} {name}: {values[i]}")
            )
    return chart


def line_chart(
    title: str,
    labels: list[str],
    values: list[Decimal | None],
    *,
    minimum: float = 0,
    maximum: float | None = None,
) -> Chart:
    """A line through the buckets that have a value (gaps are skipped, not drawn as zero)."""
    chart = Chart(title=title)
    known = [float(value) for value in values if value is not None]
    chart.empty = not known
    high = maximum or nice_max(max(known, default=0))
    _axis(chart, minimum, high)
    plot_width = chart.right_edge - LEFT
    plot_height = chart.baseline - TOP
    slot = plot_width / max(len(labels), 1)
    for i, label in enumerate(labels):
        x = LEFT + slot * (i + 0.5)
        chart.x_labels.append(XLabel(x, short(label)))
        if values[i] is None:
            continue
        y = chart.baseline - plot_height * (float(values[i]) - minimum) / (high - minimum)
        chart.points.append(Point(x, y, f"{label}: {values[i]}"))
    return chart
