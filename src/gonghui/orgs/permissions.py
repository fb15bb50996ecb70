"""The platform's permissions: each a code and its Chinese name. Roles are sets of these.

New modules add their codes here, so that the role pages and the access checks speak of
one catalogue.
"""

PERMISSIONS: dict[str, str] = {
    "orgs.view": "查看工会组织",
    "orgs.change": "新增、修改、移动工会组织",
    "orgs.import": "批量导入组织树",
    "accounts.manage": "管理账号：新建、停用账号，重置密码",
    "people.view": "查看人员与会籍",
    "people.change": "新增、修改人员与会籍",
    "people.view_pii": "查看完整身份证号、电话等个人信息（每次查看均记录）",
    "registry.view": "查看劳模工匠档案（人员、集体、荣誉）",
    "registry.change": "维护档案：人员与集体信息、合并重复档案",
    "registry.award": "在本级授予、修改、撤销荣誉（仅限本级管理的荣誉）",
    "registry.catalogue": "维护荣誉目录",
    "registry.export": "导出档案",
    "registry.unmerge": "撤销档案合并（全市范围）",
    "nominations.view": "查看评选活动与被推荐人",
    "nominations.nominate": "推荐上报、基层公示、撤回或替换本单位的被推荐人",
    "nominations.review": "初审本区（产业）的被推荐人、核查异议、报送推荐名单",
    "nominations.approve": "复审、市级（区级荣誉为区级）公示与拟表彰公示、批准表彰",
    "nominations.manage": "设立评选活动、分配名额、设定结构比例",
    "calendar.manage": "录入法定节假日与调休安排",
    "perks.view": "查看会员服务：服务卡、合作商户、普惠活动及其统计",
    "perks.cards": "办理会员服务卡：发卡、批量发卡、暂停、注销、挂失补卡",
    "perks.manage": "管理合作商户与优惠、设立与管理普惠活动（发布、摇号、释放逾期名额）",
    "contests.view": "查看工匠选树与技能竞赛（报名、赛程、成绩、人才库）",
    "contests.manage": "设立竞赛项目与工种竞赛、上传规程、管理报名与评委库、设定赛段与评分规则",
    "contests.nominate": "组织推荐本单位职工参赛",
    "contests.referee": "裁判长：抽签组成裁判组、锁定评分表、确认晋级、封榜与揭榜",
    "contests.arbitrate": "仲裁组：受理申诉、作出裁决、确认或取消重评",
    "funds.view": "查看资金与帮扶：项目、预算、申请、发放与报表",
    "funds.apply": "代职工提交资助申请（经办）",
    "funds.verify": "基层核实资助申请（第一级审核）",
    "funds.review": "区级审核资助申请（第二级审核）",
    "funds.approve": "市级审批资助申请（项目要求三级审核时）",
    "funds.manage": "设立资助项目、维护规则与预算、认定困难、按规则纳入发放计划",
    "funds.pay": "发放：编制批次、失败预判、导出银行文件、导入回盘、改道重发、对账",
    "training.view": "查看职工素质建设：课程讲座、现场答题、读书沙龙、创新工作室、宣讲与接待日",
    "training.apply": "基层申报与填报：申报读书沙龙并报告活动、预约宣讲、填报工作室年度成果、答复交办问题",
    "training.review": "审核：读书沙龙审批、创新工作室年度成果区级与市级审核",
    "training.manage": "设立课程讲座与场次、维护题库并组织现场答题、登记签到、管理工作室与宣讲团、接待日与联盟",
    "audit.view": "查看审计日志",
    "audit.export": "导出审计数据包",
    "files.view": "下载附件",
    "files.change": "上传附件",
    "self.view": "查看本人信息",
    "dashboards.view": "查看数据看板（本级及下级的汇总数据）",
    "dashboards.screens": "生成与吊销大屏展示令牌",
    # The three administrators (三权分立, docs/admin-roles.md): the system administrator's
    # accounts.manage above and the configuration below, the security administrator's posts,
    # roles, tokens and second factors, the audit administrator's audit.view / audit.export.
    "system.config": "查看系统配置（管理站点）",
    "security.posts": "分配、撤销岗位",
    "security.roles": "新增、修改角色及其权限",
    "security.tokens": "管理全部接口令牌（查看、吊销他人的令牌）",
    "security.reset_factor": "重置他人的第二认证因素",
}

# The three administrators' kinds (三权分立) by the permissions that make a role one of them:
# one account never holds posts of two kinds, and never a kind together with personal data
# (PII_PERMISSIONS): ``duties`` names a role's classes, ``orgs.services.check_separation``
# and the database's triggers (orgs migration 0007) refuse a second one on one account.
ADMIN_KINDS: dict[str, tuple[str, frozenset[str]]] = {
    "sys": ("系统管理员", frozenset({"accounts.manage", "system.config"})),
    "sec": (
        "安全管理员",
        frozenset({"security.posts", "security.roles", "security.tokens", "security.reset_factor"}),
    ),
    "audit": ("审计管理员", frozenset({"audit.view", "audit.export"})),
}
# What reads personal data unmasked (a reveal, a look-up by full ID number): a class of its
# own, kept apart from every administrator kind. A new reveal permission is added here.
PII_PERMISSIONS = frozenset({"people.view_pii"})
PII = "pii"
DUTY_LABELS = {
    **{kind: label for kind, (label, _) in ADMIN_KINDS.items()},
    PII: "可查看完整个人信息的业务岗位",
}


def duties(permissions) -> set[str]:
    """The separated classes a set of permissions falls in: administrator kinds (sys, sec,
    audit) and ``pii``. An account's posts together may fall in one class at most."""
    held = set(permissions)
    found = {kind for kind, (_, perms) in ADMIN_KINDS.items() if held & perms}
    if held & PII_PERMISSIONS:
        found.add(PII)
    return found


# Built-in roles (code, Chinese name, permissions). Staff can add more roles as data.
_FILES = ["files.view", "files.change"]
_CONTESTS = [
    "contests.view",
    "contests.manage",
    "contests.nominate",
    "contests.referee",
    "contests.arbitrate",
]
_FUNDS_STAFF = ["funds.view", "funds.apply", "funds.verify", "funds.review", "funds.manage"]
_TRAINING_STAFF = ["training.view", "training.apply", "training.review", "training.manage"]
_REGISTRY_STAFF = ["registry.view", "registry.change", "registry.award", "registry.export"]
_ADMIN_ONLY = {p for _, perms in ADMIN_KINDS.values() for p in perms}
BUILTIN_ROLES: list[tuple[str, str, list[str]]] = [
    # The union's business administrator: everything but the three administrators' powers.
    ("city_admin", "市总工会管理员", [p for p in PERMISSIONS if p not in _ADMIN_ONLY]),
    # The three administrators (三权分立): posts at the root unit, no personal data.
    ("sys_admin", "系统管理员", ["orgs.view", "accounts.manage", "system.config"]),
    ("sec_admin", "安全管理员", ["orgs.view", *sorted(ADMIN_KINDS["sec"][1])]),
    ("audit_admin", "审计管理员", ["orgs.view", "audit.view", "audit.export"]),
    (
        "dept_staff",
        "市总部门工作人员",
        [
            "orgs.view",
            "people.view",
            "people.change",
            "people.view_pii",
            *_FILES,
            *_REGISTRY_STAFF,
            "registry.catalogue",
            "nominations.view",
            "nominations.approve",
            "nominations.manage",
            "nominations.review",
            "perks.view",
            "perks.manage",
            *_CONTESTS,
            *_FUNDS_STAFF,
            "funds.approve",
            "funds.pay",
            *_TRAINING_STAFF,
            "dashboards.view",
            "dashboards.screens",
        ],
    ),
    (
        "district_staff",
        "区（产业）工会工作人员",
        [
            "orgs.view",
            "orgs.change",
            "orgs.import",
            "people.view",
            "people.change",
            "people.view_pii",
            *_FILES,
            *_REGISTRY_STAFF,
            "registry.catalogue",
            "nominations.view",
            "nominations.review",
            # The second notice, second review and approval of the district's own titles'
            # campaigns (organised at the district: a city campaign's are the city's).
            "nominations.approve",
            "nominations.manage",
            "perks.view",
            "perks.cards",
            "perks.manage",
            *_CONTESTS,
            *_FUNDS_STAFF,
            "funds.pay",
            *_TRAINING_STAFF,
            "dashboards.view",
        ],
    ),
    (
        "street_staff",
        "街乡镇工会工作人员",
        [
            "orgs.view",
            "orgs.change",
            "people.view",
            "people.change",
            *_FILES,
            "registry.view",
            "registry.change",
            "perks.view",
            "perks.cards",
            "funds.view",
            "funds.apply",
            "funds.verify",
            "training.view",
            "training.apply",
            "dashboards.view",
        ],
    ),
    (
        "grassroots_staff",
        "基层工会工作人员",
        [
            "orgs.view",
            "people.view",
            "people.change",
            *_FILES,
            "registry.view",
            "nominations.view",
            "nominations.nominate",
            "perks.view",
            "perks.cards",
            "contests.view",
            "contests.nominate",
            "funds.view",
            "funds.apply",
            "funds.verify",
            "training.view",
            "training.apply",
            "dashboards.view",
        ],
    ),
    (
        "auditor",
        "审计员（只读）",
        [
            "orgs.view",
            "people.view",
            "audit.view",
            "audit.export",
            "files.view",
            "registry.view",
            # A competition's notarised record (its audit stream's bundle) is exported from
            # its page: the auditors', since city_admin no longer holds audit.export.
            "contests.view",
            "funds.view",
            "training.view",
            "dashboards.view",
        ],
    ),
    ("judge", "评委", ["self.view"]),
    ("member", "职工会员", ["self.view"]),
]


def builtin_roles_separate(apps) -> None:
    """For the data migration of the three administrators: create their roles and set the
    built-in roles' permissions to the lists above exactly (``sync_builtin_roles`` only
    adds: it would leave city_admin holding the administrators' powers)."""
    Role = apps.get_model("orgs", "Role")
    for code, name, perms in BUILTIN_ROLES:
        role, created = Role.objects.get_or_create(
            code=code, defaults={"name": name, "permissions": perms}
        )
        if not created and code == "city_admin":
            role.permissions = sorted(set(role.permissions) - _ADMIN_ONLY)
            role.save(update_fields=["permissions"])


def sync_builtin_roles(apps) -> None:
    """For data migrations: give the built-in roles the permissions listed above that they
    lack (roles seeded before a module's permissions existed). Staff-made roles are left."""
    Role = apps.get_model("orgs", "Role")
    for code, _name, perms in BUILTIN_ROLES:
        role = Role.objects.filter(code=code).first()
        wanted = sorted(set(role.permissions) | set(perms)) if role is not None else None
        if role is not None and wanted != role.permissions:
            role.permissions = wanted
            role.save(update_fields=["permissions"])
