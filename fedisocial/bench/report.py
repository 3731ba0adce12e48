"""Results: the value of each key against its target, the table on stdout, and
bench-results.json in exactly the shape
``{"<key>": {"value": n, "unit": "...", "target": n, "op": "<=" | ">=", "met": bool}}``."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Op = Literal["<=", ">="]


@dataclass(frozen=True)
class Result:
    key: str
    value: float
    unit: str
    target: float
    op: Op
    met: bool

    def as_json(self) -> dict[str, object]:
        return {
            "value": self.value,
            "unit": self.unit,
            "target": self.target,
            "op": self.op,
            "met": self.met,
        }


def compares(value: float, op: Op, target: float) -> bool:
    if op == "<=":
        return value <= target
    if op == ">=":
        return value >= target
    raise ValueError(f"unknown op {op!r}")


def rounded(value: float, digits: int) -> float | int:
    """The value as reported: ``digits`` decimals, an int when ``digits`` is 0."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value}")
    if digits == 0:
        return round(value)
    return round(value, digits)


def make_result(
    *,
    key: str,
    raw_value: float,
    unit: str,
    target: float,
    op: Op,
    digits: int,
    also_met: bool = True,
) -> Result:
    """``met`` is judged on the value as reported (rounded), so the file never contradicts
    itself; ``also_met`` carries a second condition of the contract (e.g. equal counts)."""
    value = rounded(raw_value, digits)
    return Result(
        key=key,
        value=value,
        unit=unit,
        target=target,
        op=op,
        met=compares(value, op, target) and also_met,
    )


def results_document(results: Iterable[Result]) -> dict[str, dict[str, object]]:
    return {result.key: result.as_json() for result in results}


def write_results(results: Iterable[Result], path: Path) -> None:
    path.write_text(json.dumps(results_document(results), indent=2) + "\n")


def all_met(results: Iterable[Result]) -> bool:
    return all(result.met for result in results)


def format_table(results: list[Result]) -> str:
    rows = [("key", "value", "unit", "target", "met")]
    for r in results:
        rows.append((r.key, str(r.value), r.unit, f"{r.op} {r.target}", "yes" if r.met else "NO"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell.rjust(widths[i]) if i in (1, 3) else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
