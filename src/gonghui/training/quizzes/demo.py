"""Demo 题库与现场答题."""


def build(world, fake, rng) -> None:
    """Filled by the feature."""
