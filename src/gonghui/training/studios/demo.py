"""Demo 创新工作室（成员、年度成果、联盟视图）."""


def build(world, fake, rng) -> None:
    """Filled by the feature."""
