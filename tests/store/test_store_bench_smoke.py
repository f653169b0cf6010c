"""bench/stats_queries.py keeps working (a tiny fill; its timings are not checked here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "stats_queries.py"


def test_stats_bench_runs_and_ends_with_one_json_line() -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--attempts",
            "3000",
            "--users",
            "3",
            "--days",
            "60",
            "--questions",
            "30",
            "--runs",
            "2",
            "--records",
            "5",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
    )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert figures["attempts"] == 3000 and figures["user_attempts"] == 1000 + 5
    assert figures["stats_median_ms"] > 0 and figures["record_attempt_median_ms"] > 0
