"""benchmarks/bench_time_to_quality.py: the model it trains and the report it writes."""

import importlib.util
import json
from pathlib import Path

import numpy as np

from srkit.train import keras

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_time_to_quality.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_time_to_quality", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shift_folds_into_the_biases_so_the_model_is_the_papers_9_1_5():
    """The shifted model computes what a plain 9-1-5 computes with b1 - s*sum(W1) and b3 + s."""
    bench = _bench()
    keras.utils.set_random_seed(3)
    shifted = bench.build_srcnn(keras, "valid", 0.5)
    plain = bench.build_srcnn(keras, "valid", 0.0)
    assert shifted.count_params() == plain.count_params() == 8129
    w1, b1, w2, b2, w3, b3 = shifted.get_weights()
    b1 = np.random.default_rng(0).normal(0, 0.1, b1.shape).astype(np.float32)
    shifted.set_weights([w1, b1, w2, b2, w3, b3])
    plain.set_weights([w1, b1 - 0.5 * w1.sum(axis=(0, 1, 2)), w2, b2, w3, b3 + 0.5])
    x = np.random.default_rng(1).uniform(16 / 255, 235 / 255, (2, 33, 33, 1)).astype(np.float32)
    out_shifted, out_plain = np.asarray(shifted(x)), np.asarray(plain(x))
    assert out_shifted.shape == (2, 21, 21, 1)
    np.testing.assert_allclose(out_shifted, out_plain, atol=1e-5)
    # and the shift is not a no-op: without folding, the plain network differs
    plain.set_weights([w1, b1, w2, b2, w3, b3])
    assert np.abs(np.asarray(plain(x)) - out_shifted).max() > 0.1


def test_quick_run_writes_set5_and_validation_curves(tmp_path):
    out = tmp_path / "ttq.json"
    assert _bench().main(["--quick", "--steps", "20", "--eval-every", "10", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert [p["step"] for p in report["curve"]] == [0, 10, 20]
    for point in report["curve"]:
        assert 5 < point["set5_psnr"] < 40 and 5 < point["validation_psnr"] < 40
    summary = report["summary"]
    assert abs(summary["bicubic_set5_psnr"] - 30.39) < 0.01  # the SRCNN paper's bicubic, Set5 x3
    assert 25 < summary["bicubic_validation_psnr"] < 35
    assert report["config"]["shift"] == 0.5 and report["config"]["batch"] == 64
    assert out.with_suffix(".png").stat().st_size > 1000
