"""The runner as a service: start-up, failure reasons, restart after a killed zygote,
concurrency, cancellation, close, and cleanup when the parent goes away."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import venv
from pathlib import Path

import pytest

from quizapp.runner import Runner, RunnerUnavailable, RunRequest, RunStatus, Step

TRIVIAL = RunRequest(steps=(Step("x = torch.ones(3) * 2", "setup"),), evaluate="x.sum().item()")


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def wait_gone(pid: int, within: float = 10.0) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_ready_state_and_info(runner: Runner) -> None:
    info = runner.wait_ready(60)
    assert info.device == "cpu" and info.torch_version
    assert info.python == sys.executable
    state = runner.state
    assert state.phase == "ready" and state.device == "cpu"
    assert state.network_isolated is info.network_isolated
    assert state.reason is None


def test_zygote_killed_mid_run_is_a_status_and_the_runner_recovers(runner: Runner) -> None:
    old = runner.wait_ready(60).pid
    outcome: list[object] = []
    request = RunRequest(steps=(Step("import time\ntime.sleep(1.0)\nx = 3", "user"),), evaluate="x")
    worker = threading.Thread(target=lambda: outcome.append(runner.run(request)))
    worker.start()
    time.sleep(0.4)
    os.kill(old, signal.SIGKILL)
    worker.join(60)
    assert not worker.is_alive(), "the run hung after its zygote died"
    (result,) = outcome
    # The run's verdict (its code may have killed the zygote): never retried, never a hang.
    assert result.status is RunStatus.CRASHED  # type: ignore[attr-defined]
    assert result.signal == signal.SIGKILL  # type: ignore[attr-defined]
    t0 = time.monotonic()
    after = runner.run(TRIVIAL)
    assert after.status is RunStatus.OK, after.describe()
    assert runner.wait_ready(60).pid != old
    assert time.monotonic() - t0 < 30
    assert wait_gone(old)


def test_zygote_killed_while_idle_restarts_by_itself(runner: Runner) -> None:
    old = runner.wait_ready(60).pid
    os.kill(old, signal.SIGKILL)
    assert wait_gone(old)
    deadline = time.monotonic() + 60
    while runner.state.phase != "ready" or runner.wait_ready(60).pid == old:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert runner.run(TRIVIAL).value == 6.0


def test_concurrent_runs_from_threads(runner: Runner) -> None:
    def draw(seed: int) -> object:
        request = RunRequest(
            steps=(Step("x = torch.randn(3)", "setup"),),
            seed=seed,
            evaluate="(seed, x.tolist())",
            timeout=30,  # twelve processes at once on a small shared machine
        )
        return runner.run(request).value

    expected = {seed: draw(seed) for seed in range(4)}
    results: dict[int, object] = {}

    def worker(i: int) -> None:
        results[i] = draw(i % 4)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 12
    for i, value in results.items():
        assert value == expected[i % 4]


def test_cancel_kills_the_run(runner: Runner) -> None:
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    t0 = time.monotonic()
    request = RunRequest(steps=(Step("import time\ntime.sleep(30)", "user"),), timeout=30)
    result = runner.run(request, cancel=cancel)
    assert result.status is RunStatus.RUNNER_ERROR
    assert result.error is not None and result.error.type == "Cancelled"
    assert time.monotonic() - t0 < 10
    assert runner.run(TRIVIAL).ok


def test_without_spare() -> None:
    with Runner(device="cpu", spare=False) as r:
        assert r.run(TRIVIAL).value == 6.0
        assert r.run(RunRequest(steps=(Step("import os\nos._exit(1)", "user"),))).exit_code == 1


def test_state_phases_and_close_is_idempotent() -> None:
    r = Runner(device="cpu")
    assert r.state.phase == "stopped"  # not started yet
    r.start()
    assert r.state.phase in ("starting", "ready")
    pid = r.wait_ready(60).pid
    assert r.state.phase == "ready"
    r.close()
    r.close()
    assert r.state.phase == "stopped"
    assert wait_gone(pid)
    result = r.run(TRIVIAL)
    assert result.status is RunStatus.RUNNER_ERROR
    with pytest.raises(RunnerUnavailable):
        r.wait_ready(1)


def test_missing_python_is_a_clear_failure() -> None:
    r = Runner(python="/nonexistent/python3")
    try:
        with pytest.raises(RunnerUnavailable, match="/nonexistent/python3"):
            r.wait_ready(30)
        assert r.state.phase == "failed"
        assert r.state.reason and "/nonexistent/python3" in r.state.reason
        result = r.run(TRIVIAL)
        assert result.status is RunStatus.RUNNER_ERROR
        assert result.error is not None and "/nonexistent/python3" in result.error.message
    finally:
        r.close()


def test_python_without_torch_says_how_to_fix(tmp_path: Path) -> None:
    env_dir = tmp_path / "no-torch"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env_dir)
    python = env_dir / "bin" / "python"
    with Runner(python=str(python)) as r, pytest.raises(RunnerUnavailable) as excinfo:
        r.wait_ready(60)
    assert "torch is not installed" in excinfo.value.reason
    assert "make setup" in excinfo.value.reason


def test_unknown_device_is_refused() -> None:
    with Runner(device="tpu") as r, pytest.raises(RunnerUnavailable, match="unknown device"):
        r.wait_ready(60)


def test_cuda_on_a_machine_without_cuda_is_refused() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with Runner(device="cuda") as r, pytest.raises(RunnerUnavailable, match="CUDA"):
        r.wait_ready(60)


def test_auto_device_is_cpu_without_accelerators() -> None:
    import torch

    if torch.cuda.is_available() or torch.backends.mps.is_available():
        pytest.skip("this machine has an accelerator")
    with Runner() as r:
        assert r.wait_ready(60).device == "cpu"


def _script(body: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(body)]


def test_parent_never_imports_torch_and_zygote_goes_away_at_exit_without_close() -> None:
    out = subprocess.run(
        _script(
            """
            import sys
            from quizapp.runner import Runner, RunRequest, Step
            r = Runner(device="cpu")
            res = r.run(RunRequest(steps=(Step("x = torch.ones(1)", "s"),), evaluate="x"))
            assert res.ok, res
            print("torch" in sys.modules, r.wait_ready(60).pid)
            """
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    torch_imported, pid = out.stdout.split()
    assert torch_imported == "False"
    assert wait_gone(int(pid))  # atexit closed it


def test_zygote_and_children_go_away_when_the_parent_is_killed() -> None:
    proc = subprocess.Popen(
        _script(
            """
            import sys, threading, time
            from quizapp.runner import Runner, RunRequest, Step
            r = Runner(device="cpu")
            print(r.wait_ready(60).pid, flush=True)
            code = "import os, time\\nprint(os.getpid(), flush=True)\\ntime.sleep(60)"
            request = RunRequest(steps=(Step(code, "s"),), timeout=60)
            threading.Thread(target=r.run, args=(request,)).start()
            time.sleep(60)
            """
        ),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        zygote = int(proc.stdout.readline())
        time.sleep(1.0)  # the run's child is up by now
        children = [
            int(p) for p in Path(f"/proc/{zygote}/task/{zygote}/children").read_text().split()
        ]
    finally:
        proc.kill()
        proc.wait()
    assert wait_gone(zygote)
    for child in children:
        assert wait_gone(child)


def test_fresh_process_path_used_for_gpus_works_on_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """CUDA/MPS runs use fork + exec (never a fork after device init); the same path, on CPU."""
    monkeypatch.setenv("QUIZAPP_RUNNER_FRESH_PROCESS", "1")
    with Runner(device="cpu") as r:
        assert r.run(TRIVIAL).value == 6.0
        crashed = r.run(
            RunRequest(steps=(Step("torch.relu = None\nimport ctypes\nctypes.string_at(0)", "u"),))
        )
        assert crashed.status is RunStatus.CRASHED
        assert r.run(
            RunRequest(steps=(Step("pass", "u"),), evaluate="torch.relu(-torch.ones(1))")
        ).ok


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA device")
def test_cuda_run_returns_cpu_values() -> None:
    with Runner(device="cuda") as r:
        info = r.wait_ready(300)
        assert info.device == "cuda"
        result = r.run(
            RunRequest(
                steps=(Step("x = torch.ones(2, 2, device=device) * 3", "setup"),),
                evaluate="(x, x.device.type)",
                timeout=30,
            )
        )
        assert result.status is RunStatus.OK, result.describe()
        tensor, kind = result.value["__tuple__"]
        assert kind == "cuda"
        assert tensor["__tensor__"]["values"] == [[3.0, 3.0], [3.0, 3.0]]
        assert tensor["__tensor__"]["device"].startswith("cuda")
        patched = r.run(RunRequest(steps=(Step("torch.relu = None", "u"),), timeout=30))
        assert patched.ok
        again = r.run(
            RunRequest(
                steps=(Step("y = torch.relu(torch.ones(1, device=device))", "u"),), timeout=30
            )
        )
        assert again.ok, again.describe()


def test_a_run_on_an_unusable_device_is_a_runner_error(runner: Runner) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    request = RunRequest(steps=(Step("x = 1", "u"),), device="cuda")
    result = runner.run(request)
    assert result.status is RunStatus.RUNNER_ERROR
    assert result.error is not None and "device cuda is not usable" in result.error.message
    assert runner.run(TRIVIAL).ok


def test_close_while_starting_is_quick() -> None:
    r = Runner(device="cpu")
    r.start()
    time.sleep(0.3)  # torch is being imported
    t0 = time.monotonic()
    r.close()
    assert time.monotonic() - t0 < 1.5
    assert r.state.phase == "stopped"


def test_optimizer_runs_work_and_are_routed_to_a_heavy_spare(runner: Runner) -> None:
    from quizapp.runner.zygote import needs_heavy

    code = "w = nn.Parameter(torch.ones(3))\nopt = torch.optim.SGD([w], lr=0.5)\n"
    code += "(w * w).sum().backward()\nopt.step()"
    request = RunRequest(steps=(Step(code, "setup"),), evaluate="w", timeout=30)
    assert needs_heavy(request.to_json())
    for light in ("x = torch.ones(2)", "y.backward( )", "y.backward(retain_graph=True)"):
        assert not needs_heavy(RunRequest(steps=(Step(light, "setup"),)).to_json())
    assert needs_heavy(RunRequest(steps=(Step("y.backward(torch.ones(3))", "s"),)).to_json())
    for _ in range(2):  # the first imports torch._dynamo itself; the second gets a heavy spare
        result = runner.run(request)
        assert result.ok, result.describe()
        assert result.value["__tensor__"]["values"] == [0.0, 0.0, 0.0]


def test_a_preloaded_zygote_serves_optimizer_runs_with_dynamo_already_imported() -> None:
    """`preload_heavy` (batch validation): every child starts with torch._dynamo imported, so no
    optimizer run imports it again; its debug folder is the run's scratch folder, not the
    zygote's; and a light zygote's children do not have it."""
    probe = RunRequest(
        steps=(Step("import sys, os\nhad = 'torch._dynamo' in sys.modules", "setup"),),
        evaluate="repr((had, torch._dynamo.config.debug_dir_root.startswith(os.getcwd())))"
        " if had else repr((had, None))",
        timeout=30,
    )
    code = "w = nn.Parameter(torch.ones(3))\nopt = torch.optim.SGD([w], lr=0.5)\n"
    code += "(w * w).sum().backward()\nopt.step()"
    step = RunRequest(steps=(Step(code, "setup"),), evaluate="repr(w.tolist())", timeout=30)
    with Runner(device="cpu", preload_heavy=True) as preloaded:
        for _ in range(3):  # back to back: a spare taken at once is heavy too
            result = preloaded.run(probe)
            assert result.ok, result.describe()
            assert result.value == "(True, True)"
            stepped = preloaded.run(step)
            assert stepped.ok and stepped.value == "[0.0, 0.0, 0.0]", stepped.describe()
    with Runner(device="cpu") as light:
        result = light.run(probe)
        assert result.ok and result.value == "(False, None)", result.describe()
