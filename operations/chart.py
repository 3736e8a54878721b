"""Geometry of the stats page's "jobs per day" chart: stacked bars, drawn as inline SVG by
``templates/admin/operations/stats.html`` (no script, no chart library, nothing fetched)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from operations.selectors import DayOutcomes

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 36
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

# (attribute of DayOutcomes, label, colour), stacked from the bottom up.
OUTCOMES = (
    ("succeeded", "succeeded", "#2e7d32"),
    ("failed", "failed", "#c62828"),
    ("canceled", "canceled", "#9e9e9e"),
    ("in_progress", "queued or running", "#1565c0"),
)


@dataclass(frozen=True)
class Segment:
    y: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    label: str  # shown under every fifth bar and the last
    segments: list[Segment]


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right_edge: int
    baseline: int
    bars: list[Bar]
    ticks: list[Tick]
    legend: list[tuple[str, str]]
    total: int


def _axis_top(peak: int) -> int:
    """A round number at or above ``peak`` so the ticks read well (1, 2, 5 x 10^n)."""
    if peak <= 4:
        return 4
    magnitude = 10 ** math.floor(math.log10(peak))
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= peak)


def jobs_chart(days: list[DayOutcomes]) -> Chart:
    top = _axis_top(max((day.total for day in days), default=0))
    scale = PLOT_H / top
    slot = PLOT_W / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        base = TOP + PLOT_H
        segments = []
        for attribute, label, colour in OUTCOMES:
            count = getattr(day, attribute)
            if not count:
                continue
            height = count * scale
            base -= height
            title = f"{day.day:%Y-%m-%d}: {count} {label}"
            segments.append(
                Segment(y=round(base, 2), height=round(height, 2), colour=colour, title=title)
            )
        shown = index % 5 == 0 or index == len(days) - 1
        bars.append(
            Bar(
                x=round(LEFT + index * slot + slot * 0.15, 2),
                width=round(slot * 0.7, 2),
                label=f"{day.day:%m-%d}" if shown else "",
                segments=segments,
            )
        )
    ticks = [
        Tick(y=round(TOP + PLOT_H - value * scale, 2), value=value) for value in (0, top // 2, top)
    ]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right_edge=WIDTH - RIGHT,
        baseline=TOP + PLOT_H,
        bars=bars,
        ticks=ticks,
        legend=[(label, colour) for _, label, colour in OUTCOMES],
        total=sum(day.total for day in days),
    )
