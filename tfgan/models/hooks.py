"""`TrainingHook`: how a trick changes the training step from inside the graph."""


class TrainingHook:
    """Changes what the discriminator sees, and when the generator trains, inside the training step.

    A hook is installed with `GAN.add_hook` (trick callbacks do it in `on_train_begin` and remove
    themselves in `on_train_end`). The step calls the methods below while it is traced, with `step`
    the model's step counter (an int64 scalar tensor: the number of steps done before this one), so a
    hook adds graph ops and never per-step Python: its schedules are functions of `step`, and
    `steps_per_execution=k` trains exactly as `k=1` does.
    """

    def discriminator_inputs(self, real, fake, step):
        """Transforms the real and fake batches D sees in its own update."""
        return real, fake

    def generator_inputs(self, fake, step):
        """Transforms the fakes D scores in the generator's update (gradients flow through)."""
        return fake

    def generator_losses(self, losses, fake_logits, step):
        """Transforms G's per-example adversarial losses, given D's logits on the fakes they score."""
        return losses

    def targets(self, real_targets, fake_targets, step):
        """Transforms the per-example targets of losses that use them (cross-entropy, least squares)."""
        return real_targets, fake_targets

    def discriminator_outputs(self, real_logits, fake_logits, step):
        """Sees D's real/fake logits on the batches it was just trained on (after the hooks'
        `discriminator_inputs`), once per D update; for tricks driven by what D says, such as ADA's
        overfitting heuristic E[sign(D(x_real))]. Returns nothing: it may only update its own state."""

    def step_logs(self, step):
        """Scalars to log with the step's other numbers (e.g. ADA's probability), as a dict of
        float32 tensors equal on every replica; read after `end_step`."""
        return {}

    def begin_step(self, step):
        """Runs before the step's first D update."""

    def generator_update(self, step, d_updates):
        """Whether the generator's update of this step is applied (a bool tensor), or `None` for
        "as usual"; `d_updates` is the number of D updates the step made."""
        return None

    def end_step(self, step):
        """Runs after the step's last G update."""
