"""The fsrs optimizer in a process of its own: `python -m quizapp.fsrs_fit_worker`.

Reads {"reviews": [[card_id, rating, iso_datetime, duration_ms | null], ...]} on stdin and prints
{"parameters": [...]} on stdout. `fsrs.optimizer` imports torch, so this is the one module that
imports it outside the runner, and nothing imports this module (an import-linter contract and a
test keep it so): `quizapp.fitting` starts it as a subprocess.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime


def main() -> int:
    try:
        from fsrs import Rating, ReviewLog
        from fsrs.optimizer import Optimizer
    except ImportError as error:
        print(
            f"fsrs's optimizer is not installed ({error}); install quizapp's optimizer extra: "
            'pip install -e ".[optimizer]"',
            file=sys.stderr,
        )
        return 3
    import torch

    torch.set_num_threads(1)
    data = json.load(sys.stdin)
    logs = [
        ReviewLog(
            card_id=int(card_id),
            rating=Rating(int(rating)),
            review_datetime=datetime.fromisoformat(at),
            review_duration=None if duration is None else int(duration),
        )
        for card_id, rating, at, duration in data["reviews"]
    ]
    parameters = Optimizer(logs).compute_optimal_parameters()
    json.dump({"parameters": [float(p) for p in parameters]}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
