"""WGAN's critic schedule: many more critic updates early in training and now and then."""

import keras
import tensorflow as tf


class CriticSchedule(keras.callbacks.Callback):
    """Gives the critic `critic_steps` updates before the G update of scheduled training steps.

    Arjovsky et al. 2017 (their released code) train the critic 100 times per generator update for
    the first 25 generator updates and every 500th, so that the critic is near its optimum when its
    Wasserstein estimate is used; other steps keep the model's own `d_steps`. On a scheduled step this
    callback runs `critic_steps - d_steps` extra D updates (each on its own real minibatch from
    `dataset` and fresh noise) just before the step's own `d_steps`.

    Args:
        dataset: an endless `tf.data.Dataset` of real batches of one D update's size (e.g.
            `tfgan.data.load(name, batch_size)`).
        critic_steps: D updates on scheduled steps. Defaults to `100`.
        warmup: the first `warmup` steps are scheduled. Defaults to `25`.
        every: so is every `every`-th step after. Defaults to `500`.

    Reference:
        Arjovsky et al., Wasserstein GAN, ICML 2017 (https://github.com/martinarjovsky/WassersteinGAN).
    """

    def __init__(self, dataset, critic_steps=100, warmup=25, every=500):
        super().__init__()
        for name, value in (("critic_steps", critic_steps), ("every", every)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"`{name}` must be a positive integer. Received: `{name}={value!r}`.")
        if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
            raise ValueError(f"`warmup` must be a non-negative integer. Received: `warmup={warmup!r}`.")
        self.dataset = dataset
        self.critic_steps = critic_steps
        self.warmup = warmup
        self.every = every
        self.extra_updates = 0

    def scheduled(self, step):
        return step < self.warmup or step % self.every == 0

    def on_train_begin(self, logs=None):
        if self.critic_steps < self.model.d_steps:
            raise ValueError(f"`critic_steps` must be at least the model's d_steps={self.model.d_steps}. "
                             f"Received: `critic_steps={self.critic_steps}`.")
        strategy = self.model.distribute_strategy
        self._iterator = iter(strategy.experimental_distribute_dataset(self.dataset))

        def update(data):
            real, labels = self.model.unpack(data)
            self.model._discriminator_step(real, labels)

        self._update = tf.function(lambda data: strategy.run(update, args=(data,)))
        self.extra_updates = 0

    def on_train_batch_begin(self, batch, logs=None):
        if not self.scheduled(int(self.model.step_counter.numpy())):
            return
        for _ in range(self.critic_steps - self.model.d_steps):
            self._update(next(self._iterator))
            self.extra_updates += 1
