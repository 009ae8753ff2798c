"""`TrainingMonitor`: names GAN training failures while they happen (`tfgan.diagnosis` has the numbers).

It watches the values the training step logs (`d_loss`, `g_loss`, `d_real`, `d_fake`) and the
diversity of the generator's samples, and when a failure starts it writes one warning naming it and
the library's remedy to the absl log and to `metrics.jsonl`
(`{"step": ..., "warning": "discriminator_wins", "message": ..., "remedy": ...}`).
"""

import collections

import numpy as np
import scipy.stats
from absl import logging

from tfgan import checks, diagnosis
from tfgan import metrics as metrics_lib
from tfgan.callbacks.base import MetricsFile, PeriodicCallback, model_step


class TrainingMonitor(PeriodicCallback):
    """Watches the training logs and the generator's samples, and names failures when they start.

    Every step it checks that the logged numbers are finite. Every `every` steps, over the last
    `window` steps, it checks:

    - `discriminator_wins`: D's loss near 0 (below `d_loss_floor` times its chance value) while G's
      loss rises: D is too strong and G's gradients vanish (losses bounded below by 0, i.e. not
      Wasserstein);
    - `discriminator_loss_rising`: D's loss rising steadily (Spearman correlation with the step above
      `rising_correlation`) and above its chance value (`chance_loss`, D no better than a coin);
    - `discriminator_says_all_real` / `_all_fake`: mean D(x) and D(G(z)) both above
      `1 - output_margin` or both below `output_margin` (losses whose D targets are 1 and 0);
    - `mode_collapse`: the mean pairwise distance of `num_samples` samples from fixed noise falls below
      `collapse_ratio` of its peak (and of the real data's, when `real_samples` are given), or below
      1e-3 of the real data's (a point mass); with `modes` given, the modes covered (as
      `tfgan.metrics.mode_coverage` counts them) fall to half their peak, once that peak was at
      least half of all modes.

    Each warning is written once when its condition starts (again only after it has cleared), to
    the absl log and as a line of `metrics_path`; `warnings` keeps them, `checked_steps` the steps
    the window checks ran at.

    Args:
        every: steps between checks. Defaults to `50`.
        window: steps of logs the checks look at. Defaults to `200`.
        metrics_path: JSON-lines file the warnings are appended to. Defaults to `None`.
        real_samples: real data, for the diversity reference. Defaults to `None`.
        modes: `[K, 2]` mixture centres to count covered modes. Defaults to `None`.
        mode_std: the modes' standard deviation. Defaults to `None`; needed with `modes`.
        num_samples: samples drawn for the diversity check. Defaults to `256`.
        d_loss_floor: fraction of the chance D loss counted as "near 0". Defaults to `0.1`.
        rising_correlation: rank correlation counted as "rising steadily". Defaults to `0.6`.
        output_margin: distance from 0 or 1 counted as "near". Defaults to `0.1`.
        collapse_ratio: fraction of the peak diversity counted as collapse. Defaults to `0.25`.
        seed: seed of the fixed noise. Defaults to `0`.
    """

    def __init__(self, every=50, window=200, metrics_path=None, real_samples=None, modes=None, mode_std=None,
                 num_samples=256, d_loss_floor=0.1, rising_correlation=0.6, output_margin=0.1, collapse_ratio=0.25,
                 seed=0):
        super().__init__(every)
        self.window = checks.positive_int("window", window, minimum=4)
        self.num_samples = checks.positive_int("num_samples", num_samples, minimum=2)
        for name, value in (("d_loss_floor", d_loss_floor), ("output_margin", output_margin),
                            ("collapse_ratio", collapse_ratio), ("rising_correlation", rising_correlation)):
            if not 0.0 < value < 1.0:
                raise ValueError(f"`{name}` must be in (0, 1). Received: `{name}={value!r}`.")
        if modes is not None and (mode_std is None or mode_std <= 0):
            raise ValueError(f"`mode_std` must be a positive number when `modes` is given. Received: "
                             f"`mode_std={mode_std!r}`.")
        self.metrics = None if metrics_path is None else (
            metrics_path if isinstance(metrics_path, MetricsFile) else MetricsFile(metrics_path))
        self.real_diversity = None if real_samples is None else diagnosis.mean_pairwise_distance(
            np.asarray(real_samples)[:num_samples])
        self.modes = None if modes is None else np.asarray(modes, np.float64)
        self.mode_std = mode_std
        self.d_loss_floor = d_loss_floor
        self.rising_correlation = rising_correlation
        self.output_margin = output_margin
        self.collapse_ratio = collapse_ratio
        self.seed = seed
        self.warnings = []
        self.checked_steps = []

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self._history = collections.deque(maxlen=self.window)
        self._active = set()
        self._peak_diversity = 0.0
        self._peak_modes = 0
        loss = self.model.adversarial_loss
        self._chance = diagnosis.chance_loss(loss)
        self._bounded = loss.uses_targets or loss.name == "hinge"  # D loss >= 0, 0 when D is perfect
        self._targets = loss.uses_targets  # D's outputs are coded 1 for real, 0 for fake
        # A model with no noise (image-to-image translation) gets the checks of its logged numbers only.
        self._z = self.model.fixed_noise(self.num_samples, self.seed) if hasattr(self.model, "fixed_noise") else None

    def on_train_batch_end(self, batch, logs=None):
        step = model_step(self.model)
        values = {k: float(np.asarray(v)) for k, v in (logs or {}).items() if np.size(v) == 1}
        self._history.append(values)
        bad = sorted(k for k, v in values.items() if not np.isfinite(v))
        self._report(step, "non_finite", bool(bad), f"non-finite values in {', '.join(bad)}",
                     {k: str(values[k]) for k in bad})
        if self.due(step) and len(self._history) >= max(4, self.window // 2) and not bad:
            self.check(step)

    def _series(self, key):
        values = [h[key] for h in self._history if key in h]
        return np.asarray(values) if len(values) == len(self._history) else None

    def check(self, step):
        """Runs the window checks and the sample checks now."""
        self.checked_steps.append(step)
        d_loss, g_loss = self._series("d_loss"), self._series("g_loss")
        quarter = max(1, len(self._history) // 4)
        if d_loss is not None and g_loss is not None and self._bounded:
            rise = float(g_loss[-quarter:].mean() - g_loss[:quarter].mean())
            low = float(d_loss[-quarter:].mean())
            self._report(step, "discriminator_wins", low < self.d_loss_floor * self._chance and rise > 0,
                         f"D loss {low:.3g} is near 0 while G loss rose by {rise:.3g}",
                         {"d_loss": low, "g_loss_rise": rise})
        if d_loss is not None:
            correlation = scipy.stats.spearmanr(np.arange(len(d_loss)), d_loss)[0]
            recent = float(d_loss[-quarter:].mean())
            self._report(step, "discriminator_loss_rising",
                         bool(correlation > self.rising_correlation) and recent > self._chance,
                         f"D loss rose steadily (rank correlation {correlation:.2f}) to {recent:.3g}, above "
                         f"{self._chance:.3g}, its value when D cannot tell real from fake",
                         {"d_loss": recent, "correlation": float(correlation)})
        d_real, d_fake = self._series("d_real"), self._series("d_fake")
        if d_real is not None and d_fake is not None and self._targets:
            real, fake = float(d_real[-quarter:].mean()), float(d_fake[-quarter:].mean())
            evidence = {"d_real": real, "d_fake": fake}
            high, low = 1.0 - self.output_margin, self.output_margin
            self._report(step, "discriminator_says_all_real", real > high and fake > high,
                         f"D(x) = {real:.3f} and D(G(z)) = {fake:.3f} are both near 1", evidence)
            self._report(step, "discriminator_says_all_fake", real < low and fake < low,
                         f"D(x) = {real:.3f} and D(G(z)) = {fake:.3f} are both near 0", evidence)
        self._check_samples(step)

    def _check_samples(self, step):
        if self._z is None:
            return
        samples = self.model.sample(self._z, self.model.balanced_labels(len(self._z)))
        if not np.all(np.isfinite(samples)):
            return  # reported as non_finite when it reaches the losses
        diversity = diagnosis.mean_pairwise_distance(samples)
        self._peak_diversity = max(self._peak_diversity, diversity)
        reference = self._peak_diversity if self.real_diversity is None else min(self._peak_diversity,
                                                                                 self.real_diversity)
        point_mass = diversity < 1e-3 * (self.real_diversity or self._peak_diversity) or diversity == 0.0
        fell = diversity < self.collapse_ratio * reference
        evidence = {"diversity": diversity, "peak_diversity": self._peak_diversity}
        if self.real_diversity is not None:
            evidence["real_diversity"] = self.real_diversity
        message = f"sample diversity {diversity:.3g} (peak {self._peak_diversity:.3g}"
        message += ")" if self.real_diversity is None else f", real data {self.real_diversity:.3g})"
        dropped = False
        if self.modes is not None and samples.ndim == 2 and samples.shape[1] == self.modes.shape[1]:
            covered = metrics_lib.mode_coverage(samples, self.modes, self.mode_std)["modes"]
            self._peak_modes = max(self._peak_modes, covered)
            dropped = 2 * self._peak_modes >= len(self.modes) and covered <= self._peak_modes // 2
            evidence.update(modes=covered, peak_modes=self._peak_modes)
            message += f"; {covered} of {len(self.modes)} modes covered (peak {self._peak_modes})"
        self._report(step, "mode_collapse", point_mass or fell or dropped, message, evidence)

    def _report(self, step, name, condition, message, evidence):
        if not condition:
            self._active.discard(name)
            return
        if name in self._active:
            return
        self._active.add(name)
        record = {"step": step, "warning": name, "message": message, "remedy": diagnosis.REMEDIES[name], **evidence}
        self.warnings.append(record)
        logging.warning("step %d: %s: %s. Remedy: %s.", step, name, message, diagnosis.REMEDIES[name])
        if self.metrics is not None:
            self.metrics.append(record)
