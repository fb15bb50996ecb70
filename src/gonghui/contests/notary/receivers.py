"""The notary's receiver of ``signals.milestone_reached`` (connected by
``ContestsConfig.ready``)."""

import logging

log = logging.getLogger("gonghui.contests.notary")


def on_milestone(sender, competition_id: int, name: str, **kwargs) -> None:
    """Sign the milestone's checkpoint. Sent after the reaching write committed: a failure
    here is logged, never turned into an error of that (already done) write."""
    from gonghui.contests.notary.services import milestone_sign

    try:
        milestone_sign(competition_id=competition_id, name=name)
    except Exception:
        log.exception("contests: milestone %s of competition %s failed", name, competition_id)
