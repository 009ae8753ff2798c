"""tfgan.Pix2Pix and tfgan.CycleGAN: every loss term and update against a direct computation, the pool of
past fakes, checkpoints, config round trips, argument checks, one XLA step each, and their SavedModel."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan
from tfgan import losses

B = 4


def images(seed, batch=B, size=8, channels=1):
    return np.random.default_rng(seed).uniform(-1, 1, (batch, size, size, channels)).astype(np.float32)


def unet(name="unet"):
    return tfgan.nets.unet_generator(8, 1, base_filters=4, norm="none", dropout=0.0, name=name)


def patch(name="patch", conditional=False):
    return tfgan.nets.patch_discriminator(8, 1, base_filters=4, norm="none", conditional_channels=int(conditional),
                                          name=name)


def pix2pix(d_lr=0.1, g_lr=0.1, **kwargs):
    model = tfgan.Pix2Pix(unet(), patch(conditional=True), **kwargs)
    model.compile(d_optimizer=keras.optimizers.SGD(d_lr), g_optimizer=keras.optimizers.SGD(g_lr))
    return model


def cyclegan(lr=0.1, **kwargs):
    kwargs.setdefault("pool_size", 0)
    model = tfgan.CycleGAN(unet("g"), unet("f"), patch("d_a"), patch("d_b"), **kwargs)
    model.compile(d_optimizer=keras.optimizers.SGD(lr), g_optimizer=keras.optimizers.SGD(lr))
    return model


def wide_nets():
    """G, F, D_a, D_b for 8x4 images."""
    def net(units):
        return keras.Sequential([keras.Input((8, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(units),
                                 keras.layers.Reshape((8, 4, 1) if units == 32 else (1,))])
    return net(32), net(32), net(1), net(1)


def weights(networks):
    return [v.numpy().copy() for net in networks for v in net.trainable_variables]


def gradients(loss_fn, networks):
    variables = [v for net in networks for v in net.trainable_variables]
    with tf.GradientTape() as tape:
        loss = loss_fn()
    return [g.numpy() for g in tape.gradient(loss, variables)], float(loss)


def l1(x, y):
    return np.abs(np.asarray(x) - np.asarray(y)).reshape(len(x), -1).mean(axis=1)


def assert_sgd_step(before, after, grads, lr):
    assert len(before) == len(after) == len(grads)
    for b, a, g in zip(before, after, grads):
        np.testing.assert_allclose(a, b - lr * g, rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------- Pix2Pix

def test_pix2pix_losses_and_both_updates_match_a_direct_computation():
    keras.utils.set_random_seed(0)
    model = pix2pix(d_lr=0.05, g_lr=0.1, l1_weight=7.0)
    G, D = model.generator, model.discriminator
    a, b = images(1), images(2)
    fake = G(a).numpy()
    g_before, d_before = weights([G]), weights([D])
    # D minimises half the table's loss on real (a, b) and fake (a, G(a)) pairs.
    d_grads, d_loss = gradients(lambda: 0.5 * tf.reduce_mean(losses.minimax_discriminator_loss(
        D([a, b], training=True), D([a, fake], training=True))), [D])
    logs = model.train_step((tf.constant(a), tf.constant(b)))
    assert_sgd_step(d_before, weights([D]), d_grads, 0.05)
    assert float(logs["d_loss"]) == pytest.approx(2 * d_loss, rel=1e-5)
    # G: -log D(a, G(a)) against the UPDATED D, plus l1_weight * mean |b - G(a)|, from G's weights before the step.
    g_old = keras.models.clone_model(G)
    g_old.set_weights([w for w in g_before])
    per_pixel = np.abs(b - fake).mean()

    def g_objective():
        out = g_old(a, training=True)
        return (tf.reduce_mean(losses.non_saturating_generator_loss(D([tf.constant(a), out], training=True)))
                + 7.0 * tf.reduce_mean(tf.abs(b - out)))

    g_grads, g_total = gradients(g_objective, [g_old])
    assert_sgd_step(g_before, weights([G]), g_grads, 0.1)
    assert float(logs["l1_loss"]) == pytest.approx(per_pixel, rel=1e-5)
    assert float(logs["g_total_loss"]) == pytest.approx(g_total, rel=1e-5)
    assert float(logs["g_loss"]) == pytest.approx(g_total - 7.0 * per_pixel, rel=1e-4)
    assert int(model.step_counter.numpy()) == 1 and float(logs["nan_steps"]) == 0.0


def test_pix2pix_l1_term_pulls_outputs_to_the_targets():
    keras.utils.set_random_seed(0)
    a = images(3, batch=16)
    b = np.rot90(a, axes=(1, 2)).copy()
    model = tfgan.Pix2Pix(unet(), patch(conditional=True), l1_weight=100.0)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
    first = l1(model.translate(a), b).mean()
    history = model.fit(tf.data.Dataset.from_tensors((a, b)).repeat(), steps_per_epoch=60, epochs=1, verbose=0)
    assert history.history["l1_loss"][0] > 0 and l1(model.translate(a), b).mean() < 0.75 * first


# ---------------------------------------------------------------- CycleGAN

def test_cyclegan_terms_and_updates_match_a_direct_computation():
    keras.utils.set_random_seed(0)
    model = cyclegan(lr=0.1, cycle_weight=3.0, identity_weight=0.5)
    G, F, D_a, D_b = model.generator_ab, model.generator_ba, model.discriminator_a, model.discriminator_b
    a, b = images(1), images(2)
    fake_b, fake_a = G(a).numpy(), F(b).numpy()
    cycle = l1(F(fake_b), a) + l1(G(fake_a), b)
    identity = l1(G(b), b) + l1(F(a), a)
    g_before, d_before = weights([G, F]), weights([D_a, D_b])

    def g_objective():  # least squares (the default): G pulls D's outputs on fakes to 1
        fb, fa = G(a, training=True), F(b, training=True)
        adversarial = (tf.reduce_mean(losses.least_squares_generator_loss(D_b(fb, training=True)))
                       + tf.reduce_mean(losses.least_squares_generator_loss(D_a(fa, training=True))))
        cyc = tf.reduce_mean(tf.abs(F(fb, training=True) - a)) + tf.reduce_mean(tf.abs(G(fa, training=True) - b))
        idt = tf.reduce_mean(tf.abs(G(b, training=True) - b)) + tf.reduce_mean(tf.abs(F(a, training=True) - a))
        return adversarial + 3.0 * cyc + 3.0 * 0.5 * idt

    def d_objective():  # each D: half the table's loss, on the fakes of G and F before their update
        return (0.5 * tf.reduce_mean(losses.least_squares_discriminator_loss(D_a(a, training=True), D_a(fake_a)))
                + 0.5 * tf.reduce_mean(losses.least_squares_discriminator_loss(D_b(b, training=True), D_b(fake_b))))

    g_grads, g_total = gradients(g_objective, [G, F])
    d_grads, d_total = gradients(d_objective, [D_a, D_b])
    logs = model.train_step((tf.constant(a), tf.constant(b)))
    assert float(logs["cycle_loss"]) == pytest.approx(cycle.mean(), rel=1e-5)
    assert float(logs["identity_loss"]) == pytest.approx(identity.mean(), rel=1e-5)
    assert float(logs["g_total_loss"]) == pytest.approx(g_total, rel=1e-5)
    assert float(logs["g_total_loss"]) == pytest.approx(
        2 * float(logs["g_loss"]) + 3.0 * cycle.mean() + 1.5 * identity.mean(), rel=1e-5)
    assert float(logs["d_loss"]) == pytest.approx(d_total, rel=1e-5)
    assert float(logs["d_loss"]) == pytest.approx(0.5 * (float(logs["d_a_loss"]) + float(logs["d_b_loss"])), rel=1e-6)
    assert_sgd_step(g_before, weights([G, F]), g_grads, 0.1)
    assert_sgd_step(d_before, weights([D_a, D_b]), d_grads, 0.1)


def test_distance_loss_matches_numpy_and_is_zero_for_a_rotation():
    x, y, reference = images(1, batch=5), images(2, batch=5), images(3, batch=5)

    def distances(v):
        flat = v.reshape(len(v), -1)
        return np.abs(flat[:, None] - flat[None]).mean(axis=-1)

    off = ~np.eye(5, dtype=bool)

    def standardized(d, stats_from):
        return (d - stats_from[off].mean()) / np.sqrt(stats_from[off].var() + 1e-8)

    gap = np.abs(standardized(distances(x), distances(x)) - standardized(distances(y), distances(reference)))
    want = np.where(off, gap, 0).sum(axis=1) / 4
    got = tfgan.models.translation.distance_loss(tf.constant(x), tf.constant(y), tf.constant(reference))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-5)
    rotated = np.rot90(x, axes=(1, 2)).copy()
    zero = tfgan.models.translation.distance_loss(tf.constant(x), tf.constant(rotated), tf.constant(rotated))
    np.testing.assert_allclose(zero.numpy(), 0, atol=1e-3)


def test_cyclegan_distance_term_is_logged_and_in_the_objective():
    model = cyclegan(lr=0.0, cycle_weight=3.0, identity_weight=0.0, distance_weight=2.0)
    a, b = images(1), images(2)
    distance = tfgan.models.translation.distance_loss
    want = (distance(a, model.generator_ab(a), b) + distance(b, model.generator_ba(b), a)).numpy().mean()
    logs = model.train_step((tf.constant(a), tf.constant(b)))
    assert float(logs["distance_loss"]) == pytest.approx(want, rel=1e-5)
    assert float(logs["g_total_loss"]) == pytest.approx(
        2 * float(logs["g_loss"]) + 3.0 * float(logs["cycle_loss"]) + 2.0 * want, rel=1e-5)


@pytest.mark.parametrize("geometry,numpy_transform,commuting_move", [
    ("rot90", lambda x: np.rot90(x, axes=(1, 2)), tf.image.rot90),
    ("vertical_flip", lambda x: x[:, ::-1], tf.image.flip_left_right)])
def test_geometry_loss_matches_numpy_and_is_zero_for_a_translation_that_commutes(geometry, numpy_transform,
                                                                                   commuting_move):
    x = images(1)
    translator = unet("g")
    fake = translator(x).numpy()
    want = l1(translator(np.ascontiguousarray(numpy_transform(x))).numpy(), numpy_transform(fake))
    got = tfgan.models.translation.geometry_loss(translator, tf.constant(x), tf.constant(fake), geometry)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)
    # Moving the rows down one pixel does not commute with either transformation.
    roll = keras.layers.Lambda(lambda v: tf.roll(v, 1, axis=1))
    assert tfgan.models.translation.geometry_loss(roll, tf.constant(x), roll(x), geometry).numpy().min() > 0.1
    # A quarter turn commutes with itself, a horizontal flip with a vertical one, and a change of colour
    # with any transformation: they score 0.
    for commuting in (keras.layers.Lambda(commuting_move), keras.layers.Lambda(lambda v: -0.5 * v)):
        zero = tfgan.models.translation.geometry_loss(commuting, tf.constant(x), commuting(x), geometry)
        np.testing.assert_allclose(zero.numpy(), 0.0, atol=1e-6)


def test_cyclegan_geometry_term_is_logged_in_the_objective_and_saved():
    model = cyclegan(lr=0.0, cycle_weight=3.0, identity_weight=0.0, geometry_weight=2.0, geometry="vertical_flip")
    a, b = images(1), images(2)
    geometry = tfgan.models.translation.geometry_loss
    G, F = model.generator_ab, model.generator_ba
    want = (geometry(G, a, G(a), "vertical_flip") + geometry(F, b, F(b), "vertical_flip")).numpy().mean()
    logs = model.train_step((tf.constant(a), tf.constant(b)))
    assert float(logs["geometry_loss"]) == pytest.approx(want, rel=1e-5)
    assert float(logs["g_total_loss"]) == pytest.approx(
        2 * float(logs["g_loss"]) + 3.0 * float(logs["cycle_loss"]) + 2.0 * want, rel=1e-5)
    again = tfgan.CycleGAN.from_config(model.get_config())
    assert (again.geometry_weight, again.geometry) == (2.0, "vertical_flip")


def test_geometry_term_makes_the_translators_commute_with_the_turn():
    def commutation_error(geometry_weight):
        keras.utils.set_random_seed(0)
        G, F = (tfgan.nets.mlp_translator(8, 1, hidden_units=(), name=n) for n in ("g", "f"))
        model = tfgan.CycleGAN(G, F, patch("d_a"), patch("d_b"), pool_size=0, identity_weight=0.0,
                               geometry_weight=geometry_weight)
        model.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
        model.fit(tf.data.Dataset.from_tensor_slices((images(1, batch=512), images(2, batch=512))).batch(16).repeat(),
                  steps_per_epoch=100, epochs=1, verbose=0)
        held_out = tf.constant(images(7, batch=32))
        return float(tf.reduce_mean(tfgan.models.translation.geometry_loss(G, held_out, G(held_out), "rot90")))

    with_term, without = commutation_error(10.0), commutation_error(0.0)
    assert with_term < 0.2 * without, (with_term, without)


def test_cyclegan_without_identity_leaves_the_term_out():
    model = cyclegan(identity_weight=0.0)
    logs = model.train_step((tf.constant(images(1)), tf.constant(images(2))))
    assert "identity_loss" not in logs and np.isfinite(float(logs["g_total_loss"]))


def test_cyclegan_discriminators_see_the_pool_of_past_fakes():
    keras.utils.set_random_seed(0)
    model = cyclegan(lr=0.0, pool_size=2 * B, pool_probability=1.0, seed=3)
    pools = model.pools()
    assert isinstance(pools["a"], tfgan.models.ReplayPool) and pools["b"].pool.shape == (2 * B, 8, 8, 1)
    batches = [(images(10 + k), images(20 + k)) for k in range(3)]
    for a, b in batches[:2]:
        model.train_step((tf.constant(a), tf.constant(b)))
    # With lr 0 the generators stay as they are: the pool filled with exactly their outputs, in order.
    want_a = np.concatenate([model.generator_ba(b).numpy() for _, b in batches[:2]])
    want_b = np.concatenate([model.generator_ab(a).numpy() for a, _ in batches[:2]])
    np.testing.assert_allclose(pools["a"].pool.numpy(), want_a, atol=1e-6)
    np.testing.assert_allclose(pools["b"].pool.numpy(), want_b, atol=1e-6)
    # Once full, p = 1: D trains on pooled fakes only, and this step's fakes take their slots.
    model.train_step((tf.constant(batches[2][0]), tf.constant(batches[2][1])))
    new_b = model.generator_ab(batches[2][0]).numpy()
    stored = pools["b"].pool.numpy()
    assert int(pools["b"].count.numpy()) == 2 * B
    assert sum(np.any(np.all(np.isclose(stored, x, atol=1e-6), axis=(1, 2, 3))) for x in new_b) >= 1


def test_cyclegan_state_round_trips_through_a_checkpoint(tmp_path):
    model = cyclegan(pool_size=B, seed=1)
    model.train_step((tf.constant(images(1)), tf.constant(images(2))))
    state = model.training_state()
    assert {"generator_ab", "generator_ba", "discriminator_a", "discriminator_b", "pool_a", "pool_b", "pool_seed",
            "step", "d_optimizer", "g_optimizer", "nan_steps"} <= set(state)
    path = tf.train.Checkpoint(**state).save(str(tmp_path / "ckpt"))
    other = cyclegan(pool_size=B, seed=1)
    tf.train.Checkpoint(**other.training_state()).restore(path).assert_existing_objects_matched()
    np.testing.assert_array_equal(other.pools()["b"].pool.numpy(), model.pools()["b"].pool.numpy())
    np.testing.assert_array_equal(other.generator_ba.get_weights()[0], model.generator_ba.get_weights()[0])
    assert int(other.step_counter.numpy()) == 1


def test_models_round_trip_through_keras_files(tmp_path):
    p2p = pix2pix(l1_weight=3.0, loss="least_squares")
    cyc = cyclegan(cycle_weight=4.0, identity_weight=0.25, pool_size=3, pool_probability=0.2, seed=5)
    x = images(4)
    for model, name in ((p2p, "p2p"), (cyc, "cyc")):
        model.save(tmp_path / f"{name}.keras")
        again = keras.saving.load_model(tmp_path / f"{name}.keras")
        assert type(again) is type(model)
        np.testing.assert_allclose(again.translate(x), model.translate(x), rtol=1e-5, atol=1e-6)
        assert again.adversarial_loss is model.adversarial_loss
    again = keras.saving.load_model(tmp_path / "cyc.keras")
    assert (again.cycle_weight, again.identity_weight, again.pool_size, again.pool_probability, again.seed) == \
        (4.0, 0.25, 3, 0.2, 5)
    assert keras.saving.load_model(tmp_path / "p2p.keras").l1_weight == 3.0


def test_non_finite_losses_skip_the_update_and_count():
    model = cyclegan()
    before = weights([model.generator_ab])
    a = images(1)
    a[0, 0, 0, 0] = np.nan
    logs = model.train_step((tf.constant(a), tf.constant(images(2))))
    assert float(logs["nan_steps"]) == 1.0 and int(model.nan_streak.numpy()) == 1
    for b, w in zip(before, weights([model.generator_ab])):
        np.testing.assert_array_equal(b, w)


@pytest.mark.parametrize("make,match", [
    (lambda: tfgan.Pix2Pix(unet(), patch(conditional=True), l1_weight=-1.0), "l1_weight=-1.0"),
    (lambda: tfgan.Pix2Pix(unet(), patch(conditional=True), loss="foo"), "loss='foo'"),
    (lambda: tfgan.Pix2Pix("g", patch(conditional=True)), "generator='g'"),
    (lambda: tfgan.Pix2Pix(unet(), patch()), r"`discriminator` must judge \(input, output\) pairs"),
    (lambda: tfgan.Pix2Pix(unet(), tfgan.nets.patch_discriminator(16, 1, base_filters=4, conditional_channels=1)),
     "`discriminator` cannot take inputs"),
    (lambda: tfgan.Pix2Pix(tfgan.nets.mlp_generator((8, 8, 1), 4), patch(conditional=True)),
     "`generator` must be a Keras model built for images"),
    (lambda: tfgan.CycleGAN(unet(), unet(), patch(), patch(), cycle_weight=float("nan")), "cycle_weight=nan"),
    (lambda: tfgan.CycleGAN(unet(), unet(), patch(), patch(), identity_weight=-0.5), "identity_weight=-0.5"),
    (lambda: tfgan.CycleGAN(unet(), unet(), patch(), patch(), pool_size=-1), "pool_size=-1"),
    (lambda: tfgan.CycleGAN(unet(), unet(), patch(), patch(), geometry="rot45"), "geometry='rot45'"),
    (lambda: tfgan.CycleGAN(unet(), unet(), patch(), patch(), geometry_weight=-1.0), "geometry_weight=-1.0"),
    (lambda: tfgan.CycleGAN(*wide_nets(), geometry_weight=1.0), "both domains need square images"),
    (lambda: tfgan.CycleGAN(unet(), unet(), patch(), patch(), pool_probability=2), "pool_probability=2"),
    (lambda: tfgan.CycleGAN(tfgan.nets.unet_generator(8, 1, output_channels=3, base_filters=4),
                            tfgan.nets.unet_generator(8, 3, base_filters=4), patch(),
                            tfgan.nets.patch_discriminator(8, 3, base_filters=4), identity_weight=0.0),
     "`generator_ba` must map images"),
    (lambda: tfgan.CycleGAN(tfgan.nets.unet_generator(8, 1, output_channels=3, base_filters=4),
                            tfgan.nets.unet_generator(8, 3, output_channels=1, base_filters=4), patch(),
                            tfgan.nets.patch_discriminator(8, 3, base_filters=4)), "identity_weight=0.5"),
    (lambda: tfgan.CycleGAN(unet(), unet(), patch(), tfgan.nets.mlp_generator((8, 8, 1), 4)),
     "`discriminator_b` cannot take inputs"),
    (lambda: tfgan.CycleGAN(unet(), unet(), patch(), tfgan.nets.unet_generator(8, 1, output_channels=3, base_filters=4)),
     r"`discriminator_b` must output real/fake logits"),
])
def test_invalid_arguments_name_the_argument_and_value(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_translate_and_sample_rows():
    model = cyclegan()
    a, b = images(1), images(2)
    np.testing.assert_allclose(model.translate(b, "b_to_a"), model.generator_ba(b).numpy(), atol=1e-6)
    np.testing.assert_allclose(model(a).numpy(), model.generator_ab(a).numpy(), atol=1e-6)
    assert [name for name, _ in model.sample_rows(a, b)] == ["a", "a_to_b", "b", "b_to_a"]
    p2p = pix2pix()
    assert [name for name, _ in p2p.sample_rows(a, b)] == ["input", "output", "target"]
    with pytest.raises(ValueError, match="direction='b_to_a'"):
        p2p.translate(a, "b_to_a")
    with pytest.raises(ValueError, match="batches of \\(a, b\\) image pairs"):
        p2p.train_step(tf.constant(a))


# ---------------------------------------------------------------- XLA

@pytest.mark.parametrize("make", [pix2pix, lambda **kw: cyclegan(pool_size=B, seed=0, **kw)], ids=["pix2pix", "cyclegan"])
def test_train_step_compiles_with_xla(make):
    keras.utils.set_random_seed(0)
    model = make()
    model.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1), jit_compile=True)
    before = weights(model.generator_networks() + model.discriminator_networks())
    a, b = images(1, batch=8), images(2, batch=8)
    history = model.fit(tf.data.Dataset.from_tensors((a, b)).repeat(), steps_per_epoch=2, epochs=1, verbose=0)
    assert model.jit_compile and int(model.step_counter.numpy()) == 2
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    after = weights(model.generator_networks() + model.discriminator_networks())
    assert all(not np.array_equal(x, y) for x, y in zip(before, after))


# ---------------------------------------------------------------- serving

FRESH = r"""
import json, sys
import numpy as np
import tensorflow as tf
out = {}
for path in sys.argv[1:]:
    m = tf.saved_model.load(path)
    x = np.linspace(-1, 1, 2 * 64, dtype=np.float32).reshape(2, 8, 8, 1)
    out[path] = {name: {"inputs": {k: [v.dtype.name, v.shape.as_list()] for k, v in f.structured_input_signature[1].items()},
                        "outputs": {k: [v.dtype.name, v.shape.as_list()] for k, v in f.structured_outputs.items()},
                        "value": f(images=tf.constant(x))["images"].numpy().tolist()}
                 for name, f in m.signatures.items()}
out["tfgan_imported"] = "tfgan" in sys.modules
print(json.dumps(out))
"""


def test_export_signatures_load_in_a_process_without_tfgan(tmp_path):
    p2p, cyc = pix2pix(), cyclegan()
    paths = [p2p.export(str(tmp_path / "p2p")), tfgan.export.export_generator(cyc, str(tmp_path / "cyc"))]
    result = subprocess.run([sys.executable, "-c", FRESH, *paths], capture_output=True, text=True, check=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert got.pop("tfgan_imported") is False
    assert sorted(got[paths[0]]) == ["serving_default"] and sorted(got[paths[1]]) == ["b_to_a", "serving_default"]
    x = np.linspace(-1, 1, 2 * 64, dtype=np.float32).reshape(2, 8, 8, 1)
    for path, networks in ((paths[0], {"serving_default": p2p.generator}),
                           (paths[1], {"serving_default": cyc.generator_ab, "b_to_a": cyc.generator_ba})):
        for name, network in networks.items():
            signature = got[path][name]
            assert signature["inputs"] == {"images": ["float32", [None, 8, 8, 1]]}
            assert signature["outputs"] == {"images": ["uint8", [None, 8, 8, 1]]}
            want = tfgan.data.to_uint8(network(x, training=False)).numpy()
            np.testing.assert_array_equal(np.array(signature["value"]), want)
