"""Data parallelism on JAX's own sharding: the MLP gradient over 8 devices (simulated on the
CPU, in a subprocess, since XLA reads the device count once) equals the single-device one."""

import subprocess
import sys
import textwrap
from pathlib import Path

EXAMPLES = Path(__file__).parent.parent.parent / "examples"

PROGRAM = textwrap.dedent(
    """
    import os
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
    import jax
    import numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec
    import tracegrad

    def loss(params, x, y):
        h = np.tanh(x @ params["W1"] + params["b1"])
        logits = h @ params["W2"]
        z = logits - logits.max(axis=1, keepdims=True)
        logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
        return -np.mean(logp[np.arange(x.shape[0]), y])

    rng = np.random.default_rng(0)
    params = {"W1": rng.standard_normal((16, 32)), "b1": np.zeros(32),
              "W2": rng.standard_normal((32, 4))}
    x, y = rng.standard_normal((64, 16)), rng.integers(0, 4, 64)
    assert len(jax.devices()) == 8
    mesh = Mesh(np.array(jax.devices()), ("batch",))
    replicated = NamedSharding(mesh, PartitionSpec())
    by_batch = NamedSharding(mesh, PartitionSpec("batch"))
    sharded = tracegrad.jit(tracegrad.grad(loss), backend="jax",
                            in_shardings=(replicated, by_batch, by_batch),
                            out_shardings=replicated)
    single = tracegrad.jit(tracegrad.grad(loss), backend="jax")
    many, one = sharded(params, x, y), single(params, x, y)
    assert len(many["W1"].sharding.device_set) == 8
    for key in params:
        np.testing.assert_allclose(np.asarray(many[key]), np.asarray(one[key]), rtol=1e-10)
    print("same gradient on 8 devices")
    """
)


def test_sharded_gradient_equals_single_device():
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "same gradient on 8 devices" in result.stdout


def test_train_jax_example_agrees_on_one_and_eight_devices():
    for devices in ("1", "8"):
        result = subprocess.run(
            [sys.executable, str(EXAMPLES / "train_jax.py"), "--devices", devices, "--steps", "6"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert f"(devices: {devices})" in result.stdout
        assert "largest difference between the curves" in result.stdout
