"""quizapp.runner.checklib, run as a check runs: the user's code, then the check, in the sandbox.

Each case is a plausible solution a reviewer found accepted by a hand-written check (or a
correct solution one refused); the helper must decide every one of them the same way."""

from __future__ import annotations

import pytest

from quizapp.runner import Runner, RunRequest, RunResult, RunStatus, Step

SOFTMAX_CHECK = """
from quizapp.runner.checklib import guard_calls, refuse_ops
f = guard_calls(f)
x = torch.randn(3, 4)
x64 = torch.randn(2, 5, dtype=torch.float64)
want, want64 = torch.softmax(x, -1), torch.softmax(x64, -1)
with refuse_ops(globals(), {"softmax", "log_softmax"}, hint="use exp and a sum"):
    got, got64 = f(x), f(x64)
assert torch.allclose(got, want) and got64.dtype == torch.float64
f.replay_in_grad_modes()
assert torch.is_grad_enabled()
"""

STABLE = (
    "    e = (x - x.max(-1, keepdim=True).values).exp()\n    return e / e.sum(-1, keepdim=True)\n"
)

CORRECT = {
    "plain": f"def f(x):\n{STABLE}",
    "helper named like the banned op": (
        f"def softmax(x):\n{STABLE}\ndef f(x):\n    return softmax(x)\n"
    ),
    "a method named like it": (
        "class Ops:\n    def softmax(self, x):\n"
        "        e = (x - x.max(-1, keepdim=True).values).exp()\n"
        "        return e / e.sum(-1, keepdim=True)\n"
        "def f(x):\n    return Ops().softmax(x)\n"
    ),
    "an attribute named like it": (
        "class Norm:\n    def __call__(self, x):\n"
        "        e = (x - x.max(-1, keepdim=True).values).exp()\n"
        "        return e / e.sum(-1, keepdim=True)\n"
        "class Model:\n    def __init__(self):\n        self.softmax = Norm()\n"
        "    def __call__(self, x):\n        return self.softmax(x)\n"
        "def f(x):\n    return Model()(x)\n"
    ),
    "local no_grad block": f"def f(x):\n    with torch.no_grad():\n        pass\n{STABLE}",
}

WRONG = {
    "the built-in": ("def f(x):\n    return torch.softmax(x, -1)\n", "uses softmax"),
    "the tensor method": ("def f(x):\n    return x.softmax(-1)\n", "uses softmax"),
    "an alias": ("sm = torch.softmax\ndef f(x):\n    return sm(x, -1)\n", "sm (which is"),
    "a partial": (
        "import functools\nsm = functools.partial(F.softmax, dim=-1)\n"
        "def f(x):\n    return sm(x)\n",
        "sm (which is",
    ),
    "a default argument": ("def f(x, sm=F.softmax):\n    return sm(x, -1)\n", "called softmax"),
    "a private aten op": (
        "def f(x):\n    return torch.ops.aten._softmax(x, -1, False)\n",
        "uses _softmax",
    ),
    "imported from torch.special": (
        "from torch.special import softmax as s\ndef f(x):\n    return s(x, -1)\n",
        "forbids",
    ),
    "a relative of the op": ("def f(x):\n    return F.log_softmax(x, -1).exp()\n", "log_softmax"),
    "the input overwritten": (
        "def f(x):\n    x -= x.max(-1, keepdim=True).values\n    x.exp_()\n"
        "    x /= x.sum(-1, keepdim=True)\n    return x\n",
        "`x` was changed in place",
    ),
    "fails when the caller has grad off": (  # say it was the repeat under no_grad (b3)
        "def f(x):\n    if not torch.is_grad_enabled():\n"
        "        raise RuntimeError('element 0 of tensors does not require grad')\n"
        f"{STABLE}",
        "raised RuntimeError when called again under `with torch.no_grad():`",
    ),
    "grad mode switched off": (
        f"def f(x):\n    torch.set_grad_enabled(False)\n{STABLE}",
        "grad mode (True before the call, False after): the call must leave it as it found it",
    ),
    "grad mode forced on": (
        f"def f(x):\n    torch.set_grad_enabled(True)\n{STABLE}",
        # which block fits depends on intent (forcing on, or off-then-"on" by hand under a
        # no_grad caller), so the advice names both and the rule they share (reviewers' reports)
        "True after): the call must leave it as it found it; switch it inside a `with "
        "torch.no_grad():` or `with torch.enable_grad():` block",
    ),
    "the default dtype changed": (
        f"def f(x):\n    torch.set_default_dtype(torch.float64)\n{STABLE}",
        "default dtype",
    ),
    "requires_grad switched on the input": (
        f"def f(x):\n    x.requires_grad_()\n    x = x.detach()\n{STABLE}",
        "`x.requires_grad` was switched on",
    ),
    "float32 for float64 input": (
        f"def f(x):\n    x = x.float()\n{STABLE}",
        "AssertionError",
    ),
}

MODULE_CHECK = """
from quizapp.runner.checklib import guard_calls
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(4)))
x = torch.randn(5, 3)
predict = guard_calls(predict)
with torch.no_grad():
    want = net.eval()(x)
net.train()
got = predict(net, x)
assert torch.allclose(got, want)
"""

MODULE_CASES = {
    "restores every mode": (
        "def predict(net, x):\n    was = {m: m.training for m in net.modules()}\n    net.eval()\n"
        "    try:\n        with torch.no_grad():\n            return net(x)\n    finally:\n"
        "        for m, t in was.items():\n            m.train(t)\n",
        None,
    ),
    "leaves the model in eval": (
        "def predict(net, x):\n    net.eval()\n    with torch.no_grad():\n        return net(x)\n",
        "train/eval mode of the caller's `net` was changed",
    ),
    "a hook left behind": (
        "def predict(net, x):\n    net[0].register_forward_hook(lambda m, i, o: None)\n"
        "    net.eval()\n    with torch.no_grad():\n        out = net(x)\n"
        "    net.train()\n    return out\n",
        "hook was left registered on `net.0`",
    ),
    # the running statistics change because the forward ran in training mode: said so, not
    # "compute into a new tensor" (the advice for writing into an argument)
    "forgets eval": (
        "def predict(net, x):\n    with torch.no_grad():\n        return net(x)\n",
        "`net.1.1.running_mean` (a buffer) was updated: `net.1.1` ran in training mode",
    ),
    "parameters frozen": (
        "def predict(net, x):\n    net.eval()\n    net.requires_grad_(False)\n    out = net(x)\n"
        "    net.train()\n    return out\n",
        "`net.0.weight.requires_grad` was switched off",
    ),
}

BUFFER_CHECK = """
from quizapp.runner.checklib import guard_calls
class Masked(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mask", torch.ones(3))
    def forward(self, x):
        self.mask /= 2  # the module's own code writes into its buffer, in training mode
        return x * self.mask
net = nn.Sequential(nn.Linear(3, 3), Masked())
run = guard_calls(lambda m, x: m(x))
run(net, torch.randn(2, 3))
"""


def test_a_buffer_written_by_other_code_in_training_mode_is_not_blamed_on_the_mode(
    runner: Runner,
) -> None:
    result = check(runner, "", BUFFER_CHECK)
    assert result.error is not None, result.describe()
    assert "`m.1.mask` was changed in place" in result.error.message
    assert "training mode" not in result.error.message


STEP_CHECK = """
from quizapp.runner.checklib import guard_calls
torch.manual_seed(0)
net = nn.Linear(3, 1)
before = net.weight.detach().clone()
step = guard_calls(step, may_change={"net": "values"})
step(net, torch.randn(4, 3))
assert not torch.equal(net.weight, before), "the step never updated the weights"
"""


def check(runner: Runner, user: str, check_code: str) -> RunResult:
    # a generous limit: what is tested is the verdict, not the speed (bench/ measures that)
    steps = (Step(user, "user"), Step(check_code, "check"))
    return runner.run(RunRequest(steps=steps, timeout=30.0))


@pytest.mark.parametrize("case", sorted(CORRECT))
def test_correct_solutions_pass(runner: Runner, case: str) -> None:
    result = check(runner, CORRECT[case], SOFTMAX_CHECK)
    assert result.status is RunStatus.OK, result.describe()


@pytest.mark.parametrize("case", sorted(WRONG))
def test_wrong_solutions_fail_with_the_reason(runner: Runner, case: str) -> None:
    code, reason = WRONG[case]
    result = check(runner, code, SOFTMAX_CHECK)
    assert result.status is RunStatus.ERROR, result.describe()
    # (a refusal raised inside the user's call is reported from the user's frame)
    assert result.error is not None and result.error.type == "AssertionError", result.describe()
    assert reason in f"{result.error.type}: {result.error.message}", result.error.message


@pytest.mark.parametrize("case", sorted(MODULE_CASES))
def test_module_arguments(runner: Runner, case: str) -> None:
    code, reason = MODULE_CASES[case]
    result = check(runner, code, MODULE_CHECK)
    if reason is None:
        assert result.status is RunStatus.OK, result.describe()
    else:
        assert result.error is not None and reason in result.error.message, result.describe()


def test_a_call_that_raises_must_clean_up_too(runner: Runner) -> None:
    leaves_it_off = "def f(x):\n    torch.set_grad_enabled(False)\n    raise ValueError('boom')\n"
    restores = "def f(x):\n    with torch.no_grad():\n        raise ValueError('boom')\n"
    check_code = (
        "from quizapp.runner.checklib import guard_calls\nf = guard_calls(f)\n"
        "try:\n    f(torch.ones(2))\nexcept ValueError:\n    pass\n"
        "finally:\n    assert torch.is_grad_enabled(), 'grad mode leaked out of a failed call'\n"
    )
    result = check(runner, leaves_it_off, check_code)
    assert result.error is not None and result.error.type == "AssertionError", result.describe()
    assert "raised ValueError and left a side effect behind" in result.error.message
    assert check(runner, restores, check_code).status is RunStatus.OK


def test_a_replay_keeps_the_gradients_a_step_reads(runner: Runner) -> None:
    user = (
        "def step(params, lr):\n    with torch.no_grad():\n        for p in params:\n"
        "            p -= lr * p.grad\n"
    )
    check_code = (
        "from quizapp.runner.checklib import guard_calls\n"
        "step = guard_calls(step, may_change={'params': 'values'})\n"
        "w = torch.ones(3, requires_grad=True)\nw.grad = torch.full((3,), 2.0)\n"
        "step([w], 0.5)\nassert torch.equal(w.detach(), torch.zeros(3))\n"
        "step.replay_in_grad_modes()\n"
    )
    result = check(runner, user, check_code)
    assert result.status is RunStatus.OK, result.describe()


def test_refused_ops_come_back_after_the_block(runner: Runner) -> None:
    check_code = (
        "from quizapp.runner.checklib import refuse_ops\n"
        "try:\n    with refuse_ops(globals(), {'layer_norm'}):\n"
        "        F.layer_norm(torch.ones(2, 3), (3,))\nexcept AssertionError:\n    pass\n"
        "else:\n    raise RuntimeError('not refused')\n"
        "F.layer_norm(torch.ones(2, 3), (3,))\nnn.LayerNorm(3)(torch.ones(2, 3))\n"
    )
    result = check(runner, "", check_code)
    assert result.status is RunStatus.OK, result.describe()


def test_a_training_step_may_change_values_it_was_given(runner: Runner) -> None:
    ok = (
        "def step(net, x):\n    net(x).pow(2).mean().backward()\n    with torch.no_grad():\n"
        "        for p in net.parameters():\n            p -= 0.1 * p.grad\n"
    )
    assert check(runner, ok, STEP_CHECK).status is RunStatus.OK
    frozen = ok + "    net.requires_grad_(False)\n"
    result = check(runner, frozen, STEP_CHECK)
    assert result.error is not None and "requires_grad` was switched off" in result.error.message


def test_a_function_meant_to_set_the_mode_may_change_it_and_nothing_else(runner: Runner) -> None:
    check_code = (
        "from quizapp.runner.checklib import guard_calls\n"
        "net = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.5))\n"
        "evaluate = guard_calls(evaluate, may_change={'net': 'training'})\n"
        "evaluate(net, torch.randn(4, 3))\nassert not net.training\n"
    )
    sets_eval = (
        "def evaluate(net, x):\n    net.eval()\n    with torch.no_grad():\n        return net(x)\n"
    )
    assert check(runner, sets_eval, check_code).status is RunStatus.OK
    freezes = sets_eval.replace("net.eval()\n", "net.eval()\n    net.requires_grad_(False)\n")
    result = check(runner, freezes, check_code)
    assert result.error is not None and "requires_grad` was switched off" in result.error.message


def test_aliases_of_torch_func_and_clip_helpers_are_found(runner: Runner) -> None:
    for alias, banned in (
        ("torch.func.jacrev", "jacrev"),
        ("nn.utils.clip_grad_norm_", "clip_grad_norm_"),
    ):
        check_code = (
            "from quizapp.runner.checklib import refuse_ops\n"
            f"with refuse_ops(globals(), {{{banned!r}}}):\n    pass\n"
        )
        result = check(runner, f"shortcut = {alias}\n", check_code)
        assert result.error is not None and "shortcut (which is" in result.error.message, alias


def test_python_level_helpers_are_refused_at_run_time(runner: Runner) -> None:
    user = "def clip(params, m):\n    return nn.utils.clip_grad_norm_(params, m)\n"
    check_code = (
        "from quizapp.runner.checklib import refuse_ops\n"
        "w = torch.ones(3, requires_grad=True)\nw.grad = torch.ones(3)\n"
        "with refuse_ops({}, {'clip_grad_norm_'}):\n    clip([w], 1.0)\n"
    )
    result = check(runner, user, check_code)
    assert result.error is not None and "called clip_grad_norm" in result.error.message


def test_a_replay_keeps_a_submodule_passed_with_its_model(runner: Runner) -> None:
    user = (
        "def dead_fraction(model, relu, x):\n    seen = []\n"
        "    handle = relu.register_forward_hook(lambda m, i, o: seen.append(o))\n"
        "    try:\n        with torch.no_grad():\n            model(x)\n    finally:\n"
        "        handle.remove()\n    assert seen, 'relu is not part of model'\n"
        "    return (seen[0] == 0).float().mean().item()\n"
    )
    check_code = (
        "from quizapp.runner.checklib import guard_calls\n"
        "net = nn.Sequential(nn.Linear(3, 4), nn.ReLU())\n"
        "dead_fraction = guard_calls(dead_fraction)\n"
        "dead_fraction(net, net[1], torch.randn(5, 3))\ndead_fraction.replay_in_grad_modes()\n"
    )
    result = check(runner, user, check_code)
    assert result.status is RunStatus.OK, result.describe()


def test_a_global_module_hook_left_behind_is_found_and_removed(runner: Runner) -> None:
    user = (
        "from torch.nn.modules.module import register_module_forward_hook\n"
        "def f(net, x):\n    register_module_forward_hook(lambda m, i, o: None)\n"
        "    return net(x)\n"
    )
    check_code = (
        "import torch.nn.modules.module as mm\nfrom quizapp.runner.checklib import guard_calls\n"
        "f = guard_calls(f)\ntry:\n    f(nn.Linear(2, 2), torch.ones(1, 2))\n"
        "finally:\n    assert not mm._global_forward_hooks, 'the hook was not removed'\n"
    )
    result = check(runner, user, check_code)
    assert result.error is not None and "global module hook" in result.error.message


def test_a_rebound_parameter_or_buffer_is_a_change(runner: Runner) -> None:
    check_code = (
        "from quizapp.runner.checklib import guard_calls\n"
        "net = nn.BatchNorm1d(3)\nf = guard_calls(f, may_change=MAY)\nf(net, torch.randn(4, 3))\n"
    )
    rebinds_weight = "def f(net, x):\n    net.weight = nn.Parameter(net.weight * 2)\n"
    rebinds_buffer = "def f(net, x):\n    net.running_mean = net.running_mean * 0.9\n"
    cases = (
        (rebinds_weight, "{'net': 'values'}", False),
        (rebinds_buffer, "{'net': 'values'}", True),  # a buffer the call may update
        (rebinds_buffer, "{}", False),
    )
    for user, may, passes in cases:
        result = check(runner, user, check_code.replace("MAY", may))
        if passes:
            assert result.status is RunStatus.OK, result.describe()
        else:
            assert result.error is not None and "replaced or removed" in result.error.message


def test_a_replaced_submodule_is_a_change_only_when_nothing_may_change(runner: Runner) -> None:
    user = "def f(net, x):\n    net[1] = nn.Linear(4, 2)\n    return net(x)\n"
    check_code = (
        "from quizapp.runner.checklib import guard_calls\n"
        "net = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))\n"
        "f = guard_calls(f, may_change=MAY)\nf(net, torch.randn(5, 3))\n"
    )
    new_head = check(runner, user, check_code.replace("MAY", "{'net': 'values'}"))
    assert new_head.status is RunStatus.OK, new_head.describe()
    result = check(runner, user, check_code.replace("MAY", "{}"))
    assert result.error is not None and "replaced by another module" in result.error.message


def test_removing_the_callers_hooks_is_a_change(runner: Runner) -> None:
    user = "def f(net, x):\n    for m in net.modules():\n        m._forward_hooks.clear()\n"
    check_code = (
        "from quizapp.runner.checklib import guard_calls\n"
        "net = nn.Sequential(nn.Linear(3, 4), nn.ReLU())\n"
        "net[1].register_forward_hook(lambda m, i, o: None)\n"
        "f = guard_calls(f)\nf(net, torch.randn(5, 3))\n"
    )
    result = check(runner, user, check_code)
    assert result.error is not None and "the caller had registered" in result.error.message


@pytest.mark.parametrize(
    ("op", "banned", "refused"),
    [
        ("torch.ops.aten._batch_norm_with_update", "batch_norm", True),
        ("torch.ops.aten.nll_loss2d_forward", "nll_loss", True),
        ("torch.ops.aten.max_pool2d_with_indices", "max_pool2d", True),
        ("torch.ops.aten.scatter_add", "scatter", False),  # another op, not an implementation
        ("torch.ops.aten.log_softmax", "softmax", False),
        ("torch.ops.aten.conv1d", "conv2d", False),
    ],
)
def test_an_implementation_of_a_banned_op_is_banned(
    runner: Runner, op: str, banned: str, refused: bool
) -> None:
    check_code = (
        "from quizapp.runner.checklib import refuse_ops\n"
        f"with refuse_ops({{}}, {{{banned!r}}}):\n    pass\n"
        f"shortcut = {op}\n"
        f"with refuse_ops(globals(), {{{banned!r}}}):\n    pass\n"
    )
    result = check(runner, "", check_code)
    if refused:
        assert result.error is not None and "shortcut (which is" in result.error.message
    assert (result.status is RunStatus.OK) is not refused, result.describe()


REFERENCE_CHECK = """
from quizapp.runner.checklib import guard_calls, refuse_ops, run_reference
layer_norm = guard_calls(layer_norm)
g = torch.Generator().manual_seed(0)
x = torch.randn(2, 3, 5, generator=g)
w, b = torch.randn(5, generator=g), torch.randn(5, generator=g)
wants = [run_reference(F.layer_norm, (x, (5,), w, b), where="float32"),
         run_reference(F.layer_norm, (x, (5,), w, b), dtype=torch.float64, where="float64")]
with refuse_ops(globals(), {"layer_norm", "batch_norm"}):
    for want in wants:
        want.check(layer_norm)
"""

_LN = (
    "    m = x.mean(-1, keepdim=True)\n    v = ((x - m) ** 2).mean(-1, keepdim=True)\n"
    "    return (x - m) / torch.sqrt(v + eps) * w + b\n"
)

REFERENCE_CASES = {
    "correct": (f"def layer_norm(x, shape, w, b, eps=1e-5):\n{_LN}", None),
    "correct, another formula": (
        "def layer_norm(x, shape, w, b, eps=1e-5):\n"
        "    var, mean = torch.var_mean(x, -1, unbiased=False, keepdim=True)\n"
        "    return (x - mean) * torch.rsqrt(var + eps) * w + b\n",
        None,
    ),
    "statistics under no_grad": (
        "def layer_norm(x, shape, w, b, eps=1e-5):\n    with torch.no_grad():\n"
        "        m = x.mean(-1, keepdim=True)\n        s = ((x - m) ** 2).mean(-1, keepdim=True)\n"
        "    return (x - m) / torch.sqrt(s + eps) * w + b\n",
        "the gradient of x differs",
    ),
    "a no_grad decorator": (
        f"@torch.no_grad()\ndef layer_norm(x, shape, w, b, eps=1e-5):\n{_LN}",
        "carries no gradient",
    ),
    "the bias detached": (
        "def layer_norm(x, shape, w, b, eps=1e-5):\n"
        "    m = x.mean(-1, keepdim=True)\n    v = ((x - m) ** 2).mean(-1, keepdim=True)\n"
        "    return (x - m) / torch.sqrt(v + eps) * w + b.detach()\n",
        "no gradient reaches b",
    ),
    "float32 inside for float64": (
        f"def layer_norm(x, shape, w, b, eps=1e-5):\n    t = x.dtype\n"
        f"    x, w, b = x.float(), w.float(), b.float()\n    return _ln(x, w, b, eps).to(t)\n"
        f"def _ln(x, w, b, eps):\n{_LN}",
        "every step must run in float64",
    ),
    "the unbiased variance": (
        "def layer_norm(x, shape, w, b, eps=1e-5):\n"
        "    return (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, keepdim=True) + eps)"
        " * w + b\n",
        "the output differs from PyTorch's",
    ),
    "the input cast to float32 first": (
        "def layer_norm(x, shape, w, b, eps=1e-5):\n"
        "    t, x = x.dtype, x.float()\n"
        "    m = x.mean(-1, keepdim=True)\n    v = ((x - m) ** 2).mean(-1, keepdim=True)\n"
        "    return ((x - m) / torch.sqrt(v + eps)).to(t) * w + b\n",
        "every step must run in float64",  # float32 data widened gains digits float32 drops
    ),
    "a constant with too few digits": (  # 0.70710678 for 1/sqrt(2): off by 7e-9, relatively
        "def layer_norm(x, shape, w, b, eps=1e-5):\n"
        "    m = x.mean(-1, keepdim=True)\n    v = ((x - m) ** 2).mean(-1, keepdim=True)\n"
        "    return (x - m) / torch.sqrt(v + eps) * (w * 0.70710678) * 2 ** 0.5 + b\n",
        "a constant is written with too few digits",
    ),
    "a float32 gradient under a float64 output": (  # the value exact, the backward in float32
        "def layer_norm(x, shape, w, b, eps=1e-5):\n"
        "    exact = _ln(x, w, b, eps)\n"
        "    rough = _ln(x.float(), w.float(), b.float(), eps).to(x.dtype)\n"
        "    return exact.detach() + (rough - rough.detach())\n"
        f"def _ln(x, w, b, eps):\n{_LN}",
        "the outputs match, but the gradient of x differs from PyTorch's",
    ),
    "a float32 answer to float64": (
        "def layer_norm(x, shape, w, b, eps=1e-5):\n"
        f"    x, w, b = x.float(), w.float(), b.float()\n{_LN}",
        "has dtype torch.float32, expected torch.float64",
    ),
}


@pytest.mark.parametrize("case", sorted(REFERENCE_CASES))
def test_a_reference_compares_values_dtype_and_gradients(runner: Runner, case: str) -> None:
    code, reason = REFERENCE_CASES[case]
    result = check(runner, code, REFERENCE_CHECK)
    if reason is None:
        assert result.status is RunStatus.OK, result.describe()
    else:
        assert result.error is not None and result.error.type == "AssertionError", result.describe()
        assert reason in result.error.message, result.error.message


def test_a_reference_compares_a_module_arguments_parameter_gradients(runner: Runner) -> None:
    check_code = (
        "from quizapp.runner.checklib import run_reference\n"
        "torch.manual_seed(0)\nnet, x = nn.Linear(4, 3), torch.randn(5, 4)\n"
        "y = torch.tensor([0, 1, 2, 0, 1])\n"
        "want = run_reference(lambda m, t, y: F.cross_entropy(m(t), y), (net, x, y))\n"
        "want.check(loss)\n"
    )
    right = (
        "def loss(net, x, y):\n    return -net(x).log_softmax(-1).gather(1, y[:, None]).mean()\n"
    )
    # the max subtracted for stability must not be detached from the logsumexp it cancels in
    wrong = (
        "def loss(net, x, y):\n    z = net(x)\n    z = z - z.max(-1, keepdim=True).values\n"
        "    p = z.exp() / z.exp().sum(-1, keepdim=True).detach()\n"
        "    return -p.log().gather(1, y[:, None]).mean()\n"
    )
    assert check(runner, right, check_code).status is RunStatus.OK
    result = check(runner, wrong, check_code)
    assert result.error is not None, result.describe()
    assert "the gradient of net.weight differs" in result.error.message, result.error.message


def test_a_reference_runs_before_the_ban_and_the_check_inside_it(runner: Runner) -> None:
    check_code = (
        "from quizapp.runner.checklib import refuse_ops, run_reference\n"
        "want = run_reference(torch.softmax, (torch.randn(3, 4), -1))\n"
        "with refuse_ops(globals(), {'softmax'}):\n    want.check(f)\n"
    )
    result = check(runner, "def f(x, dim):\n    return x.softmax(dim)\n", check_code)
    assert result.error is not None and "softmax" in result.error.message, result.describe()
    ok = (
        "def f(x, dim):\n    e = (x - x.amax(dim, keepdim=True)).exp()\n"
        "    return e / e.sum(dim, keepdim=True)\n"
    )
    assert check(runner, ok, check_code).status is RunStatus.OK


def test_a_reference_holds_updated_arguments_to_what_pytorch_leaves_in_them(
    runner: Runner,
) -> None:
    check_code = (
        "from quizapp.runner.checklib import guard_calls, run_reference\n"
        "torch.manual_seed(0)\nx, w, b = torch.randn(8, 4), torch.randn(4), torch.randn(4)\n"
        "want = run_reference(lambda x, rm, rv, w, b: F.batch_norm(x, rm, rv, w, b, True),\n"
        "                     (x, torch.zeros(4), torch.ones(4), w, b), constant=(1, 2))\n"
        "want.check(guard_calls(bn, may_change={'rm': 'values', 'rv': 'values'}))\n"
    )
    body = (
        "def bn(x, rm, rv, w, b):\n    m, v = x.mean(0), x.var(0, unbiased=False)\n"
        "    with torch.no_grad():\n        rm.mul_(0.9).add_(0.1 * m)\n"
        "        rv.mul_(0.9).add_(0.1 * {running})\n"
        "    return (x - m) / torch.sqrt(v + 1e-5) * w + b\n"
    )
    right = body.format(running="x.var(0)")  # the running variance is the unbiased one
    biased = body.format(running="v")
    assert check(runner, right, check_code).status is RunStatus.OK
    result = check(runner, biased, check_code)
    assert result.error is not None, result.describe()
    assert "the caller's rv differs from what PyTorch's call leaves in it" in result.error.message


def test_a_reference_the_check_defines_is_not_the_users_code(runner: Runner) -> None:
    check_code = (
        "from quizapp.runner.checklib import refuse_ops\n"
        "def reference(x):\n    return torch.softmax(x, -1)\n"
        "x = torch.randn(3, 4)\nwant = reference(x)\n"
        "with refuse_ops(globals(), {'softmax'}):\n    got = f(x)\n"
        "assert torch.allclose(got, want)\n"
    )
    ok = "def f(x):\n    e = (x - x.amax(-1, keepdim=True)).exp()\n    return e / e.sum(-1, True)\n"
    assert check(runner, ok, check_code).status is RunStatus.OK
    result = check(runner, "def f(x):\n    return x.softmax(-1)\n", check_code)
    assert result.error is not None and "softmax" in result.error.message, result.describe()


def test_max_abs_difference_counts_equal_infinities_as_equal(runner: Runner) -> None:
    check_code = (
        "from quizapp.runner.checklib import max_abs_difference as d\n"
        "inf = float('inf')\n"
        "assert d(torch.tensor([-inf, 1.0]), torch.tensor([-inf, 1.5])) == 0.5\n"
        "assert d(torch.tensor([inf]), torch.tensor([-inf])) == inf\n"
        "assert d(torch.tensor([float('nan')]), torch.tensor([float('nan')])) == 0.0\n"
        "assert d(torch.ones(2), torch.ones(3)) == inf\n"
    )
    assert check(runner, "pass\n", check_code).status is RunStatus.OK
