"""Property: every configuration either trains with finite losses or is rejected at construction.

The space is read from the library, so losses, penalties, tricks and model classes that other
modules register are fuzzed as soon as they exist: `tfgan.losses.LOSSES`; penalties from a
`PENALTIES` registry or callable classes `penalty(critic, real, fake, ...)` in `tfgan.losses` /
`tfgan.penalties`; tricks = hooks and callbacks in the library that build without arguments;
`ConditionalGAN` / `ACGAN` when present. A few steps on 2-D data each; `-m slow` tries many more.
"""

import importlib
import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tfgan

NUM_CLASSES = 8  # the ring's modes are its labels
LATENT_DIM = 4
STEPS = 3


def _modules(*names):
    for name in names:
        try:
            yield importlib.import_module(f"tfgan.{name}")
        except ImportError:
            continue


def _classes(modules):
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and not cls.__name__.startswith("_"):
                yield cls


def _builds_without_arguments(cls):
    try:
        cls()
    except (TypeError, ValueError):
        return False
    return True


def penalties():
    """Penalty classes: a registry if the library has one, else callables taking (critic, real, fake)."""
    for module in _modules("losses", "penalties"):
        registry = getattr(module, "PENALTIES", None)
        if registry:
            return sorted(registry.values(), key=lambda c: c.__name__)
    found = []
    for cls in _classes(_modules("losses", "penalties")):
        call = getattr(cls, "__call__", None)
        if call is None or call is object.__call__:
            continue
        params = list(inspect.signature(call).parameters)[1:4]
        if params == ["critic", "real", "fake"] and _builds_without_arguments(cls):
            found.append(cls)
    return found


def tricks():
    """Hooks and callbacks of the library that build with their defaults (the tricks, the monitor)."""
    found = []
    for cls in _classes(_modules("models", "callbacks", "tricks")):
        if issubclass(cls, (tfgan.TrainingHook, keras.callbacks.Callback)) and cls is not tfgan.TrainingHook:
            if _builds_without_arguments(cls):
                found.append(cls)
    return found


def model_kinds():
    kinds = ["GAN"]
    kinds += [name for name in ("ConditionalGAN", "ACGAN") if hasattr(tfgan, name)]
    return kinds


def build(kind, loss, penalty, d_steps, g_steps, noise):
    """The model of `kind` for the ring, with the library's MLP nets (conditional ones if needed)."""
    if kind == "GAN":
        generator = tfgan.nets.mlp_generator(2, LATENT_DIM, (16,))
        discriminator = tfgan.nets.mlp_discriminator(2, (16,))
        return tfgan.GAN(generator, discriminator, LATENT_DIM, loss=loss, penalty=penalty, d_steps=d_steps,
                         g_steps=g_steps, noise=noise, seed=0)
    cls = getattr(tfgan, kind)
    generator = tfgan.nets.conditional_mlp_generator(2, LATENT_DIM, NUM_CLASSES, (16,))
    head = getattr(tfgan.nets, f"{kind.lower()}_mlp_discriminator", None)
    discriminator = (head(2, NUM_CLASSES, (16,)) if head is not None
                     else tfgan.nets.conditional_mlp_discriminator(2, NUM_CLASSES, (16,)))
    return cls(generator, discriminator, LATENT_DIM, num_classes=NUM_CLASSES, loss=loss, penalty=penalty,
               d_steps=d_steps, g_steps=g_steps, noise=noise, seed=0)


def ring_batches(batch_size, labels):
    x, y = tfgan.data.mixture_samples("ring", 512, seed=0)
    ds = tf.data.Dataset.from_tensor_slices((x, y) if labels else x)
    return ds.repeat().batch(batch_size, drop_remainder=True)


configurations = st.fixed_dictionaries({
    "kind": st.sampled_from(model_kinds()),
    "loss": st.sampled_from(sorted(tfgan.losses.LOSSES)),
    "penalty": st.one_of(st.none(), st.sampled_from(penalties())) if penalties() else st.none(),
    "tricks": st.lists(st.sampled_from(tricks()), max_size=2, unique=True) if tricks() else st.just([]),
    "d_steps": st.integers(1, 3),
    "g_steps": st.integers(1, 2),
    "noise": st.sampled_from(tfgan.models.NOISE_DISTRIBUTIONS),
})


def check_configuration(config):
    try:
        model = build(config["kind"], config["loss"], config["penalty"] and config["penalty"](),
                      config["d_steps"], config["g_steps"], config["noise"])
        model.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
        callbacks = []
        for trick in config["tricks"]:
            instance = trick()
            if hasattr(instance, "check_model"):  # what tools/train.py does when it attaches a trick
                instance.check_model(model)
            if isinstance(instance, keras.callbacks.Callback):
                callbacks.append(instance)
            else:
                model.add_hook(instance)
    except ValueError as error:  # rejected at construction: one line that names the argument
        message = str(error)
        assert message and "\n" not in message and "`" in message, message
        return
    history = model.fit(ring_batches(16 * config["d_steps"], config["kind"] != "GAN"), steps_per_epoch=STEPS,
                        epochs=1, verbose=0, callbacks=callbacks).history
    assert int(model.step_counter.numpy()) == STEPS
    for key in ("d_loss", "g_loss"):
        assert np.isfinite(history[key]).all(), (key, history[key])
    assert int(model.nan_steps.numpy()) == 0  # no update was skipped


def test_the_space_includes_what_the_library_registers():
    assert len(sorted(tfgan.losses.LOSSES)) >= 5 and "GAN" in model_kinds()
    assert all(callable(p()) for p in penalties())


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(configurations)
def test_every_configuration_trains_or_is_rejected_at_construction(config):
    check_configuration(config)


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configurations)
def test_every_configuration_trains_or_is_rejected_at_construction_many(config):
    check_configuration(config)
