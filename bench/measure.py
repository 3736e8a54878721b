"""What every section measures with: wrk runs, /proc memory figures, and the rows of the table.

A row is one figure next to its ceiling (measured in the same run, just before), the ratio of
the two, the target and whether it was met. Rows without a ceiling or a target are context.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

WRK_TIMEOUT = "10s"


@dataclass(frozen=True)
class Target:
    """``ratio >= at_least`` (throughput), ``ratio <= at_most`` (slow-down), or
    ``figure < below`` (an absolute bound)."""

    text: str
    check: Callable[[float, float | None], bool]

    @classmethod
    def ratio_at_least(cls, share: float) -> Target:
        return cls(f">= {share:.0%} of ceiling", lambda figure, ratio: (ratio or 0) >= share)

    @classmethod
    def ratio_at_most(cls, factor: float) -> Target:
        return cls(
            f"<= {factor}x baseline", lambda figure, ratio: ratio is not None and ratio <= factor
        )

    @classmethod
    def below(cls, bound: float, unit: str) -> Target:
        return cls(f"< {bound:g} {unit}", lambda figure, ratio: figure < bound)


@dataclass(frozen=True)
class Row:
    section: str
    measurement: str
    figure: float
    unit: str
    ceiling: float | None = None
    target: Target | None = None

    @property
    def ratio(self) -> float | None:
        if self.ceiling is None or not self.ceiling:
            return None
        return self.figure / self.ceiling

    @property
    def met(self) -> str:
        if self.target is None:
            return ""
        return "yes" if self.target.check(self.figure, self.ratio) else "NO"


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def table(rows: list[Row]) -> str:
    header = ("section", "measurement", "figure", "ceiling", "ratio", "target", "met")
    lines = [
        (
            row.section,
            row.measurement,
            f"{_number(row.figure)} {row.unit}",
            "" if row.ceiling is None else f"{_number(row.ceiling)} {row.unit}",
            "" if row.ratio is None else f"{row.ratio:.2f}",
            row.target.text if row.target else "",
            row.met,
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(cells) for cells in lines)])


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50: float  # milliseconds
    p99: float
    requests: int
    non_2xx: int
    errors: str


def wrk(
    url: str,
    *,
    connections: int,
    duration: float,
    token: str | None = None,
    script: Path | None = None,
) -> WrkResult:
    """One wrk run (two threads, like the two cores); latency from its distribution."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    command += ["--timeout", WRK_TIMEOUT]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return WrkResult(
        rps=float(_search(r"Requests/sec:\s+([\d.]+)", out)),
        p50=_percentile(out, 50),
        p99=_percentile(out, 99),
        requests=int(_search(r"(\d+) requests in", out)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=errors.group(1) if errors else "",
    )


def _search(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{text}")
    return match.group(1)


def _percentile(out: str, percent: int) -> float:
    """Milliseconds from wrk's "Latency Distribution" line for ``percent``."""
    match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)
    if not match:
        return float("nan")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


# -- processes (Linux /proc) ---------------------------------------------------------------


def children(pid: int) -> list[int]:
    """Every descendant of ``pid``."""
    found: list[int] = []
    queue = [pid]
    while queue:
        parent = queue.pop()
        path = Path(f"/proc/{parent}/task/{parent}/children")
        try:
            kids = [int(kid) for kid in path.read_text().split()]
        except OSError:
            continue
        found += kids
        queue += kids
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def memory_kib(pid: int, field: str = "VmRSS") -> int:
    """``VmRSS`` (resident now) or ``VmHWM`` (peak resident) of ``pid`` in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def peak_reset(pid: int) -> None:
    """Start ``pid``'s peak resident size (VmHWM) again from its current size."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
