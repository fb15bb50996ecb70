"""Demo 课程讲座（报名、候补、签到、听课证明）."""


def build(world, fake, rng) -> None:
    """Filled by the feature."""
