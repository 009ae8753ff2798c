"""The names of the data sets (`toy1d`, `ring`, ..., `tfds:NAME[:SPLIT]`, `folder:PATH`, `pairs:folder:PATH`)
and their grammar.

Pure Python, so a recipe's `dataset` is checked before TensorFlow is imported; `tfgan.data` loads them.
"""

DATASETS = ("toy1d", "ring", "grid", "digits", "stacked_digits", "digits_rot90", "tfds:NAME[:SPLIT]", "folder:PATH",
            "pairs:folder:PATH")
BUILT_IN = ("toy1d", "ring", "grid", "digits", "stacked_digits", "digits_rot90")
VECTORS = ("toy1d", "ring", "grid")
# Data sets of (a, b) image pairs, for the image-to-image translation models.
PAIRED = ("digits_rot90", "pairs")


def parse(name):
    """`(kind, argument, split)` of a data set name; `ValueError` naming it otherwise."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"Unknown dataset: `dataset={name!r}`. Expected one of {', '.join(DATASETS)}.")
    if name.startswith("tfds:"):
        parts = name.split(":")
        if len(parts) not in (2, 3) or not parts[1]:
            raise ValueError(f"Bad dataset name: `dataset={name!r}`. Expected tfds:NAME or tfds:NAME:SPLIT.")
        return "tfds", parts[1], parts[2] if len(parts) == 3 else "train"
    if name.startswith("folder:"):
        path = name[len("folder:"):]
        if not path:
            raise ValueError(f"Bad dataset name: `dataset={name!r}`. Expected folder:PATH.")
        return "folder", path, None
    if name.startswith("pairs:"):
        path = name[len("pairs:folder:"):]
        if not name.startswith("pairs:folder:") or not path:
            raise ValueError(f"Bad dataset name: `dataset={name!r}`. Expected pairs:folder:PATH (a folder of images "
                             f"holding A and B side by side).")
        return "pairs", path, None
    if name in BUILT_IN:
        return name, None, None
    raise ValueError(f"Unknown dataset: `dataset={name!r}`. Expected one of {', '.join(DATASETS)}.")


def is_paired(name):
    """Whether the data set holds (a, b) image pairs (`digits_rot90`, `pairs:folder:PATH`)."""
    return parse(name)[0] in PAIRED


def is_vector(name):
    """Whether the data set holds vectors (`toy1d`, `ring`, `grid`) rather than images."""
    return parse(name)[0] in VECTORS
