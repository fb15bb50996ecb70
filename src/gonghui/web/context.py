"""The navigation each page shows: only what the user's posts allow."""

from gonghui.orgs import access

MENU = [
    ("web:home", "首页", None),
    ("web:org_list", "组织机构", "orgs.view"),
    ("web:person_list", "人员会籍", "people.view"),
    ("web:audit_list", "审计日志", "audit.view"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    current = request.resolver_match.view_name if request.resolver_match else ""
    items = [
        {"url": name, "label": label, "active": current.startswith(name.rsplit("_", 1)[0])}
        for name, label, perm in MENU
        if perm is None or access.can(user, perm)
    ]
    return {"nav": items, "grants": access.grants(user)}
