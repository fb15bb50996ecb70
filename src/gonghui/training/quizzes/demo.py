"""Demo 题库与现场答题: a bank of 20 questions (工匠精神, 安全生产, 工会知识) at the 工匠讲堂's
union; one quiz at the end of the lecture's last past session, answered by most of its
attendees (scores spread as a real room's are) and closed, its answers sealed; and a draft
quiz for the session open for enrolment. The courses part leaves ``world.lecture_sessions``
(with their attendances) and ``world.open_session``."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from gonghui.common.demo import as_of
from gonghui.orgs.models import OrgUnit
from gonghui.training.models import Attendance
from gonghui.training.quizzes import answers, services

S, M, T = "single", "multiple", "true_false"
BANK = [
    (
        "工匠精神",
        S,
        "工匠精神的核心内涵中，“精益求精”强调的是什么？",
        ["完成任务即可", "对产品和服务追求极致、不断改进", "追求产量最大化"],
        [1],
        "精益求精是工匠精神的核心：注重细节，追求完美和极致，不惜花费时间精力反复改进。",
    ),
    (
        "工匠精神",
        M,
        "2020 年全国劳动模范和先进工作者表彰大会上概括的工匠精神包括哪些？",
        ["执着专注", "精益求精", "一丝不苟", "急功近利"],
        [0, 1, 2],
        "习近平总书记概括的工匠精神是：执着专注、精益求精、一丝不苟、追求卓越。",
    ),
    (
        "工匠精神",
        T,
        "劳模精神、劳动精神、工匠精神是以爱国主义为核心的民族精神和以改革创新为核心的时代精神的生动体现。",
        None,
        [0],
        "三种精神是民族精神和时代精神的生动体现，是鼓舞全党全国各族人民风雨无阻、勇敢前进的强大精神动力。",
    ),
    (
        "工匠精神",
        S,
        "“名师带徒”活动的主要目的是什么？",
        ["增加企业用工", "传承技艺、培养高技能人才", "评选先进个人"],
        [1],
        "名师带徒通过师傅传帮带，把绝技绝活和职业精神传给青年职工，加快高技能人才成长。",
    ),
    (
        "工匠精神",
        T,
        "工匠只存在于传统手工业，现代制造业不需要工匠精神。",
        None,
        [1],
        "现代制造业同样需要工匠精神，精密制造、航空航天等领域尤其如此。",
    ),
    (
        "工匠精神",
        M,
        "职工创新工作室的成果通常包括哪些？",
        ["专利", "技术革新项目", "带徒培训", "个人奖金分配方案"],
        [0, 1, 2],
        "创新工作室以专利、创新成果采纳、带徒和培训人次等衡量成效。",
    ),
    (
        "安全生产",
        S,
        "《中华人民共和国安全生产法》规定，安全生产工作坚持什么方针？",
        ["效益优先、兼顾安全", "安全第一、预防为主、综合治理", "先生产、后整改"],
        [1],
        "安全生产法第三条：安全生产工作坚持安全第一、预防为主、综合治理的方针。",
    ),
    (
        "安全生产",
        T,
        "从业人员发现直接危及人身安全的紧急情况时，有权停止作业或者在采取可能的应急措施后撤离作业场所。",
        None,
        [0],
        "这是安全生产法赋予从业人员的紧急避险权，单位不得因此降低其工资、福利或解除劳动合同。",
    ),
    (
        "安全生产",
        S,
        "发生火灾时，下列做法正确的是？",
        ["乘坐电梯逃生", "用湿毛巾捂住口鼻、低姿沿疏散通道撤离", "返回室内取贵重物品"],
        [1],
        "火灾时不要乘电梯；用湿毛巾捂住口鼻，弯腰低姿沿安全出口方向撤离。",
    ),
    (
        "安全生产",
        M,
        "特种作业人员上岗应当满足哪些要求？",
        ["经专门安全作业培训", "取得相应资格", "持证上岗", "由班组长口头授权即可"],
        [0, 1, 2],
        "特种作业人员必须按照国家有关规定经专门的安全作业培训，取得相应资格，方可上岗作业。",
    ),
    (
        "安全生产",
        T,
        "生产经营单位可以与从业人员订立协议，免除或者减轻其对从业人员因生产安全事故伤亡依法应承担的责任。",
        None,
        [1],
        "安全生产法明确规定此类协议无效。",
    ),
    (
        "安全生产",
        S,
        "使用灭火器扑救初起火灾时，喷射应对准火焰的哪个部位？",
        ["火焰顶部", "火焰根部", "烟雾最浓处"],
        [1],
        "对准火焰根部喷射才能有效覆盖燃烧物、隔绝空气。",
    ),
    (
        "安全生产",
        M,
        "“三违”指的是哪三种行为？",
        ["违章指挥", "违章作业", "违反劳动纪律", "违反考勤制度"],
        [0, 1, 2],
        "三违：违章指挥、违章作业、违反劳动纪律，是引发事故的主要人为因素。",
    ),
    (
        "工会知识",
        S,
        "中国工会的性质是什么？",
        ["政府的职能部门", "中国共产党领导的职工自愿结合的工人阶级群众组织", "企业的管理机构"],
        [1],
        "《中国工会章程》总则：中国工会是中国共产党领导的职工自愿结合的工人阶级群众组织。",
    ),
    (
        "工会知识",
        T,
        "工会会员有权对工会工作提出批评和建议，要求撤换或者罢免不称职的工会工作人员。",
        None,
        [0],
        "这是《中国工会章程》规定的会员权利之一。",
    ),
    (
        "工会知识",
        S,
        "建立基层工会委员会，会员人数应达到多少人以上？",
        ["3 人", "25 人", "100 人"],
        [1],
        "工会法：企业、事业单位、社会组织，有会员二十五人以上的，应当建立基层工会委员会；不足二十五人的，可以单独建立或联合建立，也可以选举组织员一人。",
    ),
    (
        "工会知识",
        M,
        "工会的基本职责包括哪些？",
        ["维护职工合法权益", "竭诚服务职工群众", "代替企业制定生产计划", "组织职工参与民主管理"],
        [0, 1, 3],
        "维护职工合法权益、竭诚服务职工群众是工会的基本职责；工会组织职工依法参与民主决策、民主管理和民主监督。",
    ),
    (
        "工会知识",
        S,
        "用人单位按全部职工工资总额的多少比例向工会拨缴经费？",
        ["1%", "2%", "5%"],
        [1],
        "工会法第四十三条：按全部职工工资总额的百分之二向工会拨缴经费。",
    ),
    (
        "工会知识",
        T,
        "职工代表大会是企业实行民主管理的基本形式。",
        None,
        [0],
        "职工代表大会是企业实行民主管理的基本形式，是职工行使民主管理权力的机构。",
    ),
    (
        "工会知识",
        M,
        "工会组织开展的“当家人”活动中，工会主席接待日通常包括哪些环节？",
        ["走访", "座谈", "解决问题并反馈", "评比打分"],
        [0, 1, 2],
        "工会主席接待日走访企业、召开座谈、对提出的问题逐项落实并告知结果。",
    ),
]


def build(world, fake, rng) -> None:
    say = getattr(world, "say", lambda text: None)
    sessions = list(getattr(world, "lecture_sessions", []) or [])
    now = timezone.now()
    past = [s for s in sessions if s.ends_at < now]
    if past:
        unit, actor = past[-1].org_unit, past[-1].course.created_by
    else:  # without the courses part: the bank at Chaoyang, by its district staff
        unit = OrgUnit.objects.get(code="110105")
        actor = get_user_model().objects.get(username="chaoyang")
    questions = [
        services.question_create(
            actor=actor,
            org_unit=unit,
            kind=kind,
            text=text,
            options=options,
            answer=answer,
            explanation=explanation,
            topic=topic,
        )  # fmt: skip
        for topic, kind, text, options, answer, explanation in BANK
    ]
    world.quiz_questions = questions
    say(f"题库：{len(questions)} 道试题")
    if past:
        world.quiz = _closed_quiz(past[-1], actor, questions, rng)
        say(f"现场答题：{world.quiz.title}，{world.quiz.submissions.count()} 人作答，已封存")
    open_session = getattr(world, "open_session", None)
    if open_session is not None:
        world.draft_quiz = services.quiz_create(
            actor=actor, session=open_session, title=f"第{open_session.seq}期课后答题",
            questions=rng.sample(questions, 5), time_limit=300,
        )  # fmt: skip


def _closed_quiz(session, actor, questions, rng):
    paper = rng.sample(questions, 10)
    opens = session.ends_at - timedelta(minutes=12)
    with as_of(opens - timedelta(minutes=5)):
        quiz = services.quiz_create(
            actor=actor, session=session, title=f"第{session.seq}期课后答题",
            questions=paper, time_limit=600,
        )  # fmt: skip
    with as_of(opens):
        quiz = services.quiz_open(actor=actor, quiz=quiz)
    attendees = list(Attendance.objects.filter(session=session).values_list("person_id", flat=True))
    for person_id in rng.sample(attendees, int(len(attendees) * 0.88)):
        skill = min(0.98, max(0.3, rng.gauss(0.78, 0.14)))  # most do well, a few struggle
        given = {}
        for position, q in enumerate(paper, start=1):
            if rng.random() < skill:
                given[str(position)] = list(q.answer)
            else:
                wrong = [i for i in range(len(q.options)) if [i] != q.answer]
                given[str(position)] = [rng.choice(wrong)]
        answers.submit(
            person_id=person_id, quiz_id=quiz.pk, answers=given,
            now=opens + timedelta(seconds=rng.randint(90, 560)),
        )  # fmt: skip
    with as_of(opens + timedelta(seconds=600)):
        return services.quiz_close(actor=actor, quiz=quiz)
