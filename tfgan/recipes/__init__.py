"""Recipes: every setting of a training job in one typed object, its defaults stated once.

A recipe is a `Recipe` (a frozen dataclass). `load("wgan_gp_grid")` or `load("flags/wgan_gp_grid.flags",
train_steps=500)` reads a flagfile (absl's format: `--name=value` lines, `--flagfile=` includes)
into one; `check(recipe)` is the one place where allowed values are checked, before TensorFlow is
imported; `build(recipe)` returns the model, the dataset and the callbacks in the right order, and
`train(recipe, workdir)` does everything `tools/train.py` does (checkpoints, resume, samples, metrics,
export) and returns the trained model. `tools/train.py` defines one flag per field with
`define_flags`, so the tool and the library read the same flagfiles the same way.

`tfgan.recipes.config` is pure Python; `build` and `train` import `tfgan.recipes.training` (and
TensorFlow) when they are called.

Example:

```python
recipe = tfgan.recipes.load("nsgan_ring", train_steps=2000, seed=3)
model = tfgan.recipes.train(recipe, "runs/nsgan_ring_s3")
```
"""

from tfgan.recipes.config import (ADA_AUGMENTATIONS, AUGMENTATIONS, D_CONDITIONING, DOWNSAMPLING, FAKE_LABELS,  # noqa: F401
                                  G_CONDITIONING, LOSSES, MINIBATCH, MODELS, NOISES, NORMS, PENALTIES, STRATEGIES,
                                  TRANSLATION_MODELS, UPSAMPLING, Recipe,
                                  RecipeError, check, define_flags, defaults, expand_flagfiles, field_names,
                                  from_flags, load, parse_d_steps_schedule, recipe_path, run_settings, to_flags)


def build(recipe, workdir=None):
    """`(model, dataset, callbacks)` for `recipe`: the compiled model, its endless dataset, and the
    callbacks to pass to `model.fit` in the order they must run (tricks before anything that reads
    the weights; with a `workdir`, also the loggers, samples, evaluation and checkpoints there).
    Imports TensorFlow."""
    from tfgan.recipes import training

    return training.build(check(recipe), workdir)


def train(recipe, workdir, allow_config_change=False):
    """Trains `recipe` in `workdir` as `tools/train.py` does (resuming what is there) and returns the
    model. The workdir takes one writer at a time and refuses a recipe that changes the model, data,
    loss or batch it was trained with, unless `allow_config_change`. Imports TensorFlow."""
    from tfgan.recipes import training

    return training.train(check(recipe), workdir, allow_config_change=allow_config_change)
