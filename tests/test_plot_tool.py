"""tools/plot.py on a working directory laid out as tools/train.py leaves it (no TensorFlow anywhere)."""

import json
import os
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest

from conftest import ROOT

PLOT = os.path.join(ROOT, "tools", "plot.py")
# Runs a script as `python SCRIPT ARGS` does, then says on stderr's last line which heavy modules it imported.
PROBE = ("import json, runpy, sys\n"
         "sys.argv = sys.argv[1:]\n"
         "try:\n"
         "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
         "finally:\n"
         "    heavy = sorted(m for m in ('tensorflow', 'matplotlib') if m in sys.modules)\n"
         "    print(json.dumps(heavy), file=sys.stderr)\n")


def run_plot(*args):
    """`(result, [heavy modules imported])` of tools/plot.py with `args`."""
    result = subprocess.run([sys.executable, "-c", PROBE, PLOT, *args], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    *lines, probe = result.stderr.strip().splitlines()
    result.stderr = "\n".join(lines)
    return result, json.loads(probe)


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
    result, imported = run_plot(f"--workdir={tmp_path}", "--panels=4")
    assert result.returncode == 0, result.stderr[-2000:]
    assert imported == ["matplotlib"]
    written = json.loads(result.stdout)
    assert sorted(written) == ["losses", "metrics", "samples"]
    for path in written.values():
        assert plt.imread(path).shape[0] > 100
    # Four panels spread over steps 100 ... 1000 on a 3-column grid: two rows.
    panel = plt.imread(written["samples"])
    assert abs(panel.shape[0] / panel.shape[1] - 2 / 3) < 0.01


@pytest.mark.parametrize("args,message", [
    ([], "--workdir is required"),
    (["--workdir={tmp}/none"], "--workdir={tmp}/none: no such directory."),
    (["--workdir={tmp}"], "--workdir={tmp}: no metrics.jsonl there"),
    (["--workdir={run}", "--panels=0"], "--panels=0: must be a positive integer."),
    (["--workdir={run}", "--panels=six"], "flag --panels=six: invalid literal for int()"),
    (["--workdir={run}", "--output={run}/metrics.jsonl"], "--output={run}/metrics.jsonl: cannot write there"),
])
def test_bad_input_gives_one_clear_line_before_matplotlib(tmp_path, args, message):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text(json.dumps({"step": 10, "d_loss": 1.0}) + "\n")
    result, imported = run_plot(*(a.format(tmp=tmp_path, run=run) for a in args))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [result.stderr] and result.stderr.startswith("error: ")
    assert message.format(tmp=tmp_path, run=run) in result.stderr
    assert imported == []
