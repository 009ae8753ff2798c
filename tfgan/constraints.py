"""Weight constraints for Lipschitz critics: WGAN's weight clipping."""

import keras


@keras.saving.register_keras_serializable(package="tfgan")
class WeightClip(keras.constraints.Constraint):
    """Clips every weight to [-clip_value, clip_value] (Arjovsky et al. 2017, Algorithm 1, line 7).

    A Keras constraint: Keras optimizers apply a variable's `constraint` after each update, so
    `tfgan.GAN(..., d_constraint=WeightClip(0.01))` clips every discriminator weight (kernels and
    biases, as in the paper) right after each D update.

    Args:
        clip_value: c > 0. Defaults to `0.01`.

    Reference:
        Arjovsky et al., Wasserstein GAN, ICML 2017.
    """

    def __init__(self, clip_value=0.01):
        if isinstance(clip_value, bool) or not isinstance(clip_value, (int, float)) or not clip_value > 0 \
                or clip_value == float("inf"):
            raise ValueError(f"`clip_value` must be a positive finite number. Received: `clip_value={clip_value!r}`.")
        self.clip_value = float(clip_value)

    def __call__(self, w):
        return keras.ops.clip(w, -self.clip_value, self.clip_value)

    def get_config(self):
        return {"clip_value": self.clip_value}
