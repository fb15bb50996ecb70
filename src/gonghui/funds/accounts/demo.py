"""The accounts part of the funds demo (see funds/demo.py)."""


def build(world, fake, rng) -> None:
    """Filled in by the accounts feature."""
