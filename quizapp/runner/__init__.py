"""Sandboxed execution of PyTorch code: a zygote imports torch once and forks a fresh child
per run. Importing this package never imports torch (the CLI and the UI import it).

    from quizapp.runner import Runner, RunRequest, Step
    with Runner() as runner:
        request = RunRequest(steps=(Step("y = torch.ones(2) * 3", "setup"),), evaluate="y")
        result = runner.run(request)

See docs/runner.md for the design, the statuses and what is (and is not) isolated.
"""

from quizapp.runner.client import Runner, RunnerInfo, RunnerState, RunnerUnavailable
from quizapp.runner.protocol import RunError, RunRequest, RunResult, RunStatus, Step

__all__ = [
    "RunError",
    "RunRequest",
    "RunResult",
    "RunStatus",
    "Runner",
    "RunnerInfo",
    "RunnerState",
    "RunnerUnavailable",
    "Step",
]
