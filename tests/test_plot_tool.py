"""tools/plot.py on a working directory laid out as tools/train.py leaves it."""

import json
import os
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np

from conftest import ROOT

PLOT = os.path.join(ROOT, "tools", "plot.py")


def run_plot(*args):
    return subprocess.run([sys.executable, PLOT, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_plots_curves_metrics_and_a_panel_of_samples(tmp_path):
    records = [{"step": s, "d_loss": 1.3, "g_loss": 0.7, "d_real": 0.5, "d_fake": 0.4} for s in range(10, 110, 10)]
    records += [{"step": 50, "modes": 3, "high_quality": 0.5, "kl": 1.0}, {"step": 100, "modes": 8, "kl": 0.1,
                                                                            "high_quality": 0.9}]
    records.append({"step": 60, "warning": "mode_collapse", "message": "m", "remedy": "r"})
    with open(tmp_path / "metrics.jsonl", "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
        f.write('{"step": 110, "d_lo')  # a line cut short by a kill is skipped
    (tmp_path / "samples").mkdir()
    for step in range(100, 1100, 100):
        plt.imsave(tmp_path / "samples" / f"step_{step:06d}.png", np.full((20, 20), step / 1000.0), cmap="gray")
    result = run_plot(f"--workdir={tmp_path}", "--panels=4")
    assert result.returncode == 0, result.stderr[-2000:]
    written = json.loads(result.stdout)
    assert sorted(written) == ["losses", "metrics", "samples"]
    for path in written.values():
        assert plt.imread(path).shape[0] > 100
    # Four panels spread over steps 100 ... 1000 on a 3-column grid: two rows.
    panel = plt.imread(written["samples"])
    assert abs(panel.shape[0] / panel.shape[1] - 2 / 3) < 0.01


def test_bad_workdir_gives_one_clear_line(tmp_path):
    result = run_plot(f"--workdir={tmp_path / 'none'}")
    assert result.returncode == 1 and "no metrics.jsonl" in result.stderr and "Traceback" not in result.stderr
