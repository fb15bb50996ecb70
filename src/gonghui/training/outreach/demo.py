"""Demo 宣讲团、工会主席接待日与联盟."""


def build(world, fake, rng) -> None:
    """Filled by the feature."""
