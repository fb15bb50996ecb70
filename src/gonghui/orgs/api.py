from ninja import Query, Router, Schema, Status

from gonghui.common.errors import NotFound, ValidationFailed
from gonghui.common.pagination import PAGE_SIZE, page_dict
from gonghui.common.schemas import one_of
from gonghui.orgs import access, selectors, services
from gonghui.orgs.models import OrgUnit
from gonghui.orgs.schemas import MeOut, MoveIn, OrgPage, OrgUnitIn, OrgUnitOut, OrgUnitPatch

router = Router(tags=["组织"])


class OrgFilters(Schema):
    root: int | None = None
    q: str = ""
    level: one_of(OrgUnit.Level.values) = ""
    sort: one_of(selectors.ORG_UNIT_SORTS) = "path"
    page: int = 1
    size: int = PAGE_SIZE  # 20, 50, 100 or 200 (another number: 50)


@router.get("/me", response=MeOut, summary="当前用户及其岗位")
def me(request):
    return {
        "username": request.user.username,
        "posts": [
            {
                "post_id": g.post_id,
                "org_unit_id": g.unit_id,
                "scope": g.scope,
                "permissions": sorted(g.permissions),
            }
            for g in access.grants(request.user)
        ],
    }


@router.get("/", response=OrgPage, summary="组织列表（本人数据范围内）")
def org_list(request, filters: Query[OrgFilters]):
    root = selectors.org_unit_get(actor=request.user, pk=filters.root) if filters.root else None
    qs = selectors.org_unit_list(
        actor=request.user, root=root, query=filters.q, level=filters.level, sort=filters.sort
    )
    return page_dict(qs, filters.page, size=filters.size)


@router.get("/{int:pk}", response=OrgUnitOut, summary="组织详情")
def org_get(request, pk: int):
    return selectors.org_unit_get(actor=request.user, pk=pk)


@router.post("/", response={201: OrgUnitOut}, summary="新增组织")
def org_create(request, payload: OrgUnitIn):
    parent = selectors.org_unit_get(actor=request.user, pk=payload.parent_id)
    unit = services.orgunit_create(
        actor=request.user, parent=parent, code=payload.code, name=payload.name, level=payload.level
    )
    return Status(201, unit)


@router.patch("/{int:pk}", response=OrgUnitOut, summary="修改组织")
def org_update(request, pk: int, payload: OrgUnitPatch):
    unit = selectors.org_unit_get(actor=request.user, pk=pk)
    return services.orgunit_update(
        actor=request.user, unit=unit, name=payload.name, is_active=payload.is_active
    )


@router.post("/{int:pk}/move", response=OrgUnitOut, summary="移动组织（连同下级）")
def org_move(request, pk: int, payload: MoveIn):
    unit = selectors.org_unit_get(actor=request.user, pk=pk)
    try:
        target = selectors.org_unit_get(actor=request.user, pk=payload.parent_id)
    except NotFound:
        raise ValidationFailed({"parent_id": "目标组织不存在或不在您的管理范围内"}) from None
    return services.orgunit_move(actor=request.user, unit=unit, new_parent=target)
