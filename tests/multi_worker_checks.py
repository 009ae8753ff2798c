"""Run by tests/test_distribute.py as one of several local workers (TF_CONFIG set by the test): trains
a few steps under `multi_worker_mirrored` and prints the weights this worker ends with as JSON."""

import json

import keras
import numpy as np

import tfgan


def main():
    strategy = tfgan.distribute.get_strategy("multi_worker_mirrored")
    keras.utils.set_random_seed(0)
    with strategy.scope():
        gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 3, (8,)), tfgan.nets.mlp_discriminator(2, (8,)), 3, seed=1)
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
    start = [w.numpy() for w in gan.generator.weights + gan.discriminator.weights]
    dataset, _ = tfgan.data.load("ring", 16, seed=0)
    gan.fit(dataset, steps_per_epoch=3, epochs=1, verbose=0)
    weights = [w.numpy() for w in gan.generator.weights + gan.discriminator.weights]
    print(json.dumps({"replicas": strategy.num_replicas_in_sync, "chief": tfgan.distribute.is_chief(strategy),
                      "step": int(gan.step_counter.numpy()),
                      "moved": max(float(np.abs(a - b).max()) for a, b in zip(start, weights)),
                      "weights": [w.ravel().tolist() for w in weights]}))


if __name__ == "__main__":
    main()
