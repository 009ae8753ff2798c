"""Smoke runs of the benchmark tools on tiny settings: their JSON keys and value ranges, not timings."""

import json
import os
import subprocess
import sys

import numpy as np
import tensorflow as tf

from conftest import ROOT
from benchmarks import handwritten


def run_tool(*args, timeout=300):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT})


def test_bench_json_has_every_case_with_rates_ratios_and_flops():
    result = run_tool("tools/bench.py", "--cases=dcgan_digits,wgan_gp_digits,sngan_digits", "--steps=4",
                      "--repeats=1", "--warmup=2", "--batch_size=8", "--steps_per_execution=2", "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["machine"]["cpus"] == os.cpu_count()
    assert report["machine"]["matmul_peak_gflops"] > 0.1
    assert sorted(report["cases"]) == ["dcgan_digits", "sngan_digits", "wgan_gp_digits"]
    for name, case in report["cases"].items():
        for key in ("library_images_per_s", "handwritten_images_per_s", "pipeline_images_per_s"):
            assert case[key] > 0, (name, key)
        for suffix in ("", "_steps_per_execution_1"):
            assert case["ratio" + suffix] == (case["library_images_per_s" + suffix]
                                              / case["handwritten_images_per_s" + suffix])
            assert len(case["library_images_per_s_all" + suffix]) == 1
        assert 0 < case["peak_fraction"] < 2, name
    flops = {name: case["gflops_per_step"] for name, case in report["cases"].items()}
    # 5 critic updates with a double-backward penalty cost far more than one plain D update.
    assert flops["wgan_gp_digits"] > 4 * flops["dcgan_digits"] > 0


def test_bench_unknown_case_is_one_clear_line():
    result = run_tool("tools/bench.py", "--cases=dcgan_digits,nope", timeout=120)
    assert result.returncode == 1
    assert "--cases=dcgan_digits,nope" in result.stderr and "nope" in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.stderr


def test_handwritten_step_does_the_library_steps_arithmetic():
    """The baseline computes what tfgan's step computes: one D update of each from the same weights
    gives the same D weights. G ignores z (zero kernel), so the noise each side draws does not matter."""
    import keras

    import tfgan

    real = tf.constant(np.random.default_rng(0).normal(size=(8, 2)), tf.float32)
    updated = []
    for kind in ("handwritten", "library"):
        keras.utils.set_random_seed(3)
        generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, bias_initializer="ones")])
        discriminator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        generator.layers[0].kernel.assign(tf.zeros([2, 2]))
        initial = [w.numpy() for w in discriminator.weights]
        if kind == "handwritten":
            handwritten.make_step(generator, discriminator, keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.0),
                                  2)(real)
        else:
            gan = tfgan.GAN(generator, discriminator, 2)
            gan.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.0))
            gan.fit(tf.data.Dataset.from_tensors(real).repeat(), steps_per_epoch=1, epochs=1, verbose=0)
        updated.append([w.numpy() for w in discriminator.weights])
        assert not np.allclose(updated[-1][0], initial[0])
    for by_hand, library in zip(*updated):
        np.testing.assert_allclose(by_hand, library, rtol=1e-5, atol=1e-6)


def test_benchmark_2d_table_scores_each_run_and_lists_the_published_numbers(tmp_path):
    result = run_tool("tools/benchmark_2d.py", "--recipes=nsgan,nope", "--datasets=ring", "--seeds=0,1",
                      "--train_steps=5", f"--outdir={tmp_path}")
    assert result.returncode == 0, result.stderr[-3000:]
    runs = json.load(open(tmp_path / "results.json"))["nsgan_ring"]
    assert [r["seed"] for r in runs] == [0, 1]
    for r in runs:
        assert 0 <= r["modes"] <= 8 and 0.0 <= r["high_quality"] <= 1.0 and r["kl"] >= 0.0
        assert r["cpu_minutes"] > 0
    table = (tmp_path / "table.md").read_text()
    assert "| ring | nsgan | 2 |" in table and "PacGAN4 (PacGAN Table 1) | | 7.8 | 95.9" in table
    assert "VEEGAN (VEEGAN Table 1) | | 8.0 | 52.9" in table
    assert f"| {runs[0]['modes']} / {100 * runs[0]['high_quality']:.1f}, {runs[1]['modes']} /" in table
    assert "Skipped (no flagfile): nope_ring" in table
    assert (tmp_path / "scatter.png").stat().st_size > 1000
    # Tabulating finished runs only: seed 2 was never trained, so it is left out rather than trained.
    again = run_tool("tools/benchmark_2d.py", "--recipes=nsgan", "--datasets=ring", "--seeds=0,1,2",
                     "--notrain_missing", f"--outdir={tmp_path}")
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.load(open(tmp_path / "results.json"))["nsgan_ring"] == runs
    assert not (tmp_path / "nsgan_ring_s2").exists()


def test_benchmark_digits_table_scores_a_conditional_recipe_on_every_metric(tmp_path):
    result = run_tool("tools/benchmark_digits.py", "--recipes=acgan,nope", "--seeds=0", "--train_steps=2",
                      "--num_samples=200", f"--outdir={tmp_path}")
    assert result.returncode == 0, result.stderr[-3000:]
    (run,) = json.load(open(tmp_path / "results.json"))["acgan"]
    assert run["seed"] == 0 and run["cpu_minutes"] > 0
    assert run["fd"] > 0 and run["kid"] > 0 and 0 <= run["precision"] <= 1 and 0 <= run["recall"] <= 1
    assert 1 <= run["classes_covered"] <= 10 and run["class_kl"] >= 0
    table = (tmp_path / "table.md").read_text()
    assert f"| `acgan_digits` | 1 | {run['fd']:.2f} ± 0.00 |" in table
    assert "Skipped (no flagfile): nope_digits" in table
    assert (tmp_path / "samples.png").stat().st_size > 1000


def test_mode_collapse_demo_scores_each_snapshot(tmp_path):
    out = tmp_path / "collapse.png"
    collapse = os.path.join("tools", "demos", "nsgan_ring_collapse.flags")  # a flagfile given by its path
    result = run_tool("tools/demos/mode_collapse.py", f"--recipes={collapse},r1gan_grid", "--step_scale=0.002",
                      "--snapshots=0.5,1.0", "--run_seed=3", f"--out={out}")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert sorted(report) == ["nsgan_ring_collapse", "r1gan_grid"]
    assert {s["seed"] for r in report.values() for s in r} == {3}  # the flagfiles leave --seed at 0
    paths = {"nsgan_ring_collapse": collapse, "r1gan_grid": os.path.join("flags", "r1gan_grid.flags")}
    for recipe, path in paths.items():  # 0.2% of each recipe's --train_steps, snapshots at half and all of it
        text = open(os.path.join(ROOT, path)).read()
        steps = round(0.002 * int(text.split("--train_steps=")[1].split()[0]))
        assert [s["step"] for s in report[recipe]] == [round(steps / 2), steps]
    assert all(0 <= s["modes"] <= 25 and 0 <= s["high_quality"] <= 1 for r in report.values() for s in r)
    assert out.stat().st_size > 1000


def test_compare_tricks_summary_tables_every_seed_of_every_configuration(tmp_path):
    records = [{"config": "baseline", "seed": 0, "modes": 20.0, "high_quality": 0.9, "kl": 0.3},
               {"config": "baseline", "seed": 1, "modes": 24.0, "high_quality": 0.8, "kl": 0.1},
               {"config": "replay", "seed": 0, "modes": 25.0, "high_quality": 0.95, "kl": 0.0},
               {"config": "baseline", "seed": 1, "modes": 22.0, "high_quality": 0.7, "kl": 0.2}]  # a rerun
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    result = run_tool("tools/compare_tricks.py", "--summarize", f"--outdir={tmp_path}", timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    table = (tmp_path / "table.md").read_text()
    assert "| baseline | 2 | 20, 22 | 21.0 | 90.0, 70.0 | 80.0 | 0.250 |" in table
    assert "| replay | 1 | 25 | 25.0 | 95.0 | 95.0 | 0.000 |" in table
    assert (tmp_path / "scatter.png").exists()
