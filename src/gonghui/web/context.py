"""The navigation each page shows: only what the user's posts allow."""

from gonghui.contests.notary.selectors import is_notary
from gonghui.contests.setup.selectors import is_judge
from gonghui.dashboards.selectors import may_view as may_view_dashboards
from gonghui.orgs import access

# (url name, label, permission needed — or who may: a function of the user —, view-name
# prefix that marks the item active)
MENU = [
    ("web:home", "首页", None, "web:home"),
    ("web:org_list", "组织机构", "orgs.view", "web:org"),
    ("web:person_list", "人员会籍", "people.view", "web:person"),
    ("registry:search", "劳模工匠档案", "registry.view", "registry:"),
    ("nominations:campaigns", "推荐评选", "nominations.view", "nominations:"),
    ("perks:giveaways", "会员服务", "perks.view", "perks:"),
    ("contests:programmes", "工匠竞赛", "contests.view", "contests:"),
    ("training:home", "素质建设", "training.view", "training:"),
    ("funds:home", "资金帮扶", "funds.view", "funds:"),
    ("dashboards:home", "数据看板", may_view_dashboards, "dashboards:"),
    ("web:audit_list", "审计日志", "audit.view", "web:audit"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    current = request.resolver_match.view_name if request.resolver_match else ""
    items = [
        {"url": name, "label": label, "active": current.startswith(prefix)}
        for name, label, perm, prefix in MENU
        if perm is None or (perm(user) if callable(perm) else access.can(user, perm))
    ]
    # Not permissions but who the user is: a member, a merchant's counter account.
    if getattr(user, "person", None) is not None:
        items.append(
            {
                "url": "web:member_home",
                "label": "我的服务",
                "active": current == "web:member_home" or current.startswith("perks:m"),
            }
        )
        items.append(
            {
                "url": "contests:my_entries",
                "label": "我的参赛",
                "active": current.startswith("contests:my_entr"),
            }
        )
        items.append(
            {
                "url": "training:my",
                "label": "我的学习",
                "active": current in ("training:my", "training:quiz_answer", "training:checkin"),
            }
        )
    if is_judge(user):
        items.append(
            {
                "url": "contests:judge_home",
                "label": "评分",
                "active": current.startswith("contests:judge_"),
            }
        )
    if is_notary(user):
        items.append(
            {
                "url": "contests:notary_home",
                "label": "公证",
                "active": current.startswith("contests:notary_"),
            }
        )
    if hasattr(user, "merchant_staff"):
        items.append(
            {
                "url": "perks:counter",
                "label": "商户核验",
                "active": current.startswith("perks:counter"),
            }
        )
    return {"nav": items, "grants": access.grants(user)}
