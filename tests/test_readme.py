"""The README's Python example is the first command's recipe, and it runs as written (shortened)."""

import re

import numpy as np

import tfgan
from conftest import ROOT


def test_the_python_example_runs_and_builds_the_first_commands_recipe(tmp_path, monkeypatch):
    readme = open(f"{ROOT}/README.md").read()
    code = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    short = code.replace("steps_per_epoch=500, epochs=6", "steps_per_epoch=20, epochs=1").replace("every=500", "every=20")
    assert short != code
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(short, scope)  # noqa: S102  (the README's own example)
    gan = scope["gan"]
    assert scope["images"].shape == (16, 8, 8, 1) and int(gan.step_counter.numpy()) == 20
    assert (tmp_path / "runs" / "python" / "samples" / "step_000020.png").exists()
    assert (tmp_path / "runs" / "python" / "generator" / "saved_model.pb").exists()
    # The same nets, optimizers and execution as the first command's recipe builds.
    recipe_model, _, _ = tfgan.recipes.build(tfgan.recipes.load("dcgan_digits"))
    assert [w.shape for w in gan.weights] == [w.shape for w in recipe_model.weights]
    assert (gan.steps_per_execution, gan.jit_compile) == (recipe_model.steps_per_execution, recipe_model.jit_compile)
    for name in ("d_optimizer", "g_optimizer"):
        mine, theirs = getattr(gan, name).get_config(), getattr(recipe_model, name).get_config()
        assert {k: mine[k] for k in ("learning_rate", "beta_1", "beta_2")} == \
               {k: theirs[k] for k in ("learning_rate", "beta_1", "beta_2")}
    assert np.isfinite(scope["images"]).all()
