"""Demo 读书沙龙."""


def build(world, fake, rng) -> None:
    """Filled by the feature."""
