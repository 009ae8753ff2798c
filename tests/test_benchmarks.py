"""Smoke runs of the benchmark entry points (benchmarks/) and the mode-collapse demo on tiny settings: their
JSON keys and value ranges, not timings; bad input answered in one line before TensorFlow is imported."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan
from benchmarks import handwritten
from conftest import ROOT

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}
# Runs a script as `python SCRIPT ARGS` does, then says on stderr's last line whether TensorFlow was imported.
PROBE = ("import runpy, sys\n"
         "sys.argv = sys.argv[1:]\n"
         "try:\n"
         "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
         "finally:\n"
         "    print(f'tensorflow imported: {\"tensorflow\" in sys.modules}', file=sys.stderr)\n")


def run_tool(*args, timeout=300):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout, env=ENV)


def usage_error(script, *args):
    """The one `error: ...` line `script` prints for `args`, checking the exit code, that nothing else was
    printed and that TensorFlow was never imported."""
    result = subprocess.run([sys.executable, "-c", PROBE, script, *args], capture_output=True, text=True, cwd=ROOT,
                            timeout=60, env=ENV)
    *lines, probe = result.stderr.strip().splitlines()
    assert result.returncode == 1 and result.stdout == "", result.stderr[-2000:]
    assert probe == "tensorflow imported: False"
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[-2000:]
    return lines[0]


@pytest.mark.slow  # trains through subprocesses: 1-3 CPU minutes
def test_bench_reports_the_default_path_and_both_hand_written_loops():
    result = run_tool("benchmarks/bench.py", "--cases=dcgan_digits", "--steps=3", "--repeats=1", "--warmup=1",
                      "--batch_size=8", "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["machine"]["cpus"] == os.cpu_count()
    assert report["machine"]["matmul_peak_gflops"] > 0.1
    assert list(report["cases"]) == ["dcgan_digits"]
    case = report["cases"]["dcgan_digits"]
    # The tool's default path: the recipe's own compile settings (XLA, its steps_per_execution), and
    # --steps rounded up to whole executions.
    recipe = tfgan.recipes.load("dcgan_digits", batch_size=8)
    model, dataset, _ = tfgan.recipes.build(recipe)
    assert (case["recipe"], case["overrides"], case["batch_size"], case["d_steps"]) == ("dcgan_digits", {}, 8, 1)
    assert case["jit_compile"] is model.jit_compile is True
    assert case["steps_per_execution"] == model.steps_per_execution == 10
    assert case["steps"] == 10
    for way in ("default", "handwritten", "handwritten_xla"):
        assert case[f"{way}_images_per_s"] > 0, way
        assert len(case[f"{way}_images_per_s_all"]) == 1
    assert case["ratio_handwritten"] == case["default_images_per_s"] / case["handwritten_images_per_s"]
    assert case["ratio_handwritten_xla"] == case["default_images_per_s"] / case["handwritten_xla_images_per_s"]
    assert case["pipeline_images_per_s"] > 0 and 0 < case["peak_fraction"] < 2
    assert case["default_gflops_per_s"] == pytest.approx(case["gflops_per_step"] * case["default_images_per_s"] / 8)
    # The FLOPs are those of a step on the recipe's own nets (32 base filters, a 64-D latent) at batch 8.
    step = handwritten.make_step(model.generator, model.discriminator, model.d_optimizer, model.g_optimizer,
                                 recipe.latent_dim, recipe.loss)
    graph = step.get_concrete_function(tf.TensorSpec([8, 8, 8, 1], tf.float32)).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    flops = tf.compat.v1.profiler.profile(graph, options=options).total_float_ops
    assert case["gflops_per_step"] == pytest.approx(flops / 1e9)


@pytest.mark.parametrize("args,message", [
    (["--cases=dcgan_digits,nope"], "--cases=dcgan_digits,nope: unknown nope; expected some of dcgan_digits,"),
    (["--repeats=0"], "--repeats=0: must be an integer >= 1."),
    (["--steps=many"], "flag --steps=many: invalid literal for int()"),
    (["--batch_size=-8"], "--batch_size=-8: must be an integer >= 0."),
])
def test_bench_bad_input_is_one_line_before_tensorflow(args, message):
    assert message in usage_error("benchmarks/bench.py", *args)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_handwritten_step_does_the_library_steps_arithmetic(jit_compile):
    """The baseline computes what tfgan's step computes, with or without XLA: one D update of each from
    the same weights gives the same D weights. G ignores z (zero kernel), so the noise each side draws
    does not matter."""
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
                                  2, jit_compile=jit_compile)(real)
        else:
            gan = tfgan.GAN(generator, discriminator, 2)
            gan.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.0))
            gan.fit(tf.data.Dataset.from_tensors(real).repeat(), steps_per_epoch=1, epochs=1, verbose=0)
        updated.append([w.numpy() for w in discriminator.weights])
        assert not np.allclose(updated[-1][0], initial[0])
    for by_hand, library in zip(*updated):
        np.testing.assert_allclose(by_hand, library, rtol=1e-5, atol=1e-6)


@pytest.mark.slow  # trains through subprocesses: 1-3 CPU minutes
def test_benchmark_2d_table_scores_each_run_and_lists_the_published_numbers(tmp_path):
    result = run_tool("benchmarks/benchmark_2d.py", "--recipes=nsgan,nope", "--datasets=ring", "--seeds=0,1",
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
    again = run_tool("benchmarks/benchmark_2d.py", "--recipes=nsgan", "--datasets=ring", "--seeds=0,1,2",
                     "--notrain_missing", f"--outdir={tmp_path}")
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.load(open(tmp_path / "results.json"))["nsgan_ring"] == runs
    assert not (tmp_path / "nsgan_ring_s2").exists()


@pytest.mark.slow  # trains through subprocesses: 1-3 CPU minutes
def test_benchmark_digits_table_scores_a_conditional_recipe_on_every_metric(tmp_path):
    result = run_tool("benchmarks/benchmark_digits.py", "--recipes=acgan,nope", "--seeds=0", "--train_steps=2",
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


@pytest.mark.slow  # trains through subprocesses: 1-3 CPU minutes
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
        steps = round(0.002 * tfgan.recipes.load(os.path.join(ROOT, path)).train_steps)
        assert [s["step"] for s in report[recipe]] == [round(steps / 2), steps]
    assert all(0 <= s["modes"] <= 25 and 0 <= s["high_quality"] <= 1 for r in report.values() for s in r)
    assert out.stat().st_size > 1000


@pytest.mark.parametrize("args,message", [
    (["--recipes=dcgan_digits"], "--recipes=dcgan_digits: trains on digits, which has no modes to count"),
    (["--recipes=gan_grid,nope"], "--recipes=nope: no such recipe file"),
    (["--snapshots=0.5,2"], "--snapshots=0.5,2: expected fractions in (0, 1]"),
])
def test_mode_collapse_demo_bad_input_is_one_line_before_tensorflow(args, message):
    assert message in usage_error("tools/demos/mode_collapse.py", *args)


@pytest.mark.slow  # trains through subprocesses: 1-3 CPU minutes
def test_compare_tricks_runs_each_configuration_as_recipe_overrides(tmp_path):
    result = run_tool("benchmarks/compare_tricks.py", "--configs=baseline,replay", "--seeds=0", "--train_steps=20",
                      "--num_samples=200", "--ema_decay=0.9", f"--outdir={tmp_path}")
    assert result.returncode == 0, result.stderr[-3000:]
    records = [json.loads(line) for line in open(tmp_path / "results.jsonl")]
    assert [r["config"] for r in records] == ["baseline", "baseline+ema", "replay", "replay+ema"]
    for r in records:
        assert r["seed"] == 0 and r["steps"] == 20 and np.isfinite(r["d_loss"])
        assert 0 <= r["modes"] <= 25 and 0.0 <= r["high_quality"] <= 1.0 and r["kl"] >= 0.0
        assert (tmp_path / f"{r['config']}_s0.png").stat().st_size > 1000
    # The EMA rides along: the same training run, scored twice.
    assert records[0]["d_loss"] == records[1]["d_loss"] and records[2]["d_loss"] == records[3]["d_loss"]
    assert records[0]["d_loss"] != records[2]["d_loss"]  # replay changed what D saw
    table = (tmp_path / "table.md").read_text()
    assert f"| replay+ema | 1 | {int(records[3]['modes'])} |" in table
    assert (tmp_path / "scatter.png").exists()


def test_compare_tricks_summary_tables_every_seed_of_every_configuration(tmp_path):
    records = [{"config": "baseline", "seed": 0, "modes": 20.0, "high_quality": 0.9, "kl": 0.3},
               {"config": "baseline", "seed": 1, "modes": 24.0, "high_quality": 0.8, "kl": 0.1},
               {"config": "replay", "seed": 0, "modes": 25.0, "high_quality": 0.95, "kl": 0.0},
               {"config": "baseline", "seed": 1, "modes": 22.0, "high_quality": 0.7, "kl": 0.2}]  # a rerun
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    result = subprocess.run([sys.executable, "-c", PROBE, "benchmarks/compare_tricks.py", "--summarize",
                             f"--outdir={tmp_path}"], capture_output=True, text=True, cwd=ROOT, timeout=120, env=ENV)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1] == "tensorflow imported: False"  # tabulating needs no TensorFlow
    table = (tmp_path / "table.md").read_text()
    assert "| baseline | 2 | 20, 22 | 21.0 | 90.0, 70.0 | 80.0 | 0.250 |" in table
    assert "| replay | 1 | 25 | 25.0 | 95.0 | 95.0 | 0.000 |" in table
    assert (tmp_path / "scatter.png").exists()


@pytest.mark.parametrize("args,message", [
    (["--configs=baseline,nope"], "--configs=baseline,nope: expected some of baseline, instance_noise,"),
    (["--ema_decay=1.5"], "--ema_decay=1.5: must be in [0, 1)."),
    (["--seeds=0,x"], "--seeds=0,x: expected non-negative integers"),
])
def test_compare_tricks_bad_input_is_one_line_before_tensorflow(tmp_path, args, message):
    assert message in usage_error("benchmarks/compare_tricks.py", *args, f"--outdir={tmp_path / 'out'}")
    assert not (tmp_path / "out").exists()  # nothing written
