"""Registry figures: search by name, pinyin, initials and employer at two sizes of the
registry (the full scale's 1,000,000 people against 100,000), each against a primary-key
fetch of the same page, with ``icontains`` beside it for comparison; the Excel import against
reading its file; the export's peak memory at ten times the rows.

The two sizes: the registry is built to the smaller size, copied into a second database
(``Sizes``), then grown to the larger one, so the larger holds the very same people and
more. The searches run on both, interleaved (each timed call switches the connection), so
that both sizes see the same machine at the same moments: the machine is shared, and a
figure measured an hour after the other would compare two loads, not two sizes.

The data: the demo tree (streets and grassroots unions under every district), people built
in bulk by the demo's ``build_people`` (with memberships and search keys), names drawn from
realistic frequencies (surnames and given names by rank, thousands of 王伟 and 张伟, rare
names, 2- and 3-character names), a share of people with employers (``people.Unit``, set
before indexing so ``e:`` keys exist), and awards of the seeded catalogue bulk-created for
random holders. Searches run as district staff of 朝阳 (~1/11 of the people) and as city
staff (everyone); query samples are drawn from the district's people, so common names come
up as often as they are common.
"""

import gc
import io
import random
import re
import sqlite3
import tempfile
import time
import tracemalloc
from array import array
from bisect import bisect
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from pathlib import Path

import openpyxl
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Count, QuerySet
from faker import Faker
from measure import comparison, figure, interleaved, make_user, note, p95, page_cache

from gonghui.audit.models import AuditEvent
from gonghui.common.pagination import PAGE_SIZE, page_of
from gonghui.common.pinyin import sort_key
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person, SearchKey, Unit
from gonghui.registry.models import Award, Category, Honour
from gonghui.registry.selectors import PersonFilters, count_cap, person_search
from gonghui.web import demo


@dataclass(frozen=True)
class Scale:
    people: int
    base_people: int  # the smaller registry the search is compared with (see ``Sizes``)
    awards: int
    employers_per_union: int  # people.Unit rows per grassroots union
    reps: int  # timed searches per class and side (page, rows, pk)
    icontains_reps: int  # timed searches per class against icontains (a full scan each)
    city_reps: int  # timed searches per class as city staff
    import_rows: int  # rows of the imported workbook
    import_reps: int


SCALES = {
    "small": Scale(
        people=50_000,
        base_people=5_000,
        awards=15_000,
        employers_per_union=2,
        reps=200,
        icontains_reps=30,
        city_reps=100,
        import_rows=10_000,
        import_reps=2,
    ),
    "full": Scale(
        people=1_000_000,
        base_people=100_000,
        awards=300_000,
        employers_per_union=8,
        reps=400,
        icontains_reps=40,
        city_reps=200,
        import_rows=100_000,
        import_reps=3,
    ),
}
SEED = 20260611
QUERIED_DISTRICT = "110105"  # 朝阳区: 6 of the demo's 62 streets
GRASSROOTS_PER_STREET = 6
EMPLOYED = 0.4  # share of people with an employer
SAMPLES = 120  # query draws per class (cycled through by the timed reps)
SEARCH_TARGET = 10  # p95 of a page within 10x a primary-key fetch of the same page
GROWTH_TARGET = 1.5  # p95 of a page at the larger size within 1.5x of the smaller size's
# (icontains is printed beside them as a comparison, with no target: at district scope no
# page can cost less than 1/100 of a scan of the whole registry)
BASE_SUFFIX = "_base"  # the smaller registry's database: the bench database's name + this
IMPORT_TARGET = 4
# Regions of the imported people's resident IDs (valid since before 1960; none is the
# demo's Beijing): each workbook one, and a run on reused data takes the next unused ones
# (after all 17, the next block of sequence numbers: see ``workbook``).
IMPORT_REGIONS = [
    "120101",
    "120102",
    "120103",
    "120104",
    "120105",
    "120106",
    "120110",
    "120111",
    "120112",
    "120113",
    "310101",
    "310104",
    "310105",
    "310106",
    "310107",
    "310109",
    "310110",
]
EXPORT_TARGET = 1.2


def run(scale_name: str, reuse: bool = False, only: str | None = None) -> Iterator[str]:
    """``reuse``: measure again on the data an earlier run built (``--reuse``), e.g. after a
    change to the code measured; the imports then use resident IDs no earlier run used.
    ``only``: just the "search", "import" or "export" figures (a fresh run still builds all
    the data: the full export alone takes half an hour)."""
    scale = SCALES[scale_name]
    note(f"database: {connection.vendor}; {scale}; {'reusing the data' if reuse else 'fresh'}")
    rng = random.Random(SEED + reuse * Person.objects.count())
    fake = Faker("zh_CN")
    fake.seed_instance(SEED)
    city = OrgUnit.objects.get(parent__isnull=True)
    district = OrgUnit.objects.get(code=QUERIED_DISTRICT)
    users = (
        ("bench-city-admin", city, "city_admin"),
        ("bench-city-staff", city, "dept_staff"),
        ("bench-district-staff", district, "district_staff"),
    )
    sizes = Sizes(scale)
    if reuse:
        admin, city_staff, staff = (get_user_model().objects.get(username=u) for u, *_ in users)
        note(f"  {Person.objects.count()} people, {Award.objects.count()} awards")
        names = None
        if only in (None, "search"):
            sizes.open_base()
            with sizes.use(sizes.base):
                names = Names.counted(rng)  # the queries are drawn from the smaller registry
        for label in sizes.labels:
            with sizes.use(label):
                analyze()
    else:
        admin, city_staff, staff = (make_user(*u) for u in users)
        names = build(scale, rng, fake, sizes)
    if only in (None, "search"):
        yield from searches(scale, rng, names, staff, city_staff, district, sizes)
    if only in (None, "import"):
        yield from excel_import(scale, rng, admin)
    if only == "export" or (only is None and not reuse):
        yield from excel_export(admin, district)
    elif only is None:
        note("export: not measured on reused data (--only export, or a fresh run: half an hour)")


# --- The data ---------------------------------------------------------------------------------

# Surnames by rank (王 李 张 ~7% each, then a long tail); polyphonic and compound ones rare.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关"
)
SURNAME_WEIGHTS = [7.1, 7.0, 6.7, 5.4, 4.5, 3.1, 2.2, 2.0, 2.0, 1.9]  # the top ten, in percent
RARE_SURNAMES = [
    *"单解仇区朴查盖缪乐折员召种秘燕那薄谌句宿冼隗禚阚卜",
    *("欧阳", "司马", "上官", "诸葛", "令狐", "尉迟", "长孙", "万俟", "端木", "皇甫"),
]
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欣佳颖婷雪琳"
    "晶丹玲萍红燕梅莉兰凤洁玉英慧巍毅峰亮成东雷阳晨博文彬建国志海春秀桂金荣德庆永福新利生海"
    "子涵梓轩一诺嘉怡思雨晓云天翔振兴立华玉珍淑贤秋月"
)
DOUBLE_GIVEN = [
    "秀英",
    "桂英",
    "秀兰",
    "玉兰",
    "桂兰",
    "秀珍",
    "凤英",
    "玉梅",
    "建华",
    "建国",
    "建军",
    "志强",
    "志明",
    "海燕",
    "丽娟",
    "俊杰",
    "子涵",
    "浩然",
    "欣怡",
    "梓涵",
    "一诺",
    "宇轩",
    "晓东",
    "国强",
    "红梅",
    "春梅",
    "丽华",
    "文杰",
    "志刚",
    "永刚",
    "立新",
    "海涛",
    "金凤",
    "淑珍",
    "明辉",
    "晓燕",
]
RARE_GIVEN = "彧翀昶赟玥琰瑀頔淼燚犇骉晔煜暄翊珺婕璐曦熠珩琮璟翾曌甯玹瑨昳旻赜蕤綦"
# Employer names: 北京 + a name + a trade + a kind.
EMPLOYER_TRADES = [
    "建工",
    "机械",
    "电力",
    "燃气",
    "地铁",
    "公交",
    "医药",
    "汽车",
    "电子",
    "精密",
    "制造",
    "物流",
    "环境",
    "能源",
    "水务",
    "热力",
    "食品",
    "纺织",
    "印刷",
    "化工",
    "钢铁",
    "通信",
    "软件",
    "建材",
    "铁路",
    "航空",
    "仪表",
    "照明",
    "服装",
    "粮油",
]
EMPLOYER_KINDS = ("有限公司", "集团有限公司", "股份有限公司", "厂", "研究院", "有限责任公司")
COMMON_NAMES = ("王伟", "张伟")
COMMON_SHARE = 0.0025  # of people named each of COMMON_NAMES on purpose (more come naturally)
RARE_SHARE = 0.02


def zipf(count: int, s: float = 1.0, head: list[float] | None = None) -> list[float]:
    """Cumulative weights for ``count`` items by rank (``head`` fixes the first ones)."""
    weights = [1 / (rank + 1) ** s for rank in range(count)]
    if head:
        tail = sum(weights[len(head) :])
        scale = (100 - sum(head)) / tail
        weights = list(head) + [w * scale for w in weights[len(head) :]]
    return list(accumulate(weights))


class Names:
    """Chinese names drawn by realistic frequency, counted as they are made."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.surnames = list(SURNAMES)
        self.surname_cum = zipf(len(self.surnames), 1.1, SURNAME_WEIGHTS)
        self.given = list(dict.fromkeys(GIVEN))
        self.given_cum = zipf(len(self.given), 1.0)
        self.double_cum = zipf(len(DOUBLE_GIVEN), 1.0)
        self.counts: Counter[str] = Counter()

    @classmethod
    def counted(cls, rng: random.Random) -> "Names":
        """The names as an earlier run made them, counted in the database."""
        names = cls(rng)
        rows = Person.objects.values("name").annotate(n=Count("pk")).values_list("name", "n")
        names.counts.update(dict(rows))
        return names

    def pick(self, items: list[str], cum: list[float]) -> str:
        return items[bisect(cum, self.rng.random() * cum[-1])]

    def draw(self) -> str:
        r = self.rng.random()
        if r < COMMON_SHARE * len(COMMON_NAMES):
            name = COMMON_NAMES[int(r / COMMON_SHARE)]
        elif r < COMMON_SHARE * len(COMMON_NAMES) + RARE_SHARE:
            given = "".join(self.rng.choice(RARE_GIVEN) for _ in range(self.rng.choice((1, 2))))
            name = self.rng.choice(RARE_SURNAMES) + given
        else:
            surname = self.pick(self.surnames, self.surname_cum)
            kind = self.rng.random()
            if kind < 0.3:
                given = self.pick(self.given, self.given_cum)
            elif kind < 0.7:
                given = self.pick(DOUBLE_GIVEN, self.double_cum)
            else:
                given = self.pick(self.given, self.given_cum) + self.pick(
                    self.given, self.given_cum
                )
            name = surname + given
        self.counts[name] += 1
        return name


@dataclass
class BenchPeople(demo.PeopleGenerator):
    """The demo's generator with realistic names and, for a share of people, an employer of
    their grassroots union (set before ``build_people`` indexes them, so ``e:`` keys exist)."""

    names: Names = None
    employers: dict[int, list[Unit]] = field(default_factory=dict)

    def person(self, unit: OrgUnit) -> Person:
        person = super().person(unit)
        person.name = self.names.draw()
        if self.rng.random() < EMPLOYED:
            person.employer = self.rng.choice(self.employers[unit.pk])
        return person


def employer_names(rng: random.Random, fake: Faker, count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        prefix = fake.company_prefix()[-rng.choice((2, 2, 3)) :]
        kind = rng.choice(EMPLOYER_KINDS)
        names.add(f"北京{prefix}{rng.choice(EMPLOYER_TRADES)}{kind}")
    out = sorted(names)
    rng.shuffle(out)
    return out


def build(scale: Scale, rng: random.Random, fake: Faker, sizes: "Sizes") -> Names:
    """The registry at ``scale.base_people`` people, copied into the smaller size's
    database, then grown to ``scale.people``. Returns the names of the smaller registry (the
    queries are drawn from its people)."""
    start = time.perf_counter()
    with transaction.atomic():
        grassroots = demo.build_tree(fake, rng, GRASSROOTS_PER_STREET)
    per = scale.employers_per_union
    titles = employer_names(rng, fake, per * len(grassroots))
    units = Unit.objects.bulk_create(
        Unit(name=titles[i * per + j], org_unit=union)
        for i, union in enumerate(grassroots)
        for j in range(per)
    )
    employers: dict[int, list[Unit]] = {}
    for unit in units:
        employers.setdefault(unit.org_unit_id, []).append(unit)
    tree_s = time.perf_counter() - start
    note(f"tree: {len(grassroots)} grassroots unions, {len(units)} employers in {tree_s:.1f} s")

    names = Names(rng)
    gen = BenchPeople(rng, fake, names=names, employers=employers)
    people_s = awards_s = 0.0
    base_awards = scale.awards * scale.base_people // scale.people
    base_names = None
    for people, awards in (
        (scale.base_people, base_awards),
        (scale.people - scale.base_people, scale.awards - base_awards),
    ):
        start = time.perf_counter()
        build_people(gen, grassroots, people)
        people_s += time.perf_counter() - start
        made, keys = Person.objects.count(), SearchKey.objects.count()
        note(
            f"people: {made} with memberships and {keys} search keys ({keys / made:.1f} a "
            f"person) in {people_s:.1f} s; "
            f"{sum(n for n in names.counts.values() if n == 1)} unique names, "
            + ", ".join(f"{n} x{names.counts[n]}" for n in COMMON_NAMES)
        )
        start = time.perf_counter()
        made = build_awards(awards, rng, fake, units)
        awards_s += time.perf_counter() - start
        note(f"awards: {made} more in {awards_s:.1f} s")
        analyze()
        if base_names is None:
            base_names = Names(rng)
            base_names.counts = Counter(names.counts)
            sizes.copy_base()
    note(f"build: {tree_s + people_s + awards_s:.1f} s in all")
    with sizes.use(sizes.base):
        analyze()  # the copy's files read once, as the larger one's were
    return base_names


def build_people(gen: BenchPeople, grassroots: list[OrgUnit], count: int) -> int:
    """The demo's bulk path (people, memberships and search keys), with a rate on stderr."""
    start, reported = time.perf_counter(), [0]

    def progress(n: int) -> None:
        reported[0] += n
        if reported[0] % max(count // 10, 5000) < n:
            rate = reported[0] / (time.perf_counter() - start)
            note(f"  people: {reported[0]} ({rate:.0f}/s)")

    return demo.build_people(gen, grassroots, count, progress=progress)


def analyze() -> None:
    """Fresh planner statistics (and on PostgreSQL a visibility map, for index-only scans),
    as a database that has lived a while under autovacuum would have; then the database's
    files read once, so that the operating system caches them as it would on a server that
    has served the registry for a while (a run on reused data otherwise measures the disk:
    here the page cache had kept under half of the files, and an import's random index
    reads went to the disk)."""
    start = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            cursor.execute(
                "SELECT sum(pg_prewarm(c.oid::regclass, 'read')) FROM pg_class c"
                " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i')"
            )
            (blocks,) = cursor.fetchone()
            size = int(blocks) * 8192
        else:
            cursor.execute("ANALYZE")
            path = Path(connection.settings_dict["NAME"])
            with path.open("rb") as db:
                while db.read(1 << 24):
                    pass
            size = path.stat().st_size
    note(
        f"analyze and warm {size / 1e9:.1f} GB: {time.perf_counter() - start:.1f} s; "
        f"OS page cache {page_cache()}"
    )


def build_awards(count: int, rng: random.Random, fake: Faker, units: list[Unit]) -> int:
    """``count`` awards: 98% to random people (district titles only within their
    district), the rest collective honours to random units; a third with category tags, most
    with deeds."""
    paths = dict(OrgUnit.objects.values_list("pk", "path"))
    person_pks, person_units = array("q"), array("q")
    for pk, unit_id in Person.objects.values_list("pk", "org_unit_id").iterator(chunk_size=20000):
        person_pks.append(pk)
        person_units.append(unit_id)
    honours = list(Honour.objects.select_related("conferring_unit"))
    individual = [h for h in honours if h.subject == Honour.Subject.INDIVIDUAL]
    collective = [h for h in honours if h.subject == Honour.Subject.COLLECTIVE]
    general = [h for h in individual if h.level != Honour.Level.DISTRICT]
    local = [h for h in individual if h.level == Honour.Level.DISTRICT]
    categories = list(Category.objects.values_list("pk", flat=True))
    deeds = [fake.paragraph(nb_sentences=6) for _ in range(200)]
    # Awards made before (the smaller registry's, when growing it): never made twice.
    seen: set[tuple] = set(
        Award.objects.filter(person__isnull=False).values_list("honour_id", "year", "person_id")
    )
    seen.update(
        Award.objects.filter(unit__isnull=False).values_list("honour_id", "year", "unit_id")
    )
    made = 0

    def award(honour: Honour, org_unit_id: int, **holder) -> Award | None:
        year = rng.randrange(max(honour.first_year, 1980), 2026)
        key = (honour.pk, year, *holder.values())
        if key in seen:
            return None
        seen.add(key)
        batch = f"第{(year - 1952) // 5 + 1}批" if honour.cycle == "每五年" else ""
        return Award(
            honour=honour,
            org_unit_id=org_unit_id,
            year=year,
            batch=batch,
            deeds=rng.choice(deeds) if rng.random() < 0.8 else "",
            **holder,
        )

    while made < count:
        batch: list[Award] = []
        while len(batch) < min(5000, count - made):
            if rng.random() < 0.02:
                unit = rng.choice(units)
                item = award(rng.choice(collective), unit.org_unit_id, unit_id=unit.pk)
            else:
                i = rng.randrange(len(person_pks))
                path = paths[person_units[i]]
                mine = [h for h in local if path.startswith(h.conferring_unit.path)]
                honour = rng.choice(general + mine * 4)
                item = award(honour, person_units[i], person_id=person_pks[i])
            if item is not None:
                batch.append(item)
        with transaction.atomic():
            created = Award.objects.bulk_create(batch)
            Award.categories.through.objects.bulk_create(
                Award.categories.through(award_id=a.pk, category_id=c)
                for a in created
                if rng.random() < 0.33
                for c in rng.sample(categories, rng.randrange(1, 3))
            )
        made += len(batch)
    return made


# --- 1. Search ---------------------------------------------------------------------------------

CLASSES = {
    "rare": "rare name (one person of that name)",
    "common": "common name (王伟/张伟)",
    "2char": "2-character name",
    "3char": "3-character name",
    "pinyin": "full pinyin",
    "initials": "initials",
    "employer": "employer fragment",
}
ICONTAINS_COLUMN = {
    "rare": "name",
    "common": "name",
    "2char": "name",
    "3char": "name",
    "employer": "employer__name",
}  # pinyin and initials: no column holds them, so there is nothing to icontains


def query_samples(rng: random.Random, names: Names, district: OrgUnit) -> dict[str, list[str]]:
    """SAMPLES queries of each class, drawn from the district's people (so by frequency)."""
    in_scope = Person.objects.filter(access.subtree_q(district, via="org_unit"))
    pks = list(in_scope.values_list("pk", flat=True))
    drawn = rng.sample(pks, min(len(pks), 20_000))
    people = [
        row
        for start in range(0, len(drawn), 2000)
        for row in Person.objects.filter(pk__in=drawn[start : start + 2000]).values_list(
            "name", "employer__name"
        )
    ]
    rng.shuffle(people)
    by_length = [n for n, _ in people]
    pools = {
        "rare": [n for n in by_length if names.counts[n] == 1],
        "common": [n for n in by_length if n in COMMON_NAMES],
        "2char": [n for n in by_length if len(n) == 2],
        "3char": [n for n in by_length if len(n) == 3],
        "pinyin": ["".join(syllables(n)) for n in by_length],
        "initials": [initials(n) for n in by_length if len(n) >= 2],
        "employer": [fragment(rng, e) for _, e in people if e],
    }
    samples = {}
    for name, pool in pools.items():
        if not pool:
            raise RuntimeError(f"no {name} queries among the district's people")
        samples[name] = [pool[i % len(pool)] for i in range(SAMPLES)]
    return samples


def syllables(name: str) -> list[str]:
    """The usual reading of ``name`` (the surname table's, then pypinyin's), as typed."""
    return re.split(r"[0 ]", sort_key(name))


def initials(name: str) -> str:
    return "".join(s[0] for s in syllables(name))


def fragment(rng: random.Random, employer: str) -> str:
    """What a user types of an employer: 2-4 characters of its distinctive part."""
    body = employer.removeprefix("北京")
    for kind in EMPLOYER_KINDS:
        body = body.removesuffix(kind)
    length = min(len(body), rng.choice((2, 2, 3, 4)))
    start = rng.randrange(len(body) - length + 1)
    return body[start : start + length]


def searches(
    scale: Scale,
    rng: random.Random,
    names: Names,
    staff,
    city_staff,
    district: OrgUnit,
    sizes: "Sizes",
) -> Iterator[str]:
    with sizes.use(sizes.base):  # drawn from the smaller registry: its people are in both
        samples = query_samples(rng, names, district)
    for name, queries in samples.items():
        yield from search_class(scale, name, queries, staff, city_staff, sizes)
        note(f"  OS page cache {page_cache()}")


class Sizes:
    """The registry at its two sizes, each in its own database: the larger is the bench
    database, the smaller (``base``) a copy of it made when it had ``scale.base_people``
    people (``copy_base``: SQLite's online backup, page for page; PostgreSQL's CREATE
    DATABASE ... TEMPLATE, file for file), so both have the same physical layout for the
    same rows. ``use(label)`` makes one of them the default connection (every query of the
    code measured goes to it); switching costs an attribute assignment."""

    def __init__(self, scale: Scale):
        self.base, self.full = size_label(scale.base_people), size_label(scale.people)
        self.labels = (self.base, self.full)
        self.wrappers = {self.full: connections[DEFAULT_DB_ALIAS]}

    def _base_settings(self) -> dict:
        settings = dict(self.wrappers[self.full].settings_dict)
        if connection.vendor == "sqlite":
            path = Path(settings["NAME"])
            settings["NAME"] = str(path.with_name(f"{path.stem}{BASE_SUFFIX}{path.suffix}"))
        else:
            settings["NAME"] = f"{settings['NAME']}{BASE_SUFFIX}"
        return settings

    def copy_base(self) -> None:
        """The bench database as it is now, copied into the smaller size's database."""
        start = time.perf_counter()
        settings = self._base_settings()
        if connection.vendor == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{settings['NAME']}{suffix}").unlink(missing_ok=True)
            connection.ensure_connection()
            target = sqlite3.connect(settings["NAME"])
            with target:
                connection.connection.backup(target)
            target.close()
        else:
            import psycopg

            connection.close()  # a template database must have no other session
            server = {
                "host": settings["HOST"],
                "port": settings["PORT"] or 5432,
                "user": settings["USER"],
                "password": settings["PASSWORD"] or None,
            }
            with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{settings["NAME"]}" WITH (FORCE)')
                main = self.wrappers[self.full].settings_dict["NAME"]
                admin.execute(f'CREATE DATABASE "{settings["NAME"]}" TEMPLATE "{main}"')
        note(f"copied into {settings['NAME']} in {time.perf_counter() - start:.1f} s")
        self.open_base()

    def open_base(self) -> None:
        alias, settings = f"bench{BASE_SUFFIX}", self._base_settings()
        if connection.vendor == "sqlite" and not Path(settings["NAME"]).exists():
            raise RuntimeError(f"no {settings['NAME']}: build both sizes afresh (no --reuse)")
        connections.settings[alias] = settings
        self.wrappers[self.base] = connections[alias]

    @contextmanager
    def use(self, label: str):
        self.switch(label)
        try:
            yield
        finally:
            self.switch(self.full)

    def switch(self, label: str) -> None:
        connections[DEFAULT_DB_ALIAS] = self.wrappers[label]


def size_label(people: int) -> str:
    """100000 -> "100k", 1000000 -> "1m"."""
    if people % 1_000_000 == 0:
        return f"{people // 1_000_000}m"
    return f"{people // 1000}k" if people % 1000 == 0 else str(people)


class Cycle:
    """The query of the current rep: the first side of each rep moves on to the next."""

    def __init__(self, queries: list[str]):
        self.queries = queries
        self.i = -1

    def next(self) -> str:
        self.i += 1
        return self.current

    @property
    def current(self) -> str:
        return self.queries[self.i % len(self.queries)]


def search(actor, query: str):
    access.forget(actor)  # a request reads the actor's posts afresh
    return person_search(actor=actor, filters=PersonFilters(query=query))


def first_page(actor, query: str) -> tuple[list[int], int]:
    # As the staff page and the API do: the count stops at the search's cap.
    page = page_of(search(actor, query), 1, count_cap=count_cap(PersonFilters(query=query)))
    return [p.pk for p in page], page.paginator.count


def search_class(
    scale: Scale, name: str, queries: list[str], staff, city_staff, sizes: Sizes
) -> Iterator[str]:
    """The first page of each query, with its count, at both sizes (interleaved) and the
    same page fetched by primary key at each; as district staff, also the rows alone."""
    for scope, actor, reps in (("", staff, scale.reps), ("_city", city_staff, scale.city_reps)):
        yield from scope_figures(scale, name, queries, scope, actor, reps, sizes)
    column = ICONTAINS_COLUMN.get(name)
    if column is None:
        note(f"  {name}: no column holds it, so no icontains to compare with")


def scope_figures(
    scale: Scale, name: str, queries: list[str], scope: str, actor, reps: int, sizes: Sizes
) -> Iterator[str]:
    """``search_class`` for one scope: district staff (``scope`` "") or city staff."""
    # Untimed: each query's first page (for the pk side) and its count, at each size.
    found: dict[str, dict[str, tuple[list[int], int]]] = {}
    for label in sizes.labels:
        with sizes.use(label):
            found[label] = {q: first_page(actor, q) for q in dict.fromkeys(queries)}
        empty = sorted(q for q, (ids, _) in found[label].items() if not ids)
        if empty and not scope:
            note(f"BUG? {name}: no result at {label} for the district's people: {empty}")
    if not scope:
        hits = {
            label: sorted(count for _, count in found[label].values()) for label in sizes.labels
        }
        note(
            f"{CLASSES[name]}: {len(found[sizes.base])} distinct of {len(queries)} drawn, "
            f"e.g. {', '.join(list(found[sizes.base])[:6])}; in-scope hits median/max "
            + ", ".join(f"{label} {h[len(h) // 2]}/{h[-1]}" for label, h in hits.items())
        )
    cycle = Cycle(queries)
    sides: dict[str, Callable[[], object]] = {}
    for label in sizes.labels:
        ids = found[label]

        def page(label=label) -> None:
            sizes.switch(label)
            first_page(actor, cycle.current)

        def by_pk(label=label, ids=ids) -> None:
            sizes.switch(label)
            list(Person.objects.filter(pk__in=ids[cycle.current][0]))

        def rows(label=label) -> None:
            sizes.switch(label)
            list(search(actor, cycle.current)[:PAGE_SIZE])

        sides[f"page_{label}"], sides[f"pk_{label}"] = page, by_pk
        if not scope:
            sides[f"rows_{label}"] = rows
    first = next(iter(sides))
    turn = sides[first]
    sides[first] = lambda turn=turn: (cycle.next(), turn())
    try:
        times = interleaved(sides, reps, warmup=10)
    finally:
        sizes.switch(sizes.full)
    p = {side: p95(samples) for side, samples in times.items()}
    who = "city staff" if scope else "district staff"
    for label in sizes.labels:
        rows_note = f", rows only {p[f'rows_{label}'] * 1000:.2f} ms" if not scope else ""
        note(
            f"  {who} at {label}, p95 of {reps}: page with count "
            f"{p[f'page_{label}'] * 1000:.2f} ms{rows_note}, same page by pk "
            f"{p[f'pk_{label}'] * 1000:.2f} ms"
        )
        yield to_pk(f"registry.search_{name}{scope}_p95_{label}", p, "page", label)
    if not scope:
        yield to_pk(f"registry.search_{name}_rows_p95_{sizes.full}", p, "rows", sizes.full)
    yield figure(
        f"registry.search_{name}{scope}_p95_growth",
        p[f"page_{sizes.full}"] * 1000,
        "ms",
        f"ratio_{sizes.full}_to_{sizes.base}",
        p[f"page_{sizes.full}"] / p[f"page_{sizes.base}"],
        GROWTH_TARGET,
    )

    column = ICONTAINS_COLUMN.get(name)
    if column is None:
        return
    if not scope:
        check_superset(name, found[sizes.full], column, actor)
    for label in sizes.labels:
        pages = {q: ids for q, (ids, _) in found[label].items()}
        with sizes.use(label):
            line = against_icontains(
                name, scope, label, column, queries, actor, scale.icontains_reps, pages
            )
        yield line


def to_pk(name: str, p95s: dict[str, float], side: str, label: str) -> str:
    """The figure of ``side`` at size ``label`` against the same page fetched by pk."""
    value, pk = p95s[f"{side}_{label}"], p95s[f"pk_{label}"]
    return figure(name, value * 1000, "ms", "ratio_to_pk", value / pk, SEARCH_TARGET)


def scanner(column: str, actor) -> Callable[[str], QuerySet]:
    """The page as ``icontains`` on ``column`` finds it: the same scope, order and page."""

    def scan(query: str) -> QuerySet:
        access.forget(actor)
        qs = access.restrict(
            Person.objects.with_related(),
            actor,
            "registry.view",
            self_via="user",
        )
        qs = qs.filter(merged_into__isnull=True, **{f"{column}__icontains": query})
        return qs.order_by("name_sort", "pk")[:PAGE_SIZE]

    return scan


def statements(run: Callable[[], object]) -> list[tuple[str, tuple]]:
    """The SQL that ``run`` executes, with its parameters."""
    seen = []

    def record(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        run()
    return seen


def raw_rows(recorded: list[tuple[str, tuple]]) -> None:
    """Recorded SQL executed again, its rows fetched as tuples: the database's share alone."""
    with connection.cursor() as cursor:
        for sql, params in recorded:
            cursor.execute(sql, params)
            cursor.fetchall()


def against_icontains(
    name: str,
    scope: str,
    label: str,
    column: str,
    queries: list[str],
    actor,
    reps: int,
    pages: dict[str, list[int]],
) -> str:
    """Search against ``icontains`` (rows only), as district staff (``scope`` "") or as city
    staff (``"_city"``: the whole registry), on the registry of size ``label``: a comparison
    printed beside the search's figures, with no target.

    A third side shows the floor: the same page (``pages``: each query's ids) fetched by
    primary key with the same related rows, which both sides build as model instances. No
    search returning that page can be faster, so ``floor / icontains`` is the best ratio
    this page allows on this machine.

    Two more sides show the database's share: the SQL each side ran (its grants query
    too), recorded beforehand and executed again with its rows fetched as tuples (no
    queryset to build or compile, no model instances)."""
    cycle, scan = Cycle(queries), scanner(column, actor)
    sql = {
        q: (
            statements(lambda q=q: list(search(actor, q)[:PAGE_SIZE])),
            statements(lambda q=q: list(scan(q))),
        )
        for q in dict.fromkeys(queries)
    }

    def searched() -> None:
        list(search(actor, cycle.next())[:PAGE_SIZE])

    def scanned() -> None:
        list(scan(cycle.current))

    def floor() -> None:
        list(Person.objects.with_related().filter(pk__in=pages[cycle.current]))

    sides = {
        "search": searched,
        "icontains": scanned,
        "floor": floor,
        "search_sql": lambda: raw_rows(sql[cycle.current][0]),
        "icontains_sql": lambda: raw_rows(sql[cycle.current][1]),
    }
    times = interleaved(sides, reps, warmup=2)
    search_p95, scan_p95, floor_p95, search_sql, scan_sql = (p95(times[s]) for s in sides)
    note(
        f"  {'city' if scope else 'district'} staff at {label}, rows only, p95 of {reps}: "
        f"search {search_p95 * 1000:.2f} ms, {column}__icontains (same scope, order and page) "
        f"{scan_p95 * 1000:.1f} ms; floor (the page by pk, same related rows) "
        f"{floor_p95 * 1000:.2f} ms, the best ratio it allows {floor_p95 / scan_p95:.3g}; "
        f"their SQL alone: search {search_sql * 1000:.2f} ms, icontains "
        f"{scan_sql * 1000:.1f} ms, ratio {search_sql / scan_sql:.3g}"
    )
    return comparison(
        f"registry.search_{name}{scope}_icontains_p95_{label}",
        scan_p95 * 1000,
        "ms",
        "ratio_search_to_icontains",
        search_p95 / scan_p95,
    )


def check_superset(name: str, found: dict, column: str, staff) -> None:
    """Search finds everything icontains finds (it also matches the employer for Chinese)."""
    scan = scanner(column, staff)
    for query in list(found)[:5]:
        scanned = {p.pk for p in scan(query)}
        ids = set(search(staff, query).filter(pk__in=scanned).values_list("pk", flat=True))
        if scanned - ids:
            note(f"BUG? {name} {query!r}: icontains finds {sorted(scanned - ids)[:5]}, search not")


# --- 2. Excel ----------------------------------------------------------------------------------


def workbook(rng: random.Random, rows: int, run: int, imports_before: int = 0) -> bytes:
    from gonghui.common.pii import id_check_digit
    from gonghui.registry.excel import COLUMNS

    units = list(OrgUnit.objects.filter(level=OrgUnit.Level.GRASSROOTS).values_list("code"))
    honours = list(
        Honour.objects.filter(subject=Honour.Subject.INDIVIDUAL)
        .exclude(level=Honour.Level.DISTRICT)
        .filter(prerequisites__isnull=True)
        .values_list("name", "first_year")
    )
    names = Names(rng)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("人员与荣誉")
    sheet.append(list(COLUMNS.values()))
    # The k-th workbook ever imported takes a region, and once every region has had one, the
    # next 120 sequence numbers (an even step: the sequence's parity is the gender).
    k = run + imports_before
    region, first_sequence = IMPORT_REGIONS[k % len(IMPORT_REGIONS)], k // len(IMPORT_REGIONS) * 120
    if rows > 120 * 840 or first_sequence + rows // 840 >= 1000:
        raise RuntimeError("no resident IDs left for another import: run the bench afresh")
    for n in range(rows):
        birth = date(1960 + n % 40, 1 + n % 12, 1 + n % 28)  # 840 dates in turn
        # (region, date, sequence) unique
        body = f"{region}{birth:%Y%m%d}{first_sequence + n // 840:03d}"
        honour, first = rng.choice(honours)
        values = {
            "name": names.draw(),
            "gender": "男" if n // 840 % 2 else "女",  # the sequence's parity
            "birth_date": birth.isoformat(),
            "id_number": body + id_check_digit(body),
            "phone": f"13{n:09d}",
            "org_unit": rng.choice(units)[0],
            "honour": honour,
            "year": str(rng.randrange(max(first, 1990), 2026)),
            "deeds": "长期扎根一线，攻克多项技术难题。",
        }
        sheet.append([values.get(key, "") for key in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def excel_import(scale: Scale, rng: random.Random, admin) -> Iterator[str]:
    from gonghui.registry.excel import registry_import

    start = time.perf_counter()
    before = AuditEvent.objects.filter(action="registry.import").count()
    files = [workbook(rng, scale.import_rows, run, before) for run in range(scale.import_reps)]
    note(
        f"import: {scale.import_reps} workbooks of {scale.import_rows} new people with an "
        f"award each, {len(files[0]) / 1e6:.1f} MB, made in {time.perf_counter() - start:.1f} s"
    )
    turn = Cycle(list(range(len(files))))

    def read() -> None:
        data = files[turn.next()]
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        list(book.worksheets[0].iter_rows(values_only=True))
        book.close()

    def imported() -> None:
        result = registry_import(actor=admin, data=files[turn.current], filename="bench.xlsx")
        if result.people_created != scale.import_rows:
            raise RuntimeError(f"import: {result.summary()}")

    times = interleaved({"read": read, "import": imported}, scale.import_reps, reset=gc.collect)
    read_s, import_s = min(times["read"]), min(times["import"])  # each file once: the best
    note(
        f"import: best of {scale.import_reps}: import {import_s:.1f} s "
        f"({scale.import_rows / import_s:.0f} rows/s), openpyxl read alone {read_s:.2f} s; "
        f"all: import {[round(t, 1) for t in times['import']]}, "
        f"read {[round(t, 2) for t in times['read']]}; OS page cache {page_cache()}"
    )
    yield figure(
        "registry.import", import_s, "s", "ratio_to_read", import_s / read_s, IMPORT_TARGET
    )


def excel_export(admin, district: OrgUnit) -> Iterator[str]:
    from gonghui.registry.excel import registry_export

    def peak(filters: PersonFilters) -> tuple[int, float, int]:
        gc.collect()
        with tempfile.TemporaryFile() as out:
            tracemalloc.start()
            start = time.perf_counter()
            rows = registry_export(actor=admin, out=out, filters=filters)
            elapsed = time.perf_counter() - start
            _, top = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        return rows, elapsed, top

    sides = {"district": PersonFilters(org_unit=district.pk), "city": PersonFilters()}
    result = {}
    for side in ("district", "city"):
        rows, elapsed, top = peak(sides[side])
        note(
            f"export {side}: {rows} rows in {elapsed:.1f} s (under tracemalloc), "
            f"peak {top / 1e6:.1f} MB"
        )
        result[side] = (rows, top)
    (small_rows, small), (large_rows, large) = result["district"], result["city"]
    yield figure(
        "registry.export_peak",
        large / 1e6,
        "MB",
        f"ratio_{large_rows}_to_{small_rows}_rows",
        large / small,
        EXPORT_TARGET,
    )
