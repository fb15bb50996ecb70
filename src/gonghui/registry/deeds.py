"""Deeds (事迹) for demo data, in the register of the union's own write-ups: who, how long
in the trade, what was done with figures (patents, savings in 万元, apprentices, records,
awards), closing with the honour. Built from templates by trade and honour with the
caller's ``random.Random``, so a seeded demo writes the same text every run, and hundreds
of holders don't read alike (the parts are chosen, ordered and filled independently).

Demo data only: real deeds are written by the nominating union."""

from __future__ import annotations

import random
from datetime import date

from gonghui.people.models import Person
from gonghui.registry.models import Honour

# What the work of each catalogue trade looks like (by trade name; others fall back to
# GENERAL_CRAFT). Placeholders: {n} a small count, {mm} a tolerance, {pct} a percentage.
CRAFT = {
    "钳工": [
        "练就了“手工锉削精度达0.00{n}毫米”的绝活，被同事称为“人工精密机床”",
        "攻克大型设备主轴装配难题{n}项，使装配一次合格率提高{pct}个百分点",
        "凭手感刮研导轨，平面度误差控制在0.0{n}毫米以内",
    ],
    "汽车装调工": [
        "闭上眼睛听声音就能判断整车下线前装调问题所在，累计排除疑难故障{n}00余项",
        "主持新车型总装调试工艺优化，单车装调工时缩短{pct}%",
    ],
    "数控机床操作工": [
        "编制的多轴联动加工程序使复杂曲面零件加工效率提高{pct}%，成品误差仅在0.0{n}毫米",
        "承担航空发动机关键零件加工任务，连续{n}年产品合格率保持100%",
    ],
    "工程测量员": [
        "参与城市副中心、新机场等重点工程测量任务{n}0余项，测量成果零差错",
        "研究的隧道贯通测量方法使贯通误差控制在{n}毫米以内，优于规范要求",
    ],
    "汽车维修工": [
        "总结出“望闻问切”故障诊断法，疑难故障一次修复率达{pct}%",
        "带领维修班组完成重大活动保障用车检修{n}00余台次，未发生一起机械故障",
    ],
    "电工": [
        "坚守电网运维一线，带电作业{n}000余次，保持零差错、零事故",
        "研制的配电线路故障快速定位装置使平均抢修时间缩短{pct}%",
        "圆满完成冬奥会、国庆庆典等重大活动保电任务{n}项",
    ],
    "焊工": [
        "掌握十余种材料、全位置焊接技术，焊缝一次探伤合格率保持在99.{n}%以上",
        "承担重点工程压力管道焊接任务，累计焊接焊口{n}万余道无一返修",
    ],
    "砌筑工": [
        "参与建设重点工程{n}项，所砌墙体垂直度、平整度误差均在{n}毫米以内",
        "总结的清水墙砌筑工法在全市推广，施工效率提高{pct}%",
    ],
    "中式烹调师": [
        "深研京菜技艺，整理失传传统菜品{n}0余道，承担重要接待任务百余次",
        "研发的菜品标准化制作工艺在企业{n}0余家门店推广",
    ],
    "美发师": [
        "坚持走进社区为老年人、残疾人义务理发，累计服务{n}000余人次",
        "创立的发型设计课程培训学员{n}00余名，多人在全国大赛中获奖",
    ],
    "信息通信网络运行管理员": [
        "负责的核心网络连续{n}年保持99.99%以上可用率",
        "主持研发网络故障智能巡检平台，故障发现时间由小时级缩短至分钟级",
    ],
    "轨道列车司机": [
        "安全驾驶列车{n}0余万公里，保持零违章、零事故",
        "总结的“一看二听三确认”操纵法在全线推广，列车正点率提高{pct}个百分点",
    ],
    "企业培训师": [
        "开发培训课程{n}0余门，累计授课{n}000余学时，培训职工{n}万余人次",
        "编写的岗位技能培训教材被{n}家单位采用",
    ],
}
GENERAL_CRAFT = [
    "立足岗位、精益求精，所在岗位连续{n}年完成全部生产任务",
    "主动承担急难险重任务{n}0余项，每次都圆满完成",
    "把“干一行、爱一行、钻一行”作为座右铭，岗位操作零差错",
]
# Achievements with figures, by topic (one of each topic at most, so counts never clash);
# the figures scale with the honour's level.
ACHIEVEMENTS = [
    ["获国家发明专利{a}项、实用新型专利{b}项", "主持的{a}项技术攻关成果获北京市职工技术创新成果奖"],
    [
        "完成技术革新和合理化建议{b}0余项，累计为企业节约成本{m}万元",
        "所在班组创造经济效益{m}万元，被评为先进班组",
        "领衔的创新工作室完成攻关项目{b}项，创造效益{m}万元",
    ],
    [
        "带徒{c}名，其中{a}人成长为技师、高级技师",
        "坚持“名师带徒”，所带徒弟中有{a}人在市级以上技能大赛中获奖",
    ],
    [
        "参与编制行业标准{a}项、企业操作规程{b}项",
        "总结的工作法被命名为市级“职工先进操作法”，在全系统推广",
    ],
    ["连续{b}年安全生产无事故"],
    [
        "在北京市职工职业技能大赛中获得第{r}名",
        "主持的{a}项质量管理小组成果获评优秀质量管理小组成果",
    ],
]
SAYINGS = [
    "“工匠就是要把简单的事情做到极致。”",
    "“技术是干出来的，也是教出来的，能带出一批徒弟比自己干好更重要。”",
    "“岗位就是责任，安全就是生命。”",
    "“只有站在职工的立场想问题，才能把工作干好。”",
    "“活儿干得好不好，要经得起时间的检验。”",
    "“每一次故障都是一次学习的机会。”",
]
OPENINGS = [
    "{name}，{employer}{post}。参加工作{years}年来，{he}扎根{trade}岗位，{craft}。",
    "从学徒工到技术能手，{name}在{trade}岗位上一干就是{years}年。{he}{craft}。",
    "{name}同志现任{employer}{post}，从事{trade}工作{years}年。{he}{craft}。",
    "在{employer}，提起{trade}{name}，同事们都竖起大拇指。{years}年来，{he}{craft}。",
]
CLOSINGS = {
    "title": "{year}年，{he}经过层层选拔和现场比拼，获得“{honour}”称号。",
    "national": "{year}年，{he}被授予“{honour}”荣誉称号。",
    "city": "{year}年，{he}荣获“{honour}”。",
    "district": "{year}年，{he}被评为“{honour}”。",
}
POSTS = ["班组长", "技师", "高级技师", "首席技师", "技术员", "工段长", "主任"]
# The same parts for collectives (工人先锋号、劳动奖状、模范集体).
COLLECTIVE_OPENINGS = [
    "{unit}现有职工{staff}人，其中技师、高级技师{skilled}人，党员{members}人。",
    "{unit}职工队伍平均年龄{age}岁，现有职工{staff}人。",
    "{unit}成立于{founded}年，现有职工{staff}人，承担着重要的生产和服务任务。",
]
COLLECTIVE_ACHIEVEMENTS = [
    "近三年完成技术攻关项目{a}项，获授权专利{b}项",
    "累计创造经济效益{m}万元",
    "连续{b}年实现安全生产无事故",
    "开展岗位练兵和技能比武{b}0余场，职工参训{c}00余人次",
    "有{a}项质量管理小组成果获市级以上奖励",
    "圆满完成冬奥会、城市副中心建设等重大保障任务{a}项",
    "建立劳模创新工作室，带动职工提出合理化建议{b}00余条",
    "职工满意度连续{a}年保持在95%以上",
]
COLLECTIVE_CLOSINGS = [
    "{year}年，被授予“{honour}”。",
    "{year}年，荣获“{honour}”荣誉。",
]
SCALE = {"national": 3, "city": 2, "district": 1}


def _fill(rng: random.Random, template: str, scale: int, **known) -> str:
    figures = {
        "n": rng.randrange(2, 9),
        "r": rng.randrange(1, 4),
        "pct": rng.randrange(8, 40),
        "a": rng.randrange(1, 3 + 2 * scale),
        "b": rng.randrange(2, 5 + 3 * scale),
        "c": rng.randrange(10, 12 + 12 * scale),
        "m": rng.randrange(20, 150) * scale + rng.randrange(10),
    }
    return template.format(**figures, **known)


def person_deeds(
    rng: random.Random,
    *,
    name: str,
    male: bool,
    born: date | None,
    trade: str,
    employer: str,
    honour: str,
    level: str,
    is_title: bool,
    year: int,
    given: bool = True,
) -> str:
    """The deeds of ``name`` for ``honour`` (of ``level``) given in ``year``; unless
    ``given`` (a nomination still under review), without the closing that says so."""
    he = "他" if male else "她"
    scale = SCALE.get(level, 1)
    started = (born.year + rng.randrange(18, 24)) if born else year - rng.randrange(8, 30)
    years = max(year - started, 5)
    opening = _fill(
        rng,
        rng.choice(OPENINGS),
        scale,
        name=name,
        he=he,
        years=years,
        trade=trade or "本职",
        employer=employer or "本单位",
        post=rng.choice(POSTS),
        craft=_fill(rng, rng.choice(CRAFT.get(trade, GENERAL_CRAFT)), scale),
    )
    done = [_fill(rng, rng.choice(t), scale) for t in rng.sample(ACHIEVEMENTS, 2 + scale)]
    middle = f"{he}{'；'.join(done)}。"
    saying = f"{he}常说：{rng.choice(SAYINGS)}"
    closing = CLOSINGS["title" if is_title else level].format(year=year, he=he, honour=honour)
    return "".join([opening, middle, saying, closing if given else ""])


def deeds_of(
    rng: random.Random, person: Person, honour: Honour, year: int, *, given: bool = True
) -> str:
    """``person_deeds`` for a person's record (their trade and employer, if any)."""
    return person_deeds(
        rng,
        name=person.name,
        male=person.gender == Person.Gender.MALE,
        born=person.birth_date,
        trade=person.trade.name if person.trade_id else "",
        employer=person.employer.name if person.employer_id else "",
        honour=honour.name,
        level=honour.level,
        is_title=honour.is_title,
        year=year,
        given=given,
    )


def collective_deeds(rng: random.Random, *, unit: str, honour: str, level: str, year: int) -> str:
    """The deeds of the collective ``unit`` for ``honour`` (of ``level``) in ``year``."""
    scale = SCALE.get(level, 1)
    staff = rng.randrange(12, 60 * scale)
    opening = rng.choice(COLLECTIVE_OPENINGS).format(
        unit=unit,
        staff=staff,
        skilled=max(1, staff // rng.randrange(3, 8)),
        members=max(1, staff // rng.randrange(2, 5)),
        age=rng.randrange(28, 38),
        founded=rng.randrange(1960, year - 5),
    )
    done = [_fill(rng, a, scale) for a in rng.sample(COLLECTIVE_ACHIEVEMENTS, 2 + scale)]
    closing = rng.choice(COLLECTIVE_CLOSINGS).format(year=year, honour=honour)
    return f"{opening}集体{'；'.join(done)}。{closing}"
