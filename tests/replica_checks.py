"""Run by tests/test_distribute.py in a fresh process: splits the CPU into 2 logical devices (which must
happen before TensorFlow initialises), trains one step on 1 and on 2 replicas from the same start,
and prints one JSON object of what the test compares."""

import json
import sys

import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

import tfgan  # noqa: E402

BATCH = 16


def nets(batchnorm):
    if not batchnorm:
        return tfgan.nets.mlp_generator(2, 3, (8,)), tfgan.nets.mlp_discriminator(2, (8,))
    z = keras.Input((3,))
    h = keras.layers.Dense(8)(z)
    h = keras.layers.BatchNormalization()(h)
    generator = keras.Model(z, keras.layers.Dense(2)(keras.layers.ReLU()(h)))
    return generator, tfgan.nets.mlp_discriminator(2, (8,))


def one_step(strategy, loss, penalty=False, batchnorm=False, sync=False):
    keras.utils.set_random_seed(0)
    with strategy.scope():
        generator, discriminator = nets(batchnorm)
        if sync:
            generator = tfgan.distribute.sync_batchnorm(generator)
        gan = tfgan.GAN(generator, discriminator, 3, loss=loss, penalty=tfgan.GradientPenalty(10.0, seed=5) if penalty else None, seed=1)
        gan.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))
    x = np.random.default_rng(0).normal(size=(BATCH, 2)).astype("float32")
    start = [w.numpy() for w in gan.generator.weights + gan.discriminator.weights]
    history = gan.fit(tf.data.Dataset.from_tensors(x), epochs=1, verbose=0).history
    weights = [w.numpy() for w in gan.generator.weights + gan.discriminator.weights]
    return weights, {k: v[0] for k, v in history.items()}, gan, max_difference(start, weights)


def max_difference(a, b):
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b))


def main():
    single = tf.distribute.OneDeviceStrategy("/cpu:0")
    mirrored = tfgan.distribute.get_strategy("mirrored", ["/cpu:0", "/cpu:1"])
    out = {"replicas": mirrored.num_replicas_in_sync}
    for name, kwargs in (("non_saturating", dict(loss="non_saturating")),
                         ("wgan_gp", dict(loss="wasserstein", penalty=True)),
                         ("batchnorm", dict(loss="non_saturating", batchnorm=True)),
                         ("sync_batchnorm", dict(loss="non_saturating", batchnorm=True, sync=True))):
        w1, logs1, _, moved = one_step(single, **kwargs)
        w2, logs2, _, _ = one_step(mirrored, **kwargs)
        out[name] = {"weights": max_difference(w1, w2), "moved": moved, "logs1": logs1, "logs2": logs2}
    # The noise each replica draws inside the step, against one replica's draw for the global batch.
    gan = one_step(mirrored, "non_saturating")[2]
    state = gan.seed_generator.state.numpy()
    per_replica = mirrored.run(tf.function(lambda: gan.sample_noise(BATCH // 2)))
    halves = [t.numpy() for t in mirrored.experimental_local_results(per_replica)]
    gan.seed_generator.state.assign(state)
    whole = gan.sample_noise(BATCH).numpy()
    out["noise"] = {"halves_differ": bool(np.abs(halves[0] - halves[1]).min() > 0),
                    "concat_equals_one_replica": max_difference([np.concatenate(halves)], [whole])}
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
