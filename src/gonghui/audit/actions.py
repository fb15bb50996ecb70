"""Chinese names of audit actions, for the auditors' pages. Modules add theirs here."""

ACTION_LABELS = {
    "auth.login": "登录",
    "auth.logout": "退出",
    "auth.login_failed": "登录失败",
    "accounts.user_create": "新建账号",
    "accounts.post_assign": "分配岗位",
    "accounts.password_change": "修改密码",
    "accounts.token_create": "创建接口令牌",
    "accounts.token_revoke": "吊销接口令牌",
    "orgs.create": "新增组织",
    "orgs.update": "修改组织",
    "orgs.move": "移动组织",
    "orgs.import": "导入组织树",
    "people.create": "登记人员",
    "people.update": "修改人员",
    "people.membership_join": "入会",
    "people.membership_leave": "离会",
    "pii.reveal": "查看完整个人信息",
    "files.add": "上传附件",
    "registry.unit_create": "新增单位/集体",
    "registry.honour_create": "新增荣誉",
    "registry.award_create": "授予荣誉",
    "registry.award_update": "修改授予记录",
    "registry.award_revoke": "撤销授予",
    "registry.media_set": "设置照片与微视频",
    "registry.merge": "合并重复档案",
    "registry.merge_reverse": "撤销档案合并",
    "registry.import": "导入档案",
    "registry.export": "导出档案",
    "audit.export": "导出审计数据包",
    "demo.build": "生成演示数据",
    "demo.people": "生成演示人员",
}


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)
