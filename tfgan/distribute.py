"""Choosing a `tf.distribute` strategy from a name, and the helpers a GAN needs under one.

Build the model, compile it (both optimizers are built there) and call `fit` inside
`strategy.scope()`; Keras distributes a `tf.data` dataset of GLOBAL batches over the replicas.

```python
strategy = tfgan.distribute.get_strategy("mirrored")
with strategy.scope():
    gan = tfgan.GAN(generator, discriminator, latent_dim=64)
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-4), g_optimizer=keras.optimizers.Adam(2e-4))
gan.fit(dataset, steps_per_epoch=100)
```
"""

import json
import os

import keras
import tensorflow as tf

from tfgan import checks

STRATEGIES = ("default", "one_device", "mirrored", "multi_worker_mirrored", "tpu")


def get_strategy(name="default", devices=None):
    """Returns the `tf.distribute.Strategy` called `name`.

    - `default`: no distribution (TensorFlow's default strategy: one device, placed by TF).
    - `one_device`: everything on `devices[0]` (the first GPU if there is one, else the CPU).
    - `mirrored`: synchronous data parallelism over the local GPUs (or `devices`).
    - `multi_worker_mirrored`: synchronous data parallelism over several machines; each worker
      runs the same program with its own `TF_CONFIG` (see docs/scaling.md).
    - `tpu`: a Cloud TPU found by `tf.distribute.cluster_resolver.TPUClusterResolver`.

    Args:
        name: one of `STRATEGIES`. Defaults to `"default"`.
        devices: device names for `one_device` / `mirrored`. Defaults to all local GPUs, else the CPU.

    Raises:
        ValueError: an unknown name, `multi_worker_mirrored` without a valid `TF_CONFIG`, or `tpu`
            where no TPU is reachable.
    """
    checks.choice("strategy", name, STRATEGIES)
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy((devices or _local_devices())[0])
    if name == "mirrored":
        return tf.distribute.MirroredStrategy(devices or _local_devices())
    if name == "multi_worker_mirrored":
        _check_tf_config()
        return tf.distribute.MultiWorkerMirroredStrategy()
    return _tpu_strategy()


def _local_devices():
    gpus = tf.config.list_logical_devices("GPU")
    return [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")][:1]


def _check_tf_config():
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise ValueError("`strategy='multi_worker_mirrored'` needs the TF_CONFIG environment variable "
                         "(cluster and task); see docs/scaling.md.")
    try:
        config = json.loads(raw)
        cluster, task_type, index = config["cluster"], config["task"]["type"], int(config["task"]["index"])
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"TF_CONFIG must be JSON with `cluster` and `task` (`type`, `index`). "
                         f"Received: `TF_CONFIG={raw}`.") from None
    if not 0 <= index < len(cluster.get(task_type, [])):
        raise ValueError(f"TF_CONFIG's task {task_type}:{index} is not in its cluster. Received: `TF_CONFIG={raw}`.")


def _tpu_strategy():
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, tf.errors.OpError) as error:
        raise ValueError(f"`strategy='tpu'` found no TPU on this machine ({error}).") from None
    return tf.distribute.TPUStrategy(resolver)


def is_chief(strategy=None):
    """Whether this process writes the shared outputs (checkpoints, logs, samples, the export):
    always, except on the non-chief workers of a multi-worker strategy."""
    strategy = strategy or tf.distribute.get_strategy()
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type == "chief":
        return True
    return task_type == "worker" and task_id == 0 and "chief" not in resolver.cluster_spec().as_dict()


def sync_batchnorm(model):
    """A copy of the functional `model` whose `BatchNormalization` layers compute their batch statistics
    over the global batch (all replicas) instead of each replica's share; weights are copied.

    Without it, each replica normalizes with the mean and variance of its own examples, so N replicas
    do not compute what one replica does on the same global batch.
    """

    def clone(layer):
        config = layer.get_config()
        if isinstance(layer, keras.layers.BatchNormalization):
            config["synchronized"] = True
        return layer.__class__.from_config(config)

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def replica_rows(draw, batch_size):
    """This replica's `batch_size` rows of `draw(global_batch)`, a random draw every replica makes
    from the same seed (a `keras.random.SeedGenerator` the model owns).

    Every replica gets different rows, so no two replicas duplicate work, and N replicas together
    use exactly the rows one replica draws for the same global batch: a 1-replica run is unchanged
    and an N-replica step equals it. Use it for any per-example randomness inside `train_step`
    (noise, a penalty's mixing weights).
    """
    context = tf.distribute.get_replica_context()
    replicas = 1 if context is None else context.num_replicas_in_sync
    if replicas == 1:
        return draw(batch_size)
    rows = draw(batch_size * replicas)
    start = tf.cast(context.replica_id_in_sync_group, tf.int32) * batch_size
    return rows[start:start + batch_size]
