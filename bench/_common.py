"""Shared helpers for the benchmark scripts (run them with the project's venv)."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def p(values: list[float], q: float) -> float:
    """Percentile by nearest rank (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def emit(figures: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            print(f"{key.ljust(width)}  {value}")
