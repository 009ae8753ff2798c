"""tfgan.recipes: one typed recipe read from flagfiles, checked before TensorFlow loads, trained the
same way by the library and by tools/train.py."""

import dataclasses
import glob
import json
import os
import subprocess
import sys

import pytest

import tfgan
from tfgan import recipes
from tfgan.recipes import training

from conftest import ROOT

TINY = dict(dataset="ring", latent_dim=4, g_hidden=(16,), d_hidden=(16,), batch_size=16, train_steps=20,
            sample_every=10, checkpoint_every=10, log_every=5, steps_per_epoch=10, seed=3, deterministic=True,
            label_smoothing=0.9, instance_noise=0.1, ema_decay=0.9, jit_compile=False)


def test_every_recipe_loads_by_name_and_by_path_and_has_its_dataset():
    names = sorted(os.path.basename(p)[:-len(".flags")] for p in glob.glob(os.path.join(ROOT, "flags", "*.flags")))
    assert len(names) >= 28
    for name in names:
        recipe = recipes.load(name)
        assert recipe == recipes.load(os.path.join(ROOT, "flags", f"{name}.flags"))
        assert name.endswith("_" + recipe.dataset), name


def test_base_flagfiles_are_included_relative_to_the_recipe_and_overridden_after(tmp_path):
    nsgan = recipes.load("nsgan_grid")
    assert (nsgan.latent_dim, nsgan.g_hidden, nsgan.lr_schedule, nsgan.lr_decay_steps) == (2, (256,) * 3, "linear",
                                                                                           nsgan.train_steps)
    own = tmp_path / "mine" / "own.flags"
    own.parent.mkdir()
    (tmp_path / "mine" / "shared.flags").write_text("--latent_dim=7\n--batch_size=32\n")
    own.write_text("# a user's recipe\n--flagfile=shared.flags\n--batch_size=8\n--nojit_compile\n")
    recipe = recipes.load(str(own), seed=5)
    assert (recipe.latent_dim, recipe.batch_size, recipe.jit_compile, recipe.seed) == (7, 8, False, 5)


def test_flagfiles_keep_only_what_differs_from_defaults_and_bases():
    for path in glob.glob(os.path.join(ROOT, "flags", "*.flags")):
        lines = [line.strip() for line in open(path) if line.strip() and not line.startswith("#")]
        bases = [line for line in lines if line.startswith("--flagfile=")]
        base = recipes.load(os.path.join(ROOT, "flags", bases[0][len("--flagfile="):])) if bases else recipes.defaults()
        recipe = recipes.load(path)
        for line in lines[len(bases):]:
            name, _, value = line[2:].partition("=")
            name = name[2:] if not value and name.startswith("no") and name[2:] in recipes.field_names() else name
            assert name in recipes.field_names(), (path, line)
            assert getattr(recipe, name) != getattr(base, name), f"{path}: {line} repeats the default or base"


def test_overrides_are_checked_and_unknown_settings_are_refused():
    recipe = recipes.load("dcgan_digits", train_steps=40, g_hidden="8,8")
    assert recipe.train_steps == 40 and recipe.g_hidden == (8, 8)
    with pytest.raises(recipes.RecipeError, match=r"`train_step=40`: is not a recipe setting"):
        recipes.load("dcgan_digits", train_step=40)
    with pytest.raises(recipes.RecipeError, match=r"`loss='foo'`: must be one of hinge, .*wasserstein"):
        recipes.load("dcgan_digits", loss="foo")
    with pytest.raises(recipes.RecipeError, match="no such recipe file .*no_such_recipe.flags; recipes: acgan_digits"):
        recipes.load("no_such_recipe")


@pytest.mark.parametrize("overrides,flag", [
    (dict(spectral_norm=True, layer_norm=True), "--layer_norm=True: choose one normalization"),
    (dict(model="cgan", pack=2), "--pack=2: packs unlabelled samples"),
    (dict(best_metric="kl"), "--best_metric=kl: needs --eval_every > 0."),
    (dict(d_steps_schedule="100:0,5"), "--d_steps_schedule=100:0,5: expected N[:UNTIL]"),
    (dict(diffaugment=("zoom",)), "--diffaugment=zoom: must name augmentations"),
    (dict(dataset="mnist"), "--dataset=mnist: Unknown dataset"),
    (dict(d_lr=float("inf")), "--d_lr=inf: must be a finite number."),
])
def test_check_names_the_flag_and_its_value(overrides, flag):
    with pytest.raises(recipes.RecipeError) as error:
        recipes.defaults().replace(**overrides)
    assert error.value.flag.startswith(flag)


def test_the_recipes_own_tables_agree_with_the_library():
    assert recipes.LOSSES == tuple(sorted(tfgan.losses.LOSSES))
    assert recipes.PENALTIES[1:] == tuple(tfgan.penalties.PENALTIES)
    assert recipes.NOISES == tfgan.models.NOISE_DISTRIBUTIONS and recipes.FAKE_LABELS == tfgan.models.FAKE_LABELS
    assert recipes.STRATEGIES == tfgan.distribute.STRATEGIES
    assert recipes.D_CONDITIONING == tfgan.nets.D_CONDITIONING and recipes.G_CONDITIONING == tfgan.nets.G_CONDITIONING
    assert recipes.UPSAMPLING == tfgan.nets.UPSAMPLING and recipes.DOWNSAMPLING == tfgan.nets.DOWNSAMPLING
    assert recipes.MINIBATCH[1:] == tfgan.nets.MINIBATCH[1:] and recipes.AUGMENTATIONS == tfgan.tricks.AUGMENTATIONS
    assert recipes.ADA_AUGMENTATIONS == tfgan.augment.AUGMENTATIONS
    assert recipes.defaults().ada_adjust_images == tfgan.callbacks.AdaptiveAugment().adjust_images


def test_to_flags_round_trips_through_a_flagfile(tmp_path):
    recipe = recipes.load("sngan_grid", seed=4, diffaugment=(), eval_metrics=("modes", "kl"), monitor=False)
    path = tmp_path / "round.flags"
    path.write_text("\n".join(recipes.to_flags(recipe)) + "\n")
    assert recipes.load(str(path)) == recipe


def test_steps_per_execution_defaults_to_the_largest_that_keeps_every_cadence():
    from tfgan.recipes import training

    assert training.steps_per_execution(recipes.defaults()) == 10  # log every 10, samples / checkpoints every 500
    assert training.steps_per_execution(recipes.load("nsgan_grid")) == 20
    assert training.steps_per_execution(recipes.load("nsgan_grid", eval_every=250)) == 10
    assert training.steps_per_execution(recipes.load("nsgan_grid", steps_per_execution=3)) == 3


def test_a_run_shorter_than_its_learning_rate_schedule_is_warned_about():
    from tfgan.recipes import training

    assert training.schedule_warning(recipes.load("nsgan_ring")) is None
    assert training.schedule_warning(recipes.load("nsgan_ring", train_steps=2000)) == (
        "--train_steps=2000 ends before --lr_schedule=linear reaches 0 at --lr_decay_steps=6000; set "
        "--lr_decay_steps=2000 to decay over this shorter run.")
    assert training.schedule_warning(recipes.load("dcgan_digits", train_steps=20)) is None  # constant rate
    short = recipes.load("nsgan_ring", train_steps=2000, lr_decay_steps=2000)
    assert training.schedule_warning(short) is None
    assert training.optimizer(short, "adam", 1e-3, 0.5, 0.999, 1).learning_rate.numpy() == pytest.approx(1e-3)


def test_a_usage_error_returns_before_tensorflow_is_imported(tmp_path):
    script = (f"import runpy, sys; sys.argv = ['train.py', '--loss=foo', '--workdir={tmp_path / 'w'}']\n"
              f"try:\n    runpy.run_path({os.path.join(ROOT, 'tools', 'train.py')!r}, run_name='__main__')\n"
              f"except SystemExit as exit:\n    print(exit.code, 'tensorflow' in sys.modules, 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.stdout.split() == ["1", "False", "False"]
    assert result.stderr.strip().splitlines() == ["error: --loss=foo: must be one of hinge, jensen_shannon, kl, "
                                                  "least_squares, minimax, non_saturating, pearson, relativistic_average, "
                                                  "relativistic_average_hinge, relativistic_average_least_squares, "
                                                  "reverse_kl, squared_hellinger, wasserstein."]
    assert not (tmp_path / "w").exists()


def test_the_tool_and_the_library_write_the_same_metrics(tmp_path):
    recipe = recipes.defaults().replace(**TINY)
    flagfile = tmp_path / "tiny.flags"
    flagfile.write_text("\n".join(recipes.to_flags(recipe)) + "\n")
    tool_dir, library_dir = tmp_path / "tool", tmp_path / "library"
    result = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "train.py"), f"--flagfile={flagfile}",
                             f"--workdir={tool_dir}"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert not any(line.startswith(("I0000", "W0000", "E0000", "WARNING: All log")) for line in result.stderr.splitlines())
    assert [line.split()[0] for line in result.stderr.splitlines()] == ["step", "step"]  # the progress lines only
    model = recipes.train(recipe, str(library_dir))
    assert int(model.step_counter.numpy()) == 20
    tool_lines = (tool_dir / "metrics.jsonl").read_text().splitlines()
    assert tool_lines == (library_dir / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in tool_lines if "d_loss" in json.loads(line)] == [5, 10, 15, 20]
    assert json.loads(result.stdout)["step"] == 20


def test_build_returns_the_model_the_dataset_and_the_tricks_in_order():
    model, dataset, callbacks = recipes.build(recipes.defaults().replace(**TINY))
    assert [type(c).__name__ for c in callbacks] == ["LabelSmoothing", "InstanceNoise", "GeneratorEMA"]
    assert model.latent_dim == 4 and model.steps_per_execution == 5 and model.generator_ema is callbacks[-1]
    assert tuple(next(iter(dataset)).shape) == (16, 2)
    history = model.fit(dataset, steps_per_epoch=5, epochs=1, verbose=0, callbacks=callbacks).history
    assert int(model.step_counter.numpy()) == 5 and set(history) >= {"d_loss", "g_loss"}


@pytest.mark.parametrize("overrides", [dict(dataset="digits", architecture="dcgan", pack=2),
                                       dict(dataset="digits", architecture="sngan"),
                                       dict(dataset="digits", model="acgan", architecture="dcgan"),
                                       dict(dataset="digits_rot90", model="cyclegan", architecture="linear")])
def test_d_base_filters_widens_only_the_discriminator(overrides):
    def first_filters(network):
        return next(layer.filters for layer in network._flatten_layers() if hasattr(layer, "filters"))

    def nets(**more):
        recipe = recipes.defaults().replace(**overrides, base_filters=8, **more)
        built = training.networks(recipe, training.data_info(recipe))
        return built[0], built[-1]  # G (G_ab), D (D_b)

    generator, discriminator = nets()
    wide_generator, wide_discriminator = nets(d_base_filters=24)
    assert first_filters(wide_discriminator) == 3 * first_filters(discriminator)  # 24 instead of 8 (x2 for acgan)
    assert wide_generator.count_params() == generator.count_params()
    assert wide_discriminator.count_params() > discriminator.count_params()


def test_no_field_is_defined_twice_and_every_field_has_help():
    fields = dataclasses.fields(recipes.Recipe)
    assert len({f.name for f in fields}) == len(fields)
    assert all(f.metadata["help"] for f in fields)
