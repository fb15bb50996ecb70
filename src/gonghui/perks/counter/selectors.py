"""Reads of a merchant's counter (商户核验): the counter account a login is, and what the
counter may show of an accepted pickup (the member's name masked)."""

from __future__ import annotations

from dataclasses import dataclass

from gonghui.common import pii
from gonghui.common.errors import NotFound
from gonghui.perks.models import Claim, MerchantStaff


def counter_account(user) -> MerchantStaff | None:
    """The merchant's counter account a login is, if it is one (active users only)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return MerchantStaff.objects.select_related("merchant", "location").filter(user=user).first()


def counter_get(user) -> MerchantStaff:
    """The counter's pages: a login that is no counter account finds no such page."""
    staff = counter_account(user)
    if staff is None:
        raise NotFound()
    return staff


@dataclass(frozen=True)
class PickupShown:
    """An accepted pickup as the counter sees it: the item, how many, the giveaway, and
    the member's name masked (赵*)."""

    item: str
    quantity: int
    title: str
    name: str


def pickup_shown(claim: Claim) -> PickupShown:
    return PickupShown(
        item=claim.giveaway.item,
        quantity=claim.quantity,
        title=claim.giveaway.title,
        name=pii.mask_name(claim.person.name),
    )
