"""What GAN training failures look like, in numbers: the remedies the `TrainingMonitor` callback
(`tfgan.callbacks`) names, D's loss at chance, and the sample diversity it watches.

The lecture notes list how GAN training fails: the discriminator's loss goes to 0 (the generator's
gradients vanish), it keeps rising, D calls everything real or everything fake, the numbers become
NaN, and the generator collapses onto a few modes.
"""

import numpy as np
import scipy.spatial

# What to try for each failure, in the library's terms (flags of tools/train.py, recipes, objects).
REMEDIES = {
    "non_finite": "lower --d_lr / --g_lr; for WGAN-GP keep the epsilon inside the gradient norm "
                  "(tfgan.losses.gradient_penalty); keras.callbacks.TerminateOnNaN stops such a run",
    "discriminator_wins": "D is too strong and G's gradients vanish: use --loss=non_saturating instead of minimax, "
                          "a Lipschitz D (--loss=wasserstein with a gradient penalty: recipe wgan_gp; spectral norm: "
                          "recipe sngan; R1: recipe r1gan), one-sided label smoothing or instance noise, "
                          "or a lower --d_lr / fewer --d_steps",
    "discriminator_loss_rising": "D keeps losing ground: lower --g_lr, raise --d_lr or --d_steps, or keep D smooth "
                                 "with a gradient penalty (recipes wgan_gp, r1gan)",
    "discriminator_says_all_real": "D calls real and fake alike real: it is too weak or stuck; raise --d_lr or "
                                   "--d_steps, check the data is scaled to [-1, 1] like G's tanh output",
    "discriminator_says_all_fake": "D calls real and fake alike fake: it is stuck; lower --d_lr, use one-sided "
                                   "label smoothing or instance noise, check the data is scaled to [-1, 1]",
    "mode_collapse": "G covers few modes: use a loss with useful gradients everywhere (--loss=wasserstein with a "
                     "gradient penalty: recipe wgan_gp), minibatch discrimination / minibatch std-dev in D, "
                     "experience replay, or keep the best generator with --eval_every/--best_metric",
}


def chance_loss(loss):
    """D's loss when it cannot tell real from fake (all logits 0): log 4 for the cross-entropy losses,
    2 for hinge, 0 for Wasserstein."""
    zeros = np.zeros((1, 1), np.float32)
    return float(np.mean(loss.d_loss(zeros, zeros)))


def mean_pairwise_distance(samples):
    """Mean Euclidean distance between two different samples (rows flattened): the sample diversity."""
    x = np.asarray(samples, np.float64).reshape(len(samples), -1)
    return float(scipy.spatial.distance.pdist(x).mean())
