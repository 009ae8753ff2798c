"""The training step is a graph function of the step counter: `steps_per_execution=k` trains exactly as
k=1 with every schedule-bearing trick on, and every loss, penalty, trick and model compiles with XLA."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan
from tfgan import callbacks

B = 16


def every_trick():
    """Every trick whose hook changes over training, each with a schedule that moves in 16 steps."""
    return [callbacks.LabelSmoothing(0.9, decay="linear", decay_steps=10, seed=1),
            callbacks.LabelFlipping(0.2, decay="exponential", decay_steps=4, seed=2),
            callbacks.InstanceNoise(0.1, decay="linear", decay_steps=12, seed=3),
            callbacks.ExperienceReplay(2 * B, 0.5, seed=4),
            callbacks.CheckpointSwap(every=5, swap_steps=2, swap_discriminator=True),
            callbacks.DStepsSchedule(callbacks.CriticSchedule(steps=1, critic_steps=3, warmup=2, every=4)),
            callbacks.TopKGenerator(0.5, decay=0.8, decay_steps=2),
            callbacks.GeneratorEMA(0.8, start_step=3)]


def train(steps_per_execution, jit_compile=False, steps=16, penalty=None):
    keras.utils.set_random_seed(0)
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (16,)), tfgan.nets.mlp_discriminator(2, (16,)), 4, seed=1,
                    penalty=penalty)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2),
                steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    ds, _ = tfgan.data.load("ring", B, seed=0)
    tricks = every_trick()
    gan.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=tricks, shuffle=False)
    return gan


def test_eight_steps_per_execution_train_exactly_as_one(tmp_path):
    one, eight = train(1), train(8)
    assert int(one.step_counter.numpy()) == int(eight.step_counter.numpy()) == 16
    for a, b in zip(one.weights + one.generator_ema.weights, eight.weights + eight.generator_ema.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.name)
    # The EMA moved away from the weights, and both runs export the same (averaged) generator.
    assert not np.allclose(one.generator_ema.weights[0].numpy(), one.generator.weights[0].numpy())
    z = tf.constant(np.random.default_rng(0).normal(size=(8, 4)), tf.float32)
    served = [tfgan.export.load_generator(tfgan.export.export_generator(gan, str(tmp_path / name)))
              .signatures["serving_default"](z=z)["samples"].numpy() for name, gan in (("one", one), ("eight", eight))]
    np.testing.assert_array_equal(*served)


def data_efficient_infogan(steps_per_execution, steps=8):
    """A DCGAN InfoGAN on digits with ADA (p moving every 2 steps), bCR and LeCam."""
    keras.utils.set_random_seed(0)
    gan = tfgan.InfoGAN(tfgan.nets.infogan_dcgan_generator(8, 1, 4, (3,), 1, base_filters=4),
                        tfgan.nets.infogan_dcgan_discriminator(8, 1, (3,), 1, base_filters=4, q_units=4), 4, (3,), 1,
                        seed=1, loss=tfgan.losses.with_lecam("non_saturating", 0.3),
                        penalty=tfgan.ConsistencyRegularization(1.0, seed=2))
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2),
                steps_per_execution=steps_per_execution)
    ada = callbacks.AdaptiveAugment(interval=2, adjust_images=320, initial_probability=0.2, seed=3)
    logs = gan.fit(tfgan.data.load("digits", B, seed=0)[0], steps_per_epoch=steps, epochs=1, verbose=0,
                   callbacks=[ada], shuffle=False).history
    return gan, ada, logs


def test_adaptive_augmentation_bcr_and_lecam_train_the_same_for_any_steps_per_execution():
    (one, ada_one, logs_one), (four, ada_four, _) = data_efficient_infogan(1), data_efficient_infogan(4)
    assert ada_one.probability == ada_four.probability != 0.2  # p moved, on the same steps
    for a, b in zip(one.weights, four.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.name)
    np.testing.assert_array_equal(one.adversarial_loss.regularizer.anchors, four.adversarial_loss.regularizer.anchors)
    assert {"ada_p", "lecam", "consistency", "mutual_information"} <= set(logs_one)


def xla_fit(gan, dataset, tricks=(), steps=3):
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3), jit_compile=True)
    before = [w.numpy() for w in gan.trainable_weights]
    logs = gan.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=list(tricks)).history
    assert gan.jit_compile is True
    assert all(np.all(np.isfinite(v)) for v in logs.values()), logs
    # Every kernel moves (an output bias need not: a Wasserstein critic's gradient for it is 0).
    still = [w.name for a, w in zip(before, gan.trainable_weights) if "kernel" in w.name and np.array_equal(a, w)]
    assert not still, still
    return logs


def mlp_gan(**kwargs):
    return tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (8,)), tfgan.nets.mlp_discriminator(2 * kwargs.get("pack", 1), (8,)),
                     4, seed=0, **kwargs)


@pytest.mark.parametrize("loss", sorted(tfgan.losses.LOSSES))
def test_every_loss_trains_under_xla(loss):
    gan = mlp_gan(loss=loss)
    logs = xla_fit(gan, tfgan.data.load("ring", B, seed=0)[0])
    assert gan.jit_compile and int(gan.step_counter.numpy()) == 3
    assert np.isfinite(logs["d_loss"][-1]) and np.isfinite(logs["g_loss"][-1])


@pytest.mark.parametrize("name", ["gan_gp_pack2", "cgan_r2", "acgan_lazy_r1", "every_trick_gp", "dcgan_diffaugment",
                                  "infogan_ada_bcr_lecam", "infogan_mlp_hinge_gp"])
def test_every_penalty_trick_and_model_trains_under_xla(name):
    ring, ring_labels = tfgan.data.load("ring", B, seed=0)[0], tfgan.data.load("ring", B, labels=True, seed=0)[0]
    if name == "gan_gp_pack2":
        logs = xla_fit(mlp_gan(loss="wasserstein", penalty=tfgan.GradientPenalty(1.0, seed=0), pack=2), ring)
        assert logs["interpolate_grad_norm"][0] > 0
    elif name == "cgan_r2":
        gan = tfgan.ConditionalGAN(tfgan.nets.conditional_mlp_generator(2, 4, 8, (8,)),
                                   tfgan.nets.conditional_mlp_discriminator(2, 8, (8,)), 4, num_classes=8,
                                   penalty=tfgan.R2(1.0), fake_labels="data")
        assert xla_fit(gan, ring_labels)["fake_grad_norm"][0] > 0
    elif name == "acgan_lazy_r1":
        gan = tfgan.ACGAN(tfgan.nets.conditional_mlp_generator(2, 4, 8, (8,)), tfgan.nets.acgan_mlp_discriminator(2, 8, (8,)),
                          4, num_classes=8, penalty=tfgan.R1(1.0, every=2))
        assert "d_class_acc_real" in xla_fit(gan, ring_labels)
    elif name == "every_trick_gp":
        xla_fit(mlp_gan(penalty=tfgan.GradientPenalty(1.0, seed=0)), ring, every_trick(), steps=8)
    elif name == "infogan_ada_bcr_lecam":
        gan = tfgan.InfoGAN(tfgan.nets.infogan_dcgan_generator(8, 1, 8, (10,), 2, base_filters=8),
                            tfgan.nets.infogan_dcgan_discriminator(8, 1, (10,), 2, base_filters=8, learn_std=True), 8,
                            learn_std=True, seed=0, loss=tfgan.losses.with_lecam("non_saturating", 0.3),
                            penalty=tfgan.ConsistencyRegularization(10.0, seed=0))
        logs = xla_fit(gan, tfgan.data.load("digits", B, seed=0)[0],
                       [callbacks.AdaptiveAugment(interval=1, adjust_images=64, initial_probability=0.5, seed=0)])
        assert logs["ada_p"][-1] != 0.5 and logs["consistency"][0] > 0 and "mutual_information" in logs
    elif name == "infogan_mlp_hinge_gp":
        gan = tfgan.InfoGAN(tfgan.nets.infogan_mlp_generator(2, 4, (8,), 0, (8,)),
                            tfgan.nets.infogan_mlp_discriminator(2, (8,), 0, (8,)), 4, (8,), 0, seed=0, loss="hinge",
                            penalty=tfgan.GradientPenalty(1.0, seed=0))
        assert "code_accuracy" in xla_fit(gan, ring)
    else:
        images = tfgan.data.load("digits", B, seed=0)[0]
        gan = tfgan.GAN(tfgan.nets.dcgan_generator(8, 1, 8, 8), tfgan.nets.dcgan_discriminator(8, 1, 8), 8, seed=0)
        xla_fit(gan, images, [callbacks.DiffAugment(seed=0), callbacks.InstanceNoise(0.1, seed=0)])
