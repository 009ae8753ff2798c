"""CPU time per training step of a small MLP GAN and a small DCGAN (compare branches by PYTHONPATH).

    PYTHONPATH=. python benchmarks/nan_guard_overhead.py LABEL
"""
import time, sys, keras, numpy as np, tensorflow as tf, tfgan
x = np.random.default_rng(0).normal(size=(64 * 50, 2)).astype(np.float32)
ds = tf.data.Dataset.from_tensor_slices(x).batch(64, drop_remainder=True).repeat()
res = []
for arch in ("mlp", "dcgan"):
    keras.utils.set_random_seed(0)
    if arch == "mlp":
        g, d, data = tfgan.nets.mlp_generator(2, 16, (128, 128)), tfgan.nets.mlp_discriminator(2, (128, 128)), ds
    else:
        g, d = tfgan.nets.dcgan_generator(8, 1, 16, 16), tfgan.nets.dcgan_discriminator(8, 1, 16)
        data = tf.data.Dataset.from_tensor_slices(np.zeros((64, 8, 8, 1), np.float32)).batch(64).repeat()
    gan = tfgan.GAN(g, d, 16, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    gan.fit(data, steps_per_epoch=20, epochs=1, verbose=0)  # trace
    t = time.process_time()
    gan.fit(data, steps_per_epoch=300, epochs=1, verbose=0)
    res.append(f"{arch}: {1000 * (time.process_time() - t) / 300:.2f} ms CPU/step")
print(sys.argv[1], "; ".join(res))
