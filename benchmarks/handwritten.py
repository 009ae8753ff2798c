"""The baseline tfgan's step is measured against: a plain TensorFlow GAN loop, written by hand.

One `tf.function` with two `GradientTape`s, the same nets and optimizers as the library's step:
draw noise, update D on real and fake (`d_steps` times, on successive slices of the batch, as
`tfgan.GAN` does), draw noise, update G. Nothing is logged but the two losses.
`penalty_weight > 0` adds the WGAN-GP gradient penalty with a nested tape; `jit_compile=True` compiles
the step with XLA, as `tools/train.py` compiles the library's step by default.
"""

import tensorflow as tf

from tfgan import losses


def make_step(generator, discriminator, d_optimizer, g_optimizer, latent_dim, loss="non_saturating",
              penalty_weight=0.0, d_steps=1, jit_compile=False):
    """`step(real)`: `d_steps` D updates, each on its own `1 / d_steps` of `real`, then one G update;
    a `tf.function`, compiled with XLA when `jit_compile`."""
    loss = losses.get(loss)

    def penalty(real, fake):
        alpha = tf.random.uniform([tf.shape(real)[0]] + [1] * (real.shape.rank - 1))
        mixed = alpha * real + (1.0 - alpha) * fake
        with tf.GradientTape() as tape:
            tape.watch(mixed)
            scores = discriminator(mixed, training=True)
        grads = tape.gradient(scores, mixed)
        norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=list(range(1, real.shape.rank))) + 1e-10)
        return tf.reduce_mean(tf.square(norms - 1.0))

    def d_update(real):
        fake = generator(tf.random.normal([tf.shape(real)[0], latent_dim]), training=True)
        with tf.GradientTape() as tape:
            d_loss = tf.reduce_mean(loss.d_loss(discriminator(real, training=True),
                                                discriminator(fake, training=True)))
            if penalty_weight:
                d_loss += penalty_weight * penalty(real, fake)
        grads = tape.gradient(d_loss, discriminator.trainable_variables)
        d_optimizer.apply_gradients(zip(grads, discriminator.trainable_variables))
        return d_loss

    @tf.function(jit_compile=jit_compile)
    def step(real):
        size = real.shape[0] // d_steps
        for i in range(d_steps):
            d_loss = d_update(real[i * size:(i + 1) * size])
        with tf.GradientTape() as tape:
            fake = generator(tf.random.normal([size, latent_dim]), training=True)
            g_loss = tf.reduce_mean(loss.g_loss(discriminator(fake, training=True)))
        grads = tape.gradient(g_loss, generator.trainable_variables)
        g_optimizer.apply_gradients(zip(grads, generator.trainable_variables))
        return d_loss, g_loss

    return step
