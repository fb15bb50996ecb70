"""The audit actions (one typed registry, with their Chinese names for the auditors' pages)
and every write service with the events one call appends."""

from django.apps import apps
from django.db import models


class Action(models.TextChoices):
    """Every audit action: its code (stored in the event) and its Chinese name (the
    auditors' pages). Every write names its action from here, never as a bare string, so a
    new write adds its action here; tests/audit/test_web.py holds the code to that."""

    AUTH_LOGIN = "auth.login", "登录"
    AUTH_LOGOUT = "auth.logout", "退出"
    AUTH_LOGIN_FAILED = "auth.login_failed", "登录失败"
    AUTH_ACCOUNT_LOCKED = "auth.account_locked", "登录失败过多，账号被锁定（未登录过的设备）"
    ACCOUNTS_USER_CREATE = "accounts.user_create", "新建账号"
    ACCOUNTS_POST_ASSIGN = "accounts.post_assign", "分配岗位"
    ACCOUNTS_PASSWORD_CHANGE = "accounts.password_change", "修改密码"
    ACCOUNTS_TOKEN_CREATE = "accounts.token_create", "创建接口令牌"
    ACCOUNTS_TOKEN_REVOKE = "accounts.token_revoke", "吊销接口令牌"
    ACCOUNTS_TOKENS_END = "accounts.tokens_end", "账号停用：吊销其全部接口令牌"
    ACCOUNTS_UNLOCK = "accounts.unlock", "解除登录锁定"
    # --- sepduty (#21: the three administrators) ---
    ACCOUNTS_ROLE_UPDATE = "accounts.role_update", "修改角色及其权限"
    #
    ORGS_CREATE = "orgs.create", "新增组织"
    ORGS_UPDATE = "orgs.update", "修改组织"
    ORGS_MOVE = "orgs.move", "移动组织"
    ORGS_IMPORT = "orgs.import", "导入组织树"
    PEOPLE_CREATE = "people.create", "登记人员"
    PEOPLE_UPDATE = "people.update", "修改人员"
    PEOPLE_MOVE_OUT = "people.move_out", "人员转出"
    PEOPLE_MEMBERSHIP_JOIN = "people.membership_join", "入会"
    PEOPLE_MEMBERSHIP_LEAVE = "people.membership_leave", "离会"
    PEOPLE_LOOKUP = "people.lookup", "按身份证号查找人员"
    PEOPLE_ID_COLLISION = "people.id_collision", "登记时身份证号已有档案"
    PEOPLE_ID_CHECK = "people.id_check", "按身份证号批量核对档案"
    PEOPLE_ID_PROBES_THROTTLED = "people.id_probes_throttled", "按身份证号查找或核对超过限额"
    PEOPLE_TRANSFER_REQUEST = "people.transfer_request", "申请转入"
    PEOPLE_TRANSFER_APPROVE = "people.transfer_approve", "同意转入"
    PEOPLE_TRANSFER_REFUSE = "people.transfer_refuse", "不同意转入"
    PII_REVEAL = "pii.reveal", "查看完整个人信息"
    FILES_ADD = "files.add", "上传附件"
    FILES_DOWNLOAD = "files.download", "下载附件"
    JOBS_DOWNLOAD = "jobs.download", "下载导出文件"
    REGISTRY_UNIT_CREATE = "registry.unit_create", "新增单位/集体"
    REGISTRY_UNIT_MOVE = "registry.unit_move", "移入单位/集体（连同集体荣誉）"
    REGISTRY_UNIT_MOVE_OUT = "registry.unit_move_out", "移出单位/集体（连同集体荣誉）"
    REGISTRY_HONOUR_CREATE = "registry.honour_create", "新增荣誉"
    REGISTRY_AWARD_CREATE = "registry.award_create", "授予荣誉"
    REGISTRY_AWARD_UPDATE = "registry.award_update", "修改授予记录"
    REGISTRY_AWARD_REVOKE = "registry.award_revoke", "撤销授予"
    REGISTRY_MEDIA_SET = "registry.media_set", "设置照片与微视频"
    REGISTRY_MERGE = "registry.merge", "合并重复档案"
    REGISTRY_MERGE_REVERSE = "registry.merge_reverse", "撤销档案合并"
    REGISTRY_MERGE_OUT = "registry.merge_out", "档案并出（合并到其他工会的档案）"
    REGISTRY_MERGE_OUT_REVERSE = "registry.merge_out_reverse", "撤销档案并出（档案恢复）"
    REGISTRY_IMPORT = "registry.import", "导入档案"
    REGISTRY_EXPORT = "registry.export", "导出档案"
    NOMINATIONS_CAMPAIGN_CREATE = "nominations.campaign_create", "设立评选活动"
    NOMINATIONS_CAMPAIGN_OPEN = "nominations.campaign_open", "开始推荐"
    NOMINATIONS_QUOTA_SET = "nominations.quota_set", "分配名额"
    NOMINATIONS_RULE_ADD = "nominations.rule_add", "设定结构比例"
    NOMINATIONS_CREATE = "nominations.create", "登记被推荐人"
    NOMINATIONS_NOMINATE = "nominations.nominate", "推荐上报"
    NOMINATIONS_WITHDRAW = "nominations.withdraw", "撤回推荐"
    NOMINATIONS_NOTICE_PUBLISH = "nominations.notice_publish", "发布公示"
    NOMINATIONS_FIRST_NOTICE = "nominations.first_notice", "列入基层公示"
    NOMINATIONS_FIRST_PASS = "nominations.first_pass", "初审通过"
    NOMINATIONS_FIRST_REJECT = "nominations.first_reject", "初审不通过"
    NOMINATIONS_CLEARANCE = "nominations.clearance", "记录部门意见"
    NOMINATIONS_LIST_SUBMIT = "nominations.list_submit", "报送推荐名单"
    NOMINATIONS_SECOND_NOTICE = (
        "nominations.second_notice",
        "列入第二轮公示",
    )  # 市级 or 区级: the honour's level
    NOMINATIONS_SECOND_PASS = "nominations.second_pass", "复审通过"
    NOMINATIONS_SECOND_REJECT = "nominations.second_reject", "复审不通过"
    NOMINATIONS_FINAL_NOTICE = "nominations.final_notice", "列入拟表彰名单公示"
    NOMINATIONS_APPROVE = "nominations.approve", "批准表彰"
    NOMINATIONS_FINAL_REJECT = "nominations.final_reject", "不予表彰"
    NOMINATIONS_REMOVE = "nominations.remove", "因异议查实取消推荐"
    NOMINATIONS_OBJECTION_FILE = "nominations.objection_file", "提出异议"
    NOMINATIONS_OBJECTION_TRIAGE = "nominations.objection_triage", "受理异议"
    NOMINATIONS_OBJECTION_RESOLVE = "nominations.objection_resolve", "办结异议"
    CALENDAR_YEAR_SET = "calendar.year_set", "录入节假日安排"
    PERKS_CARD_ISSUE = "perks.card_issue", "办理服务卡"
    PERKS_CARD_SUSPEND = "perks.card_suspend", "暂停服务卡"
    PERKS_CARD_RESUME = "perks.card_resume", "恢复服务卡"
    PERKS_CARD_CANCEL = "perks.card_cancel", "注销服务卡"
    PERKS_CARD_REISSUE = "perks.card_reissue", "挂失补卡"
    PERKS_CARDS_IMPORT = "perks.cards_import", "批量发卡"
    PERKS_MERCHANT_CREATE = "perks.merchant_create", "签约合作商户"
    PERKS_MERCHANT_CHANGE = "perks.merchant_change", "修改合作商户"
    PERKS_LOCATION_ADD = "perks.location_add", "添加商户门店"
    PERKS_OFFER_SAVE = "perks.offer_save", "保存商户优惠"
    PERKS_MERCHANT_STAFF_ADD = "perks.merchant_staff_add", "创建商户核验账号"
    PERKS_CARD_USE = "perks.card_use", "核验服务卡（商户柜台）"
    PERKS_GIVEAWAY_CREATE = "perks.giveaway_create", "设立普惠活动"
    PERKS_GIVEAWAY_PUBLISH = "perks.giveaway_publish", "发布普惠活动"
    PERKS_GIVEAWAY_CANCEL = "perks.giveaway_cancel", "取消普惠活动"
    PERKS_GIVEAWAY_FREEZE = "perks.giveaway_freeze", "冻结登记名单"
    PERKS_GIVEAWAY_DRAW = "perks.giveaway_draw", "摇号"
    PERKS_CLAIM_CANCEL = "perks.claim_cancel", "会员取消领取"
    PERKS_CLAIM_PROMOTE = "perks.claim_promote", "候补获得名额"
    PERKS_CLAIM_SKIP = "perks.claim_skip", "候补因服务卡失效取消"
    PERKS_WINNERS_EXPORT = "perks.winners_export", "导出现场核销名单"
    PERKS_PICKUP = "perks.pickup", "核销领取码"
    PERKS_NO_SHOWS_RELEASE = "perks.no_shows_release", "释放逾期名额"
    PERKS_CLAIM_SEAL = "perks.claim.seal", "领取记录封存"
    AUDIT_EXPORT = "audit.export", "导出审计数据包"
    AUDIT_WITNESS_RESTART = "audit.witness_restart", "重新开始见证文件"
    # --- smcrypto: switching the installation's algorithms (docs/crypto.md) ---
    AUDIT_CRYPTO_SWITCH = "audit.crypto_switch", "切换密码算法"
    CRYPTO_REENCRYPT = "crypto.reencrypt", "以当前密钥重新加密个人信息"
    DEMO_BUILD = "demo.build", "生成演示数据"
    DEMO_PEOPLE = "demo.people", "生成演示人员"
    DEMO_MEMBER_LOGIN = "demo.member_login", "生成演示会员账号"
    # --- contests · setup (add this feature's actions below this line) ---
    CONTESTS_PROGRAMME_CREATE = "contests.programme_create", "设立竞赛项目"
    CONTESTS_COMPETITION_CREATE = "contests.competition_create", "设立工种竞赛（含赛段）"
    CONTESTS_COMPETITION_OPEN = "contests.competition_open", "竞赛开放报名"
    CONTESTS_RULES_UPLOAD = "contests.rules_upload", "上传竞赛规程"
    CONTESTS_STAGE_UPDATE = "contests.stage_update", "修改赛段评分规则与晋级规则"
    CONTESTS_JUDGE_ADD = "contests.judge_add", "加入评委库"
    CONTESTS_RECUSAL = "contests.recusal", "回避（同单位或申报的关系）"
    #
    # --- contests · entry (add this feature's actions below this line) ---
    #
    CONTESTS_REGISTER = "contests.register", "参赛报名"
    CONTESTS_WITHDRAW = "contests.withdraw", "退赛"
    CONTESTS_REGISTRATION_CLOSE = "contests.registration_close", "截止报名"
    # --- contests · judging (add this feature's actions below this line) ---
    CONTESTS_MATCH_CREATE = "contests.match_create", "设立场次"
    CONTESTS_DRAW_COMMIT = "contests.draw_commit", "公布裁判组抽签承诺值"
    CONTESTS_PANEL_DRAW = "contests.panel_draw", "抽签组成裁判组"
    CONTESTS_SEAT_ADD = "contests.seat_add", "增补裁判组成员"
    CONTESTS_SEAT_ABSENT = "contests.seat_absent", "记录裁判缺席"
    CONTESTS_STAGE_START = "contests.stage_start", "赛段开始评分"
    CONTESTS_MARK = "contests.mark", "裁判评分"
    CONTESTS_SHEET_LOCK = "contests.sheet_lock", "锁定评分表"
    #
    # --- contests · results (add this feature's actions below this line) ---
    #
    CONTESTS_RESULTS_LOCK = "contests.results_lock", "锁定赛段成绩"
    CONTESTS_ADVANCE_CONFIRM = "contests.advance_confirm", "确认晋级名单"
    CONTESTS_TITLES_AWARD = "contests.titles_award", "评定称号与提名奖"
    REGISTRY_STUDIO_OFFER = "registry.studio_offer", "推荐工匠创新工作室（待单位确认）"
    # --- contests · jury & appeals (add this feature's actions below this line) ---
    #
    CONTESTS_JUROR_REGISTER = "contests.juror_register", "登记大众评委"
    CONTESTS_JUROR_SEAT = "contests.juror_seat", "大众评委入座（发放投票凭证）"
    CONTESTS_VOTE = "contests.vote", "大众评委投票"
    CONTESTS_APPEAL_FILE = "contests.appeal_file", "提出申诉"
    CONTESTS_APPEAL_MERGE = "contests.appeal_merge", "相同申诉合并"
    CONTESTS_APPEAL_RULE = "contests.appeal_rule", "仲裁裁决"
    CONTESTS_RESCORE_PREVIEW = "contests.rescore_preview", "重评预览"
    CONTESTS_RESCORE_APPLY = "contests.rescore_apply", "重评生效"
    CONTESTS_RESCORE_CANCEL = "contests.rescore_cancel", "取消重评"
    CONTESTS_JUROR_UNSEAT = "contests.juror_unseat", "撤销大众评委入座（作废投票凭证）"
    # --- contests · board (add this feature's actions below this line) ---
    #
    CONTESTS_BOARD_FREEZE = "contests.board_freeze", "直播榜封榜"
    CONTESTS_BOARD_REVEAL = "contests.board_reveal", "直播榜揭晓一项成绩"
    CONTESTS_BOARD_UNFREEZE = "contests.board_unfreeze", "直播榜解除封榜（依次揭晓其余成绩）"
    # --- contests · notary (add this feature's actions below this line) ---
    CONTESTS_MILESTONE = "contests.milestone", "公证节点（签名检查点）"
    CONTESTS_NOTARY_REGISTER = "contests.notary_register", "登记公证员及其公钥"
    CONTESTS_COUNTERSIGN = "contests.countersign", "公证员会签公证节点"
    #
    # --- funds · shared ---
    FUNDS_LEDGER_SEAL = "funds.ledger.seal", "资金台账批量记录封存"
    # --- funds · programmes (add this feature's actions below this line) ---
    FUNDS_PROGRAMME_CREATE = "funds.programme_create", "设立资助项目"
    FUNDS_PROGRAMME_UPDATE = "funds.programme_update", "修改资助项目"
    FUNDS_RULE_CHANGE = "funds.rule_change", "修改项目规则（新版本）"
    FUNDS_BUDGET_SET = "funds.budget_set", "设定项目预算"
    FUNDS_LEDGER_CORRECT = "funds.ledger_correct", "资金台账冲正"
    FUNDS_HARDSHIP_SET = "funds.hardship_set", "困难认定"
    FUNDS_HARDSHIP_END = "funds.hardship_end", "终止困难认定"
    #
    # --- funds · applications (add this feature's actions below this line) ---
    FUNDS_APPLY = "funds.apply", "提交资助申请"
    FUNDS_VERIFY = "funds.verify", "资助申请基层核实通过"
    FUNDS_REVIEW = "funds.review", "资助申请区级审核通过"
    FUNDS_APPROVE = "funds.approve", "资助申请批准（生成应发并占用预算）"
    FUNDS_REJECT = "funds.reject", "资助申请不予通过"
    FUNDS_WITHDRAW = "funds.withdraw", "撤回资助申请"
    #
    # --- funds · enrolment (add this feature's actions below this line) ---
    FUNDS_RUN_CREATE = "funds.run_create", "设立发放计划"
    FUNDS_RUN_ENROL = "funds.run_enrol", "按规则纳入发放计划"
    FUNDS_ENTITLEMENT_CANCEL = "funds.entitlement_cancel", "取消应发记录（释放预算）"
    #
    # --- funds · accounts (add this feature's actions below this line) ---
    FUNDS_ACCOUNT_ADD = "funds.account_add", "登记收款账户"
    FUNDS_ACCOUNT_UPDATE = "funds.account_update", "更新收款账户（状态、最近交易、默认）"
    FUNDS_ACCOUNT_STATUS_IMPORT = "funds.account_status_import", "导入银行账户状态报告"
    FUNDS_BATCH_PREDICT = "funds.batch_predict", "发放批次失败预判"
    FUNDS_LINE_REROUTE = "funds.line_reroute", "发放明细改用其他账户"
    #
    # --- funds · payouts (add this feature's actions below this line) ---
    #
    FUNDS_BATCH_CREATE = "funds.batch_create", "创建发放批次"
    FUNDS_BATCH_BUILD = "funds.batch_build", "编制发放批次明细（分段）"
    FUNDS_BATCH_RELEASE = "funds.batch_release", "审定发放批次"
    FUNDS_BATCH_EXPORT = "funds.batch_export", "导出银行代发文件"
    FUNDS_RETURNS_IMPORT = "funds.returns_import", "导入银行回盘"
    FUNDS_LINE_REISSUE = "funds.line_reissue", "失败明细改道重发"
    FUNDS_LINE_CASH = "funds.line_cash", "失败明细改为现金发放（签收）"
    FUNDS_BATCH_RECONCILE = "funds.batch_reconcile", "发放批次对账"
    # --- funds · reports (add this feature's actions below this line) ---
    #
    # --- training · courses (add this feature's actions below this line) ---
    TRAINING_COURSE_CREATE = "training.course_create", "创建课程（讲座系列）"
    TRAINING_COURSE_UPDATE = "training.course_update", "修改课程"
    TRAINING_COURSE_PUBLISH = "training.course_publish", "发布课程"
    TRAINING_COURSE_CLOSE = "training.course_close", "结束课程"
    TRAINING_SESSION_CREATE = "training.session_create", "新增课程场次"
    TRAINING_SESSION_UPDATE = "training.session_update", "修改课程场次"
    TRAINING_SESSION_CANCEL = "training.session_cancel", "取消课程场次（通知已报名会员）"
    TRAINING_ENROL = "training.enrol", "课程报名（或进入候补）"
    TRAINING_ENROL_CANCEL = "training.enrol_cancel", "取消课程报名"
    TRAINING_ENROL_PROMOTE = "training.enrol_promote", "候补转为已报名"
    TRAINING_CHECKIN = "training.checkin", "扫码签到"
    TRAINING_ATTENDANCE_MARK = "training.attendance_mark", "工作人员登记签到"
    TRAINING_ATTENDANCE_BULK = "training.attendance_bulk", "批量登记签到（签到表）"
    TRAINING_CERTIFICATES_ISSUE = "training.certificates_issue", "出具听课证明"
    TRAINING_CERTIFICATE_DOWNLOAD = "training.certificate_download", "下载听课证明"
    TRAINING_SESSION_EXPORT = "training.session_export", "导出场次报名与签到名单"
    #
    # --- training · quizzes (add this feature's actions below this line) ---
    TRAINING_QUESTION_CREATE = "training.question_create", "新增题库试题"
    TRAINING_QUESTION_UPDATE = "training.question_update", "修改题库试题"
    TRAINING_QUESTION_DEACTIVATE = "training.question_deactivate", "停用题库试题"
    TRAINING_QUESTIONS_EXPORT = "training.questions_export", "导出题库"
    TRAINING_QUIZ_CREATE = "training.quiz_create", "创建现场答题"
    TRAINING_QUIZ_OPEN = "training.quiz_open", "开始现场答题"
    TRAINING_QUIZ_CLOSE = "training.quiz_close", "结束现场答题（无人作答）"
    TRAINING_QUIZ_SEAL = "training.quiz.seal", "现场答题结束，答题记录封存"
    TRAINING_QUIZ_EXPORT = "training.quiz_export", "导出现场答题成绩"
    #
    # --- training · salons (add this feature's actions below this line) ---
    TRAINING_SALON_APPLY = "training.salon_apply", "申报读书沙龙"
    TRAINING_SALON_REAPPLY = "training.salon_reapply", "读书沙龙修改后重新申报"
    TRAINING_SALON_APPROVE = "training.salon_approve", "批准读书沙龙（核定资助金额）"
    TRAINING_SALON_REJECT = "training.salon_reject", "不批准读书沙龙"
    TRAINING_SALON_MEMBERS_ADD = "training.salon_members_add", "读书沙龙增加成员"
    TRAINING_SALON_MEMBER_REMOVE = "training.salon_member_remove", "读书沙龙减少成员"
    TRAINING_SALON_MEETING = "training.salon_meeting", "报告读书沙龙活动"
    #
    # --- training · studios (add this feature's actions below this line) ---
    TRAINING_STUDIO_REGISTER = "training.studio_register", "登记创新工作室"
    TRAINING_STUDIO_UPDATE = "training.studio_update", "修改创新工作室"
    TRAINING_STUDIO_ACCEPT = "training.studio_accept", "单位确认创建提名的创新工作室（挂牌）"
    TRAINING_STUDIO_DECLINE = "training.studio_decline", "单位放弃提名的创新工作室"
    TRAINING_STUDIO_MEMBER_ADD = "training.studio_member_add", "创新工作室增加成员"
    TRAINING_STUDIO_MEMBER_REMOVE = "training.studio_member_remove", "创新工作室移除成员"
    TRAINING_STUDIO_REPORT_SUBMIT = "training.studio_report_submit", "提交创新工作室年度成果"
    TRAINING_STUDIO_REPORT_UPDATE = "training.studio_report_update", "修改并重新提交退回的年度成果"
    TRAINING_STUDIO_REPORT_REVIEW = "training.studio_report_review", "审核创新工作室年度成果"
    TRAINING_STUDIOS_EXPORT = "training.studios_export", "导出创新工作室名录"
    #
    # --- training · outreach (add this feature's actions below this line) ---
    TRAINING_TEAM_CREATE = "training.team_create", "设立宣讲团"
    TRAINING_TEAM_UPDATE = "training.team_update", "修改宣讲团"
    TRAINING_SPEAKER_ADD = "training.speaker_add", "增加宣讲员"
    TRAINING_SPEAKER_REMOVE = "training.speaker_remove", "移出宣讲员"
    TRAINING_TALK_BOOK = "training.talk_book", "预约宣讲"
    TRAINING_TALK_CONFIRM = "training.talk_confirm", "安排宣讲（指定宣讲员）"
    TRAINING_TALK_CANCEL = "training.talk_cancel", "取消宣讲"
    TRAINING_TALK_REPORT = "training.talk_report", "报告宣讲到场人数"
    TRAINING_VISIT_CREATE = "training.visit_create", "登记工会主席接待日走访"
    TRAINING_VISIT_ADVANCE = "training.visit_advance", "接待日进入下一阶段"
    TRAINING_PROBLEM_RAISE = "training.problem_raise", "交办接待日问题"
    TRAINING_PROBLEM_ANSWER = "training.problem_answer", "答复交办问题"
    TRAINING_PROBLEM_CLOSE = "training.problem_close", "办结问题（已告知企业）"
    TRAINING_PROBLEM_ASSIGN = "training.problem_assign", "改派交办问题"
    TRAINING_ALLIANCE_CREATE = "training.alliance_create", "设立联盟"
    TRAINING_ALLIANCE_UPDATE = "training.alliance_update", "修改联盟"
    TRAINING_ALLIANCE_MEMBER_ADD = "training.alliance_member_add", "增加联盟成员"
    TRAINING_ALLIANCE_MEMBER_REMOVE = "training.alliance_member_remove", "移出联盟成员"
    TRAINING_ALLIANCE_ACTIVITY_ADD = "training.alliance_activity_add", "登记联盟活动"
    #
    LIST_EXPORT = "list.export", "导出列表"  # any list's 导出 Excel (web.services.list_export)
    DASHBOARDS_SCREEN_CREATE = "dashboards.screen_create", "生成大屏展示令牌"
    DASHBOARDS_SCREEN_REVOKE = "dashboards.screen_revoke", "吊销大屏展示令牌"
    # --- audit retention (issue #21 point 5) ---
    AUDIT_ARCHIVE = "audit.archive", "归档审计事件"
    AUDIT_PRUNE = "audit.prune", "删除已归档的审计事件"
    # --- backup (issue #21, 6): sets written, restored, drilled ---
    BACKUP_CREATE = "backup.create", "备份（数据库与文件）"
    BACKUP_RESTORE = "backup.restore", "从备份集恢复"
    BACKUP_DRILL = "backup.drill", "恢复演练"
    # --- sessions: idle sessions (web/sessions.py; recorded by audit.signals) ---
    AUTH_IDLE_LOGOUT = "auth.idle_logout", "长时间未操作，自动退出"
    # --- factors · the second factor (issue #21: TOTP, passkeys, recovery codes) ---
    FACTORS_ENROL = "factors.enrol", "绑定二次验证方式"
    FACTORS_REMOVE = "factors.remove", "删除二次验证方式"
    FACTORS_RECOVERY_CODES = "factors.recovery_codes", "生成恢复码（旧恢复码作废）"
    FACTORS_VERIFIED = "factors.verified", "二次验证通过"
    FACTORS_RECOVERY_USED = "factors.recovery_used", "使用恢复码通过二次验证"
    FACTORS_FAILED = "factors.failed", "二次验证失败"
    FACTORS_RESET = "factors.reset", "重置他人的二次验证（须重新绑定）"


ACTION_LABELS = dict(Action.choices)


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


# What events name as their object besides the platform's models (``app.model``, named by
# the model's verbose name).
OBJECT_LABELS = {
    "demo": "演示数据",
    "audit.stream": "审计流",
    "audit.witness": "见证文件",
    "web.list": "列表",  # a list's export (list.export) names the list's page
    "backup.set": "备份集",  # backup: a set, by its folder's name
    "audit.crypto": "密码算法",  # smcrypto: a switch of the installation's algorithms
    "crypto.reencrypt": "加密字段与检索索引",  # smcrypto: fields moved to the current keys
}


# The families of actions (an action's code up to its first dot): the audit page filters by
# a whole family ("people." is every change to people) as well as by one action.
FAMILY_LABELS = {
    "auth": "登录与退出",
    "crypto": "密码算法",
    "accounts": "账号与令牌",
    "orgs": "组织机构",
    "people": "人员会籍",
    "pii": "个人信息查看",
    "files": "附件",
    "jobs": "导出文件",
    "registry": "劳模工匠档案",
    "nominations": "推荐评选",
    "calendar": "节假日安排",
    "perks": "会员服务",
    "contests": "工匠竞赛",
    "funds": "资金帮扶",
    "training": "素质建设",
    "list": "列表",
    "dashboards": "数据看板",
    "audit": "审计",
    "demo": "演示数据",
    "backup": "备份与恢复",
    "factors": "二次验证",  # factors · the second factor
}


def action_choices() -> list:
    """The audit page's choice of actions, in Chinese: each family whole, then each action
    under its family (the codes stay in the query: ``?action=people.``)."""
    by_family: dict[str, list] = {}
    for code, label in Action.choices:
        by_family.setdefault(code.split(".", 1)[0], []).append((code, label))
    families = [(f"{f}.", f"{FAMILY_LABELS.get(f, f)}（全部）") for f in by_family]
    return [
        ("", "全部操作"),
        ("按类别", families),
        *((FAMILY_LABELS.get(f, f), actions) for f, actions in by_family.items()),
    ]


def object_choices() -> list[tuple[str, str]]:
    """The audit page's choice of object types: the platform's models and the other things
    events name, by their Chinese names."""
    codes = {m._meta.label_lower for m in apps.get_models() if m.__module__.startswith("gonghui.")}
    codes |= set(OBJECT_LABELS) | {"auth.user"}
    return [("", "全部对象"), *sorted(((c, object_label(c)) for c in codes), key=lambda c: c[1])]


def object_label(code: str) -> str:
    """An event's object type as the auditors' pages name it: ``people.person`` is 人员."""
    if code in OBJECT_LABELS:
        return OBJECT_LABELS[code]
    try:
        return str(apps.get_model(code)._meta.verbose_name)
    except (LookupError, ValueError):
        return code


# --- Every write and its events ------------------------------------------------------------

# The modules that hold the platform's writes (services). A public function added to one
# of them is a write that must be listed below with its events, or a read or helper named
# as such in tests/audit/test_every_write.py: that test refuses anything unlisted. It also
# refuses a module outside this list that calls audit.services.record or seal.
SERVICE_MODULES = (
    "gonghui.orgs.services",
    "gonghui.audit.reencrypt",  # smcrypto
    "gonghui.treeimport.services",
    "gonghui.people.services",
    "gonghui.files.services",
    "gonghui.jobs.services",
    "gonghui.registry.services",
    "gonghui.registry.excel.importer",
    "gonghui.registry.excel.export",
    "gonghui.nominations.services.campaigns",
    "gonghui.nominations.services.nominating",
    "gonghui.nominations.services.notices",
    "gonghui.nominations.services.reviews",
    "gonghui.nominations.services.objections",
    "gonghui.nominations.services.final_list",
    "gonghui.nominations.services._shared",
    "gonghui.calendar.services",
    "gonghui.perks.cards.services",
    "gonghui.perks.cards.imports",
    "gonghui.perks.merchants.services",
    "gonghui.perks.counter.services",
    "gonghui.perks.giveaways.services",
    "gonghui.perks.giveaways.claims",
    "gonghui.perks.merging",
    "gonghui.audit.services",
    "gonghui.audit.retention",  # audit retention (issue #21 point 5)
    "gonghui.contests.events",
    # --- contests · setup ---
    "gonghui.contests.setup.services",
    #
    # --- contests · entry ---
    #
    "gonghui.contests.entry.services",
    # --- contests · judging ---
    "gonghui.contests.judging.services",
    #
    # --- contests · results ---
    #
    "gonghui.contests.results.services",
    # --- contests · jury & appeals ---
    #
    "gonghui.contests.jury.services",
    "gonghui.contests.appeals.services",
    # --- contests · board ---
    #
    "gonghui.contests.board.services",
    # --- contests · notary ---
    "gonghui.contests.notary.services",
    #
    "gonghui.funds.events",
    "gonghui.funds.ledger",
    # --- funds · programmes ---
    "gonghui.funds.programmes.services",
    #
    # --- funds · applications ---
    "gonghui.funds.applications.services",
    #
    # --- funds · enrolment ---
    "gonghui.funds.enrolment.services",
    #
    # --- funds · accounts ---
    "gonghui.funds.accounts.services",
    #
    # --- funds · payouts ---
    #
    "gonghui.funds.payouts.services",
    # --- funds · reports ---
    #
    # --- training · courses ---
    "gonghui.training.courses.services",
    #
    # --- training · quizzes ---
    "gonghui.training.quizzes.services",
    "gonghui.training.quizzes.answers",
    #
    # --- training · salons ---
    "gonghui.training.salons.services",
    #
    # --- training · studios ---
    "gonghui.training.studios.services",
    #
    # --- training · outreach ---
    "gonghui.training.outreach.services",
    #
    "gonghui.web.services",  # a list's export
    "gonghui.dashboards.services",
    "gonghui.backup.services",  # backup: sets written, restored, drilled
    "gonghui.factors.services",  # factors · the second factor
)

# Each write service (dotted path; ``[case]`` names another case of the same service) ->
# the events one call appends, in its plain case. tests/audit/test_every_write.py runs each
# and checks it appended exactly these: a write that forgets its event fails there.
WRITE_SERVICES: dict[str, tuple[str, ...]] = {
    "gonghui.orgs.services.orgunit_create": ("orgs.create",),
    "gonghui.orgs.services.orgunit_update": ("orgs.update",),
    "gonghui.orgs.services.orgunit_move": ("orgs.move",),
    "gonghui.orgs.services.user_create": ("accounts.user_create",),
    "gonghui.orgs.services.password_change": ("accounts.password_change",),
    "gonghui.orgs.services.post_assign": ("accounts.post_assign",),
    "gonghui.orgs.services.role_update": ("accounts.role_update",),
    "gonghui.orgs.services.token_create": ("accounts.token_create",),
    "gonghui.orgs.services.token_revoke": ("accounts.token_revoke",),
    "gonghui.orgs.services.tokens_end_with_account": ("accounts.tokens_end",),
    "gonghui.orgs.services.account_unlock": ("accounts.unlock",),
    "gonghui.treeimport.services.tree_import_start": ("orgs.import",),  # the job it queues
    "gonghui.treeimport.services.tree_import": ("orgs.import",),
    "gonghui.people.services.person_create": ("people.create",),
    # A post without people.view_pii pays for a number before the write: over budget,
    # refused with the budget's event alone, hit or miss.
    "gonghui.people.services.person_create[throttled]": ("people.id_probes_throttled",),
    "gonghui.people.services.person_update": ("people.update",),
    "gonghui.people.services.person_update[throttled]": ("people.id_probes_throttled",),
    "gonghui.people.services.person_update[move]": ("people.move_out", "people.update"),
    "gonghui.people.services.person_reveal": ("pii.reveal",),
    "gonghui.people.services.person_find_by_id_number": ("people.lookup",),
    "gonghui.people.services.id_probes_spend": ("people.id_check",),
    "gonghui.people.services.id_probes_spend[throttled]": ("people.id_probes_throttled",),
    "gonghui.people.services.id_collision": ("people.id_collision",),
    "gonghui.people.services.id_collision[transfer]": ("people.transfer_request",),
    "gonghui.people.services.transfer_request_for": ("people.transfer_request",),
    "gonghui.people.services.transfer_request_submit": ("people.transfer_request",),
    "gonghui.people.services.transfer_request_approve": (
        "people.move_out",
        "people.transfer_approve",
        "people.update",
    ),
    "gonghui.people.services.transfer_request_refuse": ("people.transfer_refuse",),
    "gonghui.people.services.membership_join": ("people.membership_join",),
    "gonghui.people.services.membership_leave": ("people.membership_leave",),
    "gonghui.files.services.attachment_add": ("files.add",),
    "gonghui.files.services.attachment_store": ("files.add",),
    "gonghui.files.services.attachment_download": ("files.download",),
    "gonghui.registry.services.unit_create": ("registry.unit_create",),
    "gonghui.registry.services.unit_move": ("registry.unit_move", "registry.unit_move_out"),
    # A unit whose team was left at another union (before teams followed their unit):
    # each union left records its units' leaving.
    "gonghui.registry.services.unit_move[split]": (
        "registry.unit_move",
        "registry.unit_move_out",
        "registry.unit_move_out",
    ),
    "gonghui.registry.services.honour_create": ("registry.honour_create",),
    "gonghui.registry.services.award_create": ("registry.award_create",),
    "gonghui.registry.services.award_create[document]": ("files.add", "registry.award_create"),
    "gonghui.registry.services.award_document_add": ("files.add",),
    "gonghui.registry.services.award_update": ("registry.award_update",),
    "gonghui.registry.services.award_revoke": ("registry.award_revoke",),
    "gonghui.registry.services.person_media_set": ("registry.media_set",),
    "gonghui.registry.services.person_media_set[portrait]": ("files.add", "registry.media_set"),
    "gonghui.registry.services.person_merge": ("registry.merge",),
    # The loser at another union: filed there too.
    "gonghui.registry.services.person_merge[across]": ("registry.merge", "registry.merge_out"),
    "gonghui.registry.services.merge_reverse": ("registry.merge_reverse",),
    "gonghui.registry.services.merge_reverse[across]": (
        "registry.merge_out_reverse",
        "registry.merge_reverse",
    ),
    "gonghui.registry.services.registry_import_start": ("registry.import",),  # its job
    "gonghui.registry.excel.importer.registry_import": ("registry.import",),
    "gonghui.registry.excel.export.registry_export": ("registry.export",),
    # An export started from a page is a job: the events are those of the export it runs
    # (a final list and a dictionary hold what their pages show: only the download is
    # recorded, as jobs.download).
    "gonghui.registry.services.registry_export_start": ("registry.export",),
    "gonghui.registry.services.dictionary_start": (),
    "gonghui.nominations.services.final_list.final_list_export_start": (),
    "gonghui.perks.giveaways.services.winners_export_start": ("perks.winners_export",),
    "gonghui.jobs.services.job_result": ("jobs.download",),
    "gonghui.registry.excel.export.registry_export[reveal]": ("pii.reveal", "registry.export"),
    "gonghui.nominations.services.campaigns.campaign_create": ("nominations.campaign_create",),
    "gonghui.nominations.services.campaigns.quota_set": ("nominations.quota_set",),
    "gonghui.nominations.services.campaigns.rule_add": ("nominations.rule_add",),
    "gonghui.nominations.services.campaigns.campaign_open": ("nominations.campaign_open",),
    "gonghui.nominations.services.nominating.nomination_create": ("nominations.create",),
    "gonghui.nominations.services.nominating.nomination_submit": ("nominations.nominate",),
    "gonghui.nominations.services.nominating.nomination_withdraw": ("nominations.withdraw",),
    # The nominate page's save (and the API's): a draft with its nomination form attached;
    # [replace] in another nominee's place; [submit] submitted at once.
    "gonghui.nominations.services.nominating.nomination_save": ("files.add", "nominations.create"),
    "gonghui.nominations.services.nominating.nomination_save[replace]": (
        "files.add",
        "nominations.create",
        "nominations.withdraw",
    ),
    "gonghui.nominations.services.nominating.nomination_save[submit]": (
        "files.add",
        "nominations.create",
        "nominations.nominate",
    ),
    "gonghui.nominations.services.notices.notice_publish": (
        "nominations.first_notice",
        "nominations.notice_publish",
    ),
    "gonghui.nominations.services.notices.notice_publish[second]": (
        "nominations.notice_publish",
        "nominations.second_notice",
    ),
    "gonghui.nominations.services.notices.notice_publish[final]": (
        "nominations.final_notice",
        "nominations.notice_publish",
    ),
    "gonghui.nominations.services.reviews.clearance_record": ("nominations.clearance",),
    "gonghui.nominations.services.reviews.nominations_advance": ("nominations.first_pass",),
    "gonghui.nominations.services.reviews.nominations_advance[first_reject]": (
        "nominations.first_reject",
    ),
    "gonghui.nominations.services.reviews.nominations_advance[second_pass]": (
        "nominations.second_pass",
    ),
    "gonghui.nominations.services.reviews.nominations_advance[second_reject]": (
        "nominations.second_reject",
    ),
    "gonghui.nominations.services.reviews.nominations_advance[approve]": (
        "nominations.approve",
        "registry.award_create",
    ),
    "gonghui.nominations.services.reviews.nominations_advance[final_reject]": (
        "nominations.final_reject",
    ),
    "gonghui.nominations.services.reviews.node_list_submit": ("nominations.list_submit",),
    "gonghui.nominations.services.objections.objection_contact_reveal": ("pii.reveal",),
    "gonghui.nominations.services.objections.objection_file": ("nominations.objection_file",),
    "gonghui.nominations.services.objections.objection_triage": ("nominations.objection_triage",),
    "gonghui.nominations.services.objections.objection_resolve": ("nominations.objection_resolve",),
    "gonghui.nominations.services.objections.objection_resolve[upheld]": (
        "nominations.objection_resolve",
        "nominations.remove",
    ),
    "gonghui.calendar.services.calendar_year_set": ("calendar.year_set",),
    "gonghui.perks.giveaways.services.giveaway_create": ("perks.giveaway_create",),
    "gonghui.perks.giveaways.services.giveaway_publish": ("perks.giveaway_publish",),
    "gonghui.perks.giveaways.services.giveaway_cancel": ("perks.giveaway_cancel",),
    "gonghui.perks.giveaways.services.giveaway_freeze": ("perks.giveaway_freeze",),
    "gonghui.perks.giveaways.services.giveaway_draw": ("perks.giveaway_draw",),
    "gonghui.perks.giveaways.services.claim_cancel": ("perks.claim_cancel",),
    "gonghui.perks.giveaways.services.claim_cancel[promote]": (
        "perks.claim_cancel",
        "perks.claim_promote",
    ),
    "gonghui.perks.giveaways.services.claim_cancel[skip]": (
        "perks.claim_cancel",
        "perks.claim_promote",
        "perks.claim_skip",
    ),
    "gonghui.perks.counter.services.pickup_accept": ("perks.pickup",),
    "gonghui.perks.giveaways.services.no_shows_release": (
        "perks.claim_promote",
        "perks.no_shows_release",
    ),
    "gonghui.perks.giveaways.services.winners_export": ("perks.winners_export",),
    "gonghui.perks.giveaways.services.claims_seal": ("perks.claim.seal",),
    "gonghui.perks.giveaways.services.claims_seal_all": ("perks.claim.seal",),
    "gonghui.perks.giveaways.services.claims_housekeeping": ("perks.claim.seal",),
    # A claim is sealed, not recorded one by one (the hot path): its row is covered by the
    # next seal of its giveaway's stream (the worker's minute), checked in the test.
    "gonghui.perks.giveaways.claims.claim": (),
    "gonghui.perks.cards.services.card_issue": ("perks.card_issue",),
    # By resident ID, the look-up spends a probe and is recorded (by id: a read, no event).
    "gonghui.perks.cards.services.card_person": ("people.lookup",),
    # By resident ID: the look-up's own event, then the issue's.
    "gonghui.perks.cards.services.card_issue_for": ("people.lookup", "perks.card_issue"),
    "gonghui.perks.cards.services.card_suspend": ("perks.card_suspend",),
    "gonghui.perks.cards.services.card_resume": ("perks.card_resume",),
    "gonghui.perks.cards.services.card_cancel": ("perks.card_cancel",),
    "gonghui.perks.cards.services.card_reissue": ("perks.card_reissue",),
    # A post that may not see full ID numbers spends its probe budget on the file's rows.
    "gonghui.perks.cards.imports.cards_import": ("people.id_check", "perks.cards_import"),
    "gonghui.perks.merchants.services.merchant_create": ("perks.merchant_create",),
    "gonghui.perks.merchants.services.merchant_change": ("perks.merchant_change",),
    "gonghui.perks.merchants.services.location_add": ("perks.location_add",),
    "gonghui.perks.merchants.services.offer_save": ("perks.offer_save",),
    "gonghui.perks.merchants.services.merchant_staff_add": ("perks.merchant_staff_add",),
    "gonghui.perks.counter.services.card_verify": ("perks.card_use",),
    "gonghui.audit.services.export_bundle": ("audit.export",),
    "gonghui.audit.services.witness_restart": ("audit.witness_restart",),
    # --- smcrypto ---
    "gonghui.audit.services.crypto_switch": ("audit.crypto_switch",),
    "gonghui.audit.reencrypt.reencrypt": ("crypto.reencrypt",),
    # --- contests · setup ---
    "gonghui.contests.setup.services.programme_create": ("contests.programme_create",),
    "gonghui.contests.setup.services.competition_create": ("contests.competition_create",),
    "gonghui.contests.setup.services.competition_open": ("contests.competition_open",),
    # The file's own event (platform stream), then the rules' (the competition's stream).
    "gonghui.contests.setup.services.competition_rules_upload": (
        "contests.rules_upload",
        "files.add",
    ),
    "gonghui.contests.setup.services.stage_update": ("contests.stage_update",),
    "gonghui.contests.setup.services.judge_add": ("contests.judge_add",),
    "gonghui.contests.setup.services.recusal_declare": ("contests.recusal",),
    #
    # --- contests · entry ---
    #
    # Anonymous, new person at a new employer: both made on the way, audited by nobody.
    "gonghui.contests.entry.services.entrant_register": (
        "contests.register",
        "people.create",
        "registry.unit_create",
    ),
    # A logged-in member (their own record and employer): the registration alone.
    "gonghui.contests.entry.services.entrant_register[member]": ("contests.register",),
    "gonghui.contests.entry.services.entrant_nominate": ("contests.register",),
    "gonghui.contests.entry.services.entrant_withdraw": ("contests.withdraw",),
    "gonghui.contests.entry.services.registration_close": ("contests.registration_close",),
    # Closed already: nothing happens the second time.
    "gonghui.contests.entry.services.registration_close[again]": (),
    "gonghui.contests.entry.services.registrations_close_due": ("contests.registration_close",),
    "gonghui.people.services.person_enrol": ("people.create",),
    # The resident ID is on a record already: that record, nothing written.
    "gonghui.people.services.person_enrol[found]": (),
    "gonghui.people.services.employer_enrol": ("registry.unit_create",),
    "gonghui.people.services.employer_enrol[found]": (),
    # --- contests · judging ---
    "gonghui.contests.judging.services.match_create": ("contests.match_create",),
    "gonghui.contests.judging.services.recusals_by_employer": (
        "contests.recusal",
        "contests.recusal",
    ),
    "gonghui.contests.judging.services.draw_commit": ("contests.draw_commit",),
    "gonghui.contests.judging.services.panel_draw": ("contests.panel_draw",),
    "gonghui.contests.judging.services.seat_add": ("contests.seat_add",),
    "gonghui.contests.judging.services.seat_absent": ("contests.seat_absent",),
    "gonghui.contests.judging.services.stage_start": ("contests.stage_start",),
    "gonghui.contests.judging.services.mark_submit": ("contests.mark",),
    "gonghui.contests.judging.services.mark_submit[duplicate]": (),
    "gonghui.contests.judging.services.mark_correct": ("contests.mark",),
    "gonghui.contests.judging.services.sheet_lock": ("contests.sheet_lock",),
    #
    # --- contests · results ---
    #
    "gonghui.contests.results.services.results_lock": ("contests.results_lock",),
    "gonghui.contests.results.services.advance_confirm": ("contests.advance_confirm",),
    # One title and no nominee award: the registry's award, the studio offered to the
    # winner's employer, the competition's event.
    "gonghui.contests.results.services.titles_award": (
        "contests.titles_award",
        "registry.award_create",
        "registry.studio_offer",
    ),
    # Two trades compared, one title over both: one event in each competition's stream.
    "gonghui.contests.results.services.programme_titles_award": (
        "contests.titles_award",
        "contests.titles_award",
        "registry.award_create",
        "registry.studio_offer",
    ),
    "gonghui.registry.services.studio_offer": ("registry.studio_offer",),
    # The employer has a studio offered or active already: nothing written.
    "gonghui.registry.services.studio_offer[again]": (),
    # --- contests · jury & appeals ---
    #
    "gonghui.contests.jury.services.juror_register": ("contests.juror_register",),
    # An entrant of the juror's employer (and one declared): a recusal each.
    "gonghui.contests.jury.services.juror_register[conflicts]": (
        "contests.juror_register",
        "contests.recusal",
        "contests.recusal",
    ),
    "gonghui.contests.jury.services.juror_seat": ("contests.juror_seat",),
    "gonghui.contests.jury.services.vote_cast": ("contests.vote",),
    # A late vote is recorded (refused, never counted): its event too.
    "gonghui.contests.jury.services.vote_cast[late]": ("contests.vote",),
    "gonghui.contests.appeals.services.appeal_file": ("contests.appeal_file",),
    "gonghui.contests.appeals.services.appeal_file[merge]": ("contests.appeal_merge",),
    "gonghui.contests.appeals.services.appeal_rule": ("contests.appeal_rule",),
    "gonghui.contests.appeals.services.rescore_preview": ("contests.rescore_preview",),
    # One corrected mark: its mark event, the stage's new results, the batch applied.
    "gonghui.contests.appeals.services.rescore_apply": (
        "contests.mark",
        "contests.rescore_apply",
        "contests.results_lock",
    ),
    "gonghui.contests.appeals.services.rescore_cancel": ("contests.rescore_cancel",),
    "gonghui.contests.jury.services.juror_unseat": ("contests.juror_unseat",),
    # An employer not yet in the registry: created (as an entrant's is), then the juror.
    "gonghui.contests.jury.services.juror_register[new employer]": (
        "contests.juror_register",
        "registry.unit_create",
    ),
    # --- contests · board ---
    #
    "gonghui.contests.board.services.board_freeze": ("contests.board_freeze",),
    "gonghui.contests.board.services.board_reveal_next": ("contests.board_reveal",),
    # Each remaining result's reveal is listed in the one event, in reveal order.
    "gonghui.contests.board.services.board_unfreeze": ("contests.board_unfreeze",),
    # --- contests · notary ---
    "gonghui.contests.notary.services.milestone_sign": ("contests.milestone",),
    "gonghui.contests.notary.services.notary_register": ("contests.notary_register",),
    "gonghui.contests.notary.services.milestone_countersign": ("contests.countersign",),
    "gonghui.contests.notary.services.record_export": ("audit.export",),
    #
    # --- funds · programmes ---
    "gonghui.funds.programmes.services.programme_create": ("funds.programme_create",),
    "gonghui.funds.programmes.services.programme_update": ("funds.programme_update",),
    "gonghui.funds.programmes.services.rule_change": ("funds.rule_change",),
    "gonghui.funds.programmes.services.budget_set": ("funds.budget_set",),
    "gonghui.funds.programmes.services.ledger_correct": ("funds.ledger_correct",),
    "gonghui.funds.programmes.services.hardship_set": ("funds.hardship_set",),
    # An open recognition ended first: its end is part of the one event.
    "gonghui.funds.programmes.services.hardship_set[regrade]": ("funds.hardship_set",),
    "gonghui.funds.programmes.services.hardship_end": ("funds.hardship_end",),
    #
    # --- funds · applications ---
    # Each document stored with it is a files.add event (a certificate: its scan).
    "gonghui.funds.applications.services.application_submit": ("files.add", "funds.apply"),
    "gonghui.funds.applications.services.application_submit[finalist]": ("funds.apply",),
    "gonghui.funds.applications.services.application_submit[illness]": (
        "files.add",
        "files.add",
        "files.add",
        "funds.apply",
    ),
    "gonghui.funds.applications.services.application_decide": ("funds.verify",),
    "gonghui.funds.applications.services.application_decide[review]": ("funds.review",),
    "gonghui.funds.applications.services.application_decide[approve]": ("funds.approve",),
    "gonghui.funds.applications.services.application_decide[reject]": ("funds.reject",),
    "gonghui.funds.applications.services.application_withdraw": ("funds.withdraw",),
    "gonghui.funds.applications.services.document_open": ("files.download",),
    #
    # --- funds · enrolment ---
    "gonghui.funds.enrolment.services.run_create": ("funds.run_create",),
    "gonghui.funds.enrolment.services.run_enrol": ("funds.run_enrol",),
    "gonghui.funds.enrolment.services.entitlement_cancel": ("funds.entitlement_cancel",),
    #
    # --- funds · accounts ---
    "gonghui.funds.accounts.services.account_add": ("funds.account_add",),
    "gonghui.funds.accounts.services.account_update": ("funds.account_update",),
    "gonghui.funds.accounts.services.account_reveal": ("pii.reveal",),
    "gonghui.funds.accounts.services.accounts_status_import": ("funds.account_status_import",),
    "gonghui.funds.accounts.services.batch_predict": ("funds.batch_predict",),
    "gonghui.funds.accounts.services.line_reroute": ("funds.line_reroute",),
    # Takes every proposal, then predicts the batch again (its sums have moved).
    "gonghui.funds.accounts.services.batch_reroute": ("funds.batch_predict", "funds.line_reroute"),
    #
    # --- funds · payouts ---
    #
    # A small batch is built in one chunk: its event, and the batch's own.
    "gonghui.funds.payouts.services.batch_create": ("funds.batch_build", "funds.batch_create"),
    "gonghui.funds.payouts.services.batch_build": ("funds.batch_build",),
    "gonghui.funds.payouts.services.batch_release": ("funds.batch_release",),
    # The lines' payment rows are sealed once; the file is kept as the batch's attachment.
    "gonghui.funds.payouts.services.batch_export": (
        "files.add",
        "funds.batch_export",
        "funds.ledger.seal",
    ),
    "gonghui.funds.payouts.services.batch_file": ("pii.reveal",),
    # All paid: no return rows to seal; [failed]: the returned rows sealed; [again]: the
    # same file again changes nothing and records nothing.
    "gonghui.funds.payouts.services.returns_import": ("funds.returns_import",),
    "gonghui.funds.payouts.services.returns_import[failed]": (
        "funds.ledger.seal",
        "funds.returns_import",
    ),
    "gonghui.funds.payouts.services.returns_import[again]": (),
    "gonghui.funds.payouts.services.line_reissue": ("funds.line_reissue",),
    "gonghui.funds.payouts.services.line_reissue[cash]": ("files.add", "funds.line_cash"),
    "gonghui.funds.payouts.services.batch_reconcile": ("funds.batch_reconcile",),
    # --- funds · reports ---
    #
    # --- training · courses ---
    "gonghui.training.courses.services.course_create": ("training.course_create",),
    "gonghui.training.courses.services.course_update": ("training.course_update",),
    "gonghui.training.courses.services.course_publish": ("training.course_publish",),
    "gonghui.training.courses.services.course_close": ("training.course_close",),
    "gonghui.training.courses.services.session_create": ("training.session_create",),
    "gonghui.training.courses.services.session_update": ("training.session_update",),
    "gonghui.training.courses.services.session_cancel": ("training.session_cancel",),
    "gonghui.training.courses.services.enrolment_create": ("training.enrol",),
    "gonghui.training.courses.services.enrolment_cancel": ("training.enrol_cancel",),
    # A freed seat seats the first on the waitlist in the same transaction.
    "gonghui.training.courses.services.enrolment_cancel[promote]": (
        "training.enrol_cancel",
        "training.enrol_promote",
    ),
    "gonghui.training.courses.services.attendance_checkin": ("training.checkin",),
    "gonghui.training.courses.services.attendance_mark": ("training.attendance_mark",),
    "gonghui.training.courses.services.attendance_bulk": ("training.attendance_bulk",),
    "gonghui.training.courses.services.certificates_issue": ("training.certificates_issue",),
    "gonghui.training.courses.services.certificate_download": ("training.certificate_download",),
    "gonghui.training.courses.services.session_roster_export": ("training.session_export",),
    #
    # --- training · quizzes ---
    "gonghui.training.quizzes.services.question_create": ("training.question_create",),
    "gonghui.training.quizzes.services.question_update": ("training.question_update",),
    "gonghui.training.quizzes.services.question_deactivate": ("training.question_deactivate",),
    "gonghui.training.quizzes.services.questions_export": ("training.questions_export",),
    "gonghui.training.quizzes.services.quiz_create": ("training.quiz_create",),
    "gonghui.training.quizzes.services.quiz_open": ("training.quiz_open",),
    # The submissions sealed in one event; [empty]: none to seal, the closing recorded;
    # [again]: closing a closed quiz records nothing.
    "gonghui.training.quizzes.services.quiz_close": ("training.quiz.seal",),
    "gonghui.training.quizzes.services.quiz_close[empty]": ("training.quiz_close",),
    "gonghui.training.quizzes.services.quiz_close[again]": (),
    # The worker's minute: a quiz whose time ran out, closed and sealed by the platform.
    "gonghui.training.quizzes.services.quizzes_close_due": ("training.quiz.seal",),
    "gonghui.training.quizzes.services.results_export": ("training.quiz_export",),
    # An answer is sealed with its quiz at the close, not recorded one by one (the hot path).
    "gonghui.training.quizzes.answers.submit": (),
    #
    # --- training · salons ---
    "gonghui.training.salons.services.salon_apply": ("training.salon_apply",),
    "gonghui.training.salons.services.salon_apply[reapply]": ("training.salon_reapply",),
    "gonghui.training.salons.services.salon_decide": ("training.salon_approve",),
    "gonghui.training.salons.services.salon_decide[reject]": ("training.salon_reject",),
    "gonghui.training.salons.services.salon_members_add": ("training.salon_members_add",),
    "gonghui.training.salons.services.salon_member_remove": ("training.salon_member_remove",),
    "gonghui.training.salons.services.salon_meeting_report": (
        "files.add",
        "training.salon_meeting",
    ),
    #
    # --- training · studios ---
    "gonghui.training.studios.services.studio_register": ("training.studio_register",),
    "gonghui.training.studios.services.studio_update": ("training.studio_update",),
    "gonghui.training.studios.services.studio_accept": ("training.studio_accept",),
    "gonghui.training.studios.services.studio_decline": ("training.studio_decline",),
    "gonghui.training.studios.services.studio_member_add": ("training.studio_member_add",),
    "gonghui.training.studios.services.studio_member_remove": ("training.studio_member_remove",),
    # Without evidence files (each file adds its files.add event before the report's own).
    "gonghui.training.studios.services.studio_report_submit": ("training.studio_report_submit",),
    "gonghui.training.studios.services.studio_report_update": ("training.studio_report_update",),
    "gonghui.training.studios.services.studio_report_review": ("training.studio_report_review",),
    "gonghui.training.studios.services.studios_export": ("training.studios_export",),
    #
    # --- training · outreach ---
    "gonghui.training.outreach.services.team_create": ("training.team_create",),
    "gonghui.training.outreach.services.team_update": ("training.team_update",),
    "gonghui.training.outreach.services.speaker_add": ("training.speaker_add",),
    "gonghui.training.outreach.services.speaker_remove": ("training.speaker_remove",),
    "gonghui.training.outreach.services.talk_book": ("training.talk_book",),
    "gonghui.training.outreach.services.talk_confirm": ("training.talk_confirm",),
    "gonghui.training.outreach.services.talk_cancel": ("training.talk_cancel",),
    "gonghui.training.outreach.services.talk_report": ("training.talk_report",),
    "gonghui.training.outreach.services.visit_create": ("training.visit_create",),
    "gonghui.training.outreach.services.visit_advance": ("training.visit_advance",),
    "gonghui.training.outreach.services.problem_raise": ("training.problem_raise",),
    "gonghui.training.outreach.services.problem_answer": ("training.problem_answer",),
    "gonghui.training.outreach.services.problem_close": ("training.problem_close",),
    "gonghui.training.outreach.services.problem_assign": ("training.problem_assign",),
    "gonghui.training.outreach.services.alliance_create": ("training.alliance_create",),
    "gonghui.training.outreach.services.alliance_update": ("training.alliance_update",),
    "gonghui.training.outreach.services.alliance_member_add": ("training.alliance_member_add",),
    "gonghui.training.outreach.services.alliance_member_remove": (
        "training.alliance_member_remove",
    ),
    "gonghui.training.outreach.services.alliance_activity_add": ("training.alliance_activity_add",),
    "gonghui.web.services.list_export": ("list.export",),
    # --- dashboards: the wall screen's display tokens ---
    "gonghui.dashboards.services.display_token_create": ("dashboards.screen_create",),
    "gonghui.dashboards.services.display_token_revoke": ("dashboards.screen_revoke",),
    # --- audit retention (issue #21 point 5): one stream archived, one pruned ---
    "gonghui.audit.retention.archive": ("audit.archive",),
    "gonghui.audit.retention.prune": ("audit.prune",),
    # --- backup: sets written, restored, drilled ---
    "gonghui.backup.services.backup_record": ("backup.create",),
    "gonghui.backup.services.restore_record": ("backup.restore",),
    "gonghui.backup.services.drill_record": ("backup.drill",),
    # --- factors · the second factor ---
    "gonghui.factors.services.factor_check": ("factors.verified",),
    "gonghui.factors.services.factor_check[recovery]": ("factors.recovery_used",),
    "gonghui.factors.services.factor_check[wrong]": ("factors.failed",),
    "gonghui.factors.services.passkey_verified": ("factors.verified",),
    "gonghui.factors.services.totp_confirm": ("factors.enrol", "factors.recovery_codes"),
    "gonghui.factors.services.passkey_registered": ("factors.enrol", "factors.recovery_codes"),
    "gonghui.factors.services.recovery_codes_generate": ("factors.recovery_codes",),
    "gonghui.factors.services.factor_remove": ("factors.remove",),
    "gonghui.factors.services.factors_reset": ("factors.reset",),
}
