"""`ReplayPool`: a pool of past fakes for the discriminator (experience replay, CycleGAN's image pool)."""

import keras
import tensorflow as tf

from tfgan import checks


class ReplayPool(tf.Module):
    """`size` past generated examples in graph variables, and the rule that mixes them into D's batch
    (TF-GAN's `tensor_pool` semantics, per example, as CycleGAN's image pool):

        for each fake x:  if the pool is not full: store x, use x
                          else with probability p: use a random pooled y and store x in its place
                          else: use x

    `replay` works on static shapes only, so it compiles with XLA; the fakes it returns carry no
    gradient. `tfgan.tricks.ExperienceReplay` (a GAN's trick) and `tfgan.CycleGAN` (one pool per
    domain) hold one each; its variables `pool` and `count` go into the model's checkpoint.

    Args:
        size: examples in the pool.
        shape: the shape of one example.
        probability: p, in [0, 1]. Defaults to `0.5`.
        name: the module's name. Defaults to `"replay_pool"`.

    Reference:
        Shrivastava et al., Learning from Simulated and Unsupervised Images through Adversarial
        Training, CVPR 2017 (history of refined images); Zhu et al. 2017, sec. 4 (a buffer of 50 images).
    """

    def __init__(self, size, shape, probability=0.5, name="replay_pool"):
        super().__init__(name=name)
        self.size = checks.positive_int("size", size)
        self.probability = checks.probability("probability", probability)
        self.shape = tuple(int(d) for d in shape)
        # Under a strategy every replica holds the first replica's value.
        self.pool = tf.Variable(tf.zeros((self.size,) + self.shape), trainable=False, name="pool",
                                aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        self.count = tf.Variable(0, trainable=False, name="count", dtype=tf.int64,
                                 aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

    def replay(self, fake, seed_generator):
        """The fakes D trains on, drawing with `seed_generator` (a `keras.random.SeedGenerator`); updates the pool."""
        fake = tf.stop_gradient(tf.cast(fake, tf.float32))
        batch = tf.shape(fake)[0]
        slots = self.count + tf.range(batch, dtype=tf.int64)
        filling = slots < self.size
        swap = tf.logical_and(tf.logical_not(filling),
                              keras.random.uniform([batch], seed=seed_generator) < self.probability)
        random_slots = keras.random.randint([batch], 0, self.size, dtype="int64", seed=seed_generator)
        mask = tf.reshape(swap, [-1] + [1] * (fake.shape.rank - 1))
        out = tf.where(mask, tf.gather(self.pool, random_slots), fake)
        # Fakes kept go to their slot; the others to one spare row past the pool, then dropped.
        targets = tf.where(filling, slots, tf.where(swap, random_slots, tf.cast(self.size, tf.int64)))
        spare = tf.concat([self.pool, tf.zeros_like(self.pool[:1])], axis=0)
        self.pool.assign(tf.tensor_scatter_nd_update(spare, targets[:, None], fake)[:self.size])
        self.count.assign(tf.minimum(self.count + tf.cast(batch, tf.int64), self.size))
        return out
