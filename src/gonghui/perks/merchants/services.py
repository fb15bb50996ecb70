"""Partner merchants (合作商户): sign one at a union (for the service card or the partner
plan), change it, add its shops (门店), offers (优惠) and counter accounts (核验账号).

Every write is a service (``<thing>_<verb>(*, actor, ...)``, one transaction, its audit
event inside it). A merchant's scope is the union node that signed it."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from gonghui.audit.actions import Action
from gonghui.audit.services import diff, record
from gonghui.common.errors import NotFound, ValidationFailed
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.perks.models import Location, Merchant, MerchantStaff, Offer

MERCHANT_FIELDS = (
    "name",
    "category",
    "plan",
    "discount",
    "description",
    "phone",
    "valid_from",
    "valid_until",
    "is_active",
)
LIMITS = {"name": 120, "discount": 200, "phone": 40, "description": 5000}


def _clean_merchant(data: dict) -> dict:
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    errors = {}
    if not data.get("name"):
        errors["name"] = "请填写商户名称"
    if not data.get("discount"):
        errors["discount"] = "请填写优惠内容"
    for key, limit in LIMITS.items():
        if len(data.get(key) or "") > limit:
            errors[key] = f"最长 {limit} 字"
    if data.get("category") not in Merchant.Category.values:
        errors["category"] = "请选择类别"
    if data.get("plan") not in Merchant.Plan.values:
        errors["plan"] = "请选择合作类型"
    errors |= _dates_errors(data.get("valid_from"), data.get("valid_until"), "合作")
    if errors:
        raise ValidationFailed(errors)
    return data


def _dates_errors(start, end, what: str) -> dict:
    errors = {}
    if not isinstance(start, date):
        errors["valid_from"] = f"请填写{what}开始日期"
    if not isinstance(end, date):
        errors["valid_until"] = f"请填写{what}截止日期"
    if not errors and end < start:
        errors["valid_until"] = f"{what}截止日期不能早于开始日期"
    return errors


def _manage(actor, merchant: Merchant):
    return access.require_at(actor, "perks.manage", merchant.org_unit, view_perm="perks.view")


def _snapshot(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


@transaction.atomic
def merchant_create(
    *,
    actor,
    org_unit: OrgUnit,
    name: str,
    category: str,
    discount: str,
    valid_from: date,
    valid_until: date,
    plan: str = Merchant.Plan.CARD,
    description: str = "",
    phone: str = "",
    is_active: bool = True,
) -> Merchant:
    """Sign a merchant at ``org_unit``: a service-card merchant or one of the partner plan."""
    grant = access.require_at(actor, "perks.manage", org_unit, view_perm="perks.view")
    data = _clean_merchant(
        {
            "name": name,
            "category": category,
            "plan": plan,
            "discount": discount,
            "description": description,
            "phone": phone,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "is_active": bool(is_active),
        }
    )
    merchant = Merchant.objects.create(org_unit=org_unit, **data)
    record(
        actor=actor,
        action=Action.PERKS_MERCHANT_CREATE,
        obj=merchant,
        post_id=grant.post_id,
        changes=diff({}, {**data, "org_unit": org_unit.pk}),
    )
    return merchant


@transaction.atomic
def merchant_change(*, actor, merchant: Merchant, **changes) -> Merchant:
    """Change a merchant's details, validity or active flag (``MERCHANT_FIELDS``)."""
    unknown = set(changes) - set(MERCHANT_FIELDS)
    if unknown:
        raise ValidationFailed({k: "不能修改此项" for k in sorted(unknown)})
    grant = _manage(actor, merchant)
    before = _snapshot(merchant, MERCHANT_FIELDS)
    after = _clean_merchant({**before, **changes})
    after["is_active"] = bool(after["is_active"])
    changed = diff(before, after)
    if changed:
        for key, value in after.items():
            setattr(merchant, key, value)
        merchant.save(update_fields=[*MERCHANT_FIELDS])
        record(
            actor=actor,
            action=Action.PERKS_MERCHANT_CHANGE,
            obj=merchant,
            post_id=grant.post_id,
            changes=changed,
        )
    return merchant


@transaction.atomic
def location_add(
    *, actor, merchant: Merchant, name: str, address: str, district: OrgUnit
) -> Location:
    """Add a shop or venue (门店 / 领取点) to a merchant, in a district."""
    grant = _manage(actor, merchant)
    name, address = (name or "").strip(), (address or "").strip()
    errors = {}
    if not name:
        errors["name"] = "请填写门店名称"
    elif len(name) > 120:
        errors["name"] = "最长 120 字"
    if not address:
        errors["address"] = "请填写地址"
    elif len(address) > 200:
        errors["address"] = "最长 200 字"
    if district is None or district.level != OrgUnit.Level.DISTRICT:
        errors["district"] = "请选择门店所在的区"
    if errors:
        raise ValidationFailed(errors)
    location = Location.objects.create(
        merchant=merchant, name=name, address=address, district=district
    )
    record(
        actor=actor,
        action=Action.PERKS_LOCATION_ADD,
        obj=location,
        org_unit_id=merchant.org_unit_id,
        post_id=grant.post_id,
        changes={
            "merchant": [None, merchant.pk],
            "name": [None, name],
            "address": [None, address],
            "district": [None, district.pk],
        },
    )
    return location


OFFER_FIELDS = ("title", "discount", "terms", "valid_from", "valid_until")


@transaction.atomic
def offer_save(
    *,
    actor,
    merchant: Merchant,
    title: str,
    discount: str,
    valid_from: date,
    valid_until: date,
    terms: str = "",
    offer: Offer | None = None,
) -> Offer:
    """Create an offer of ``merchant`` or, with ``offer``, change it."""
    grant = _manage(actor, merchant)
    if offer is not None and offer.merchant_id != merchant.pk:
        raise NotFound()
    data = {
        "title": (title or "").strip(),
        "discount": (discount or "").strip(),
        "terms": (terms or "").strip(),
        "valid_from": valid_from,
        "valid_until": valid_until,
    }
    errors = {}
    for key, label, limit in (("title", "优惠名称", 120), ("discount", "优惠力度", 60)):
        if not data[key]:
            errors[key] = f"请填写{label}"
        elif len(data[key]) > limit:
            errors[key] = f"最长 {limit} 字"
    if len(data["terms"]) > 5000:
        errors["terms"] = "最长 5000 字"
    errors |= _dates_errors(valid_from, valid_until, "优惠")
    if errors:
        raise ValidationFailed(errors)
    before = _snapshot(offer, OFFER_FIELDS) if offer is not None else {}
    if offer is None:
        offer = Offer.objects.create(merchant=merchant, **data)
    else:
        for key, value in data.items():
            setattr(offer, key, value)
        offer.save(update_fields=list(OFFER_FIELDS))
    changed = diff(before, data)
    if changed:
        record(
            actor=actor,
            action=Action.PERKS_OFFER_SAVE,
            obj=offer,
            org_unit_id=merchant.org_unit_id,
            post_id=grant.post_id,
            changes={**changed, "merchant": [None, merchant.pk]},
        )
    return offer


@transaction.atomic
def merchant_staff_add(
    *, actor, merchant: Merchant, username: str, password: str, location: Location | None = None
) -> MerchantStaff:
    """Create a counter account for a merchant (or one of its shops): a login with no union
    post, which can check cards and accept pickup codes and nothing else."""
    grant = _manage(actor, merchant)
    User = get_user_model()
    username = unicodedata.normalize("NFKC", username or "").strip()
    errors = {}
    if not re.fullmatch(r"[\w.@+-]{3,150}", username):
        errors["username"] = "用户名为 3–150 位字母、数字或 . @ + - _"
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = f"用户名 {username} 已被使用"
    if location is not None and location.merchant_id != merchant.pk:
        errors["location"] = "门店不属于该商户"
    user = User(username=username)
    if not errors:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            errors["password"] = "；".join(exc.messages)
    if errors:
        raise ValidationFailed(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationFailed({"username": f"用户名 {username} 已被使用"}) from None
    staff = MerchantStaff.objects.create(user=user, merchant=merchant, location=location)
    record(
        actor=actor,
        action=Action.PERKS_MERCHANT_STAFF_ADD,
        obj=staff,
        org_unit_id=merchant.org_unit_id,
        post_id=grant.post_id,
        changes={
            "username": [None, username],
            "merchant": [None, merchant.pk],
            "location": [None, location.pk if location else None],
        },
    )
    return staff
