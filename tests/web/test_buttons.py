"""Issue 20, point 4: only what you may do is offered. On the real demo, for one login of
each role (picked as tests/test_crawl.py picks them), the walk opens the home page and each
menu entry, then a sample of the pages their main content links to, and of those pages'
links in turn. On every page it opens it reads the main content (never the header or menu)
and checks that

- every link shown (``href``, ``hx-get``) answers 200 for that login, after redirects, and
  never sends it to sign in;
- every form shown can be submitted by that login as a press of its button would: a GET
  form's page answers 200; a POST form (each of its submit buttons, each option of a
  select that chooses the action) is posted with the values the page put in it, inside a
  transaction rolled back afterwards, and is not refused — no 403, 404 or 405, no message
  saying the record is out of reach or the post lacks the permission. (The service may
  still refuse the empty or default input, as it would a careless user: that is an answer.)

Links and forms are sampled: at most ``SAMPLE`` of each kind (route name and query keys,
or route name and button) per login, so the walk stays within a minute or so."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from gonghui.nominations.models import Campaign, Nomination
from gonghui.nominations.workflow import AFTER_NOTICE, TRANSITIONS
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person
from gonghui.perks import passes
from tests.demo import demo_built
from tests.second_factor import mark_verified
from tests.test_crawl import Login, _logins

PEOPLE = 200  # the crawl's size: every kind of demo object is there (fewer may lack some)
# Besides one login of each role: the member with a card, claims and applications, and the
# notary (a login of no post, as the judge's).
EXTRA = ("huiyuan", "gongzheng")
SAMPLE = 1  # pages (or forms) of one kind opened per login
PAGING = {"page", "sort", "size", "per_page"}  # a list's other pages and orders: the same kind
DEPTH = 4  # home 0, menu entries 1, their links 2 (detail pages), and so on

SKIPPED = re.compile(r"^/(static|media)/|^/logout/|/events$")
# A refusal of who presses (scope, permission, level) or of a step the state does not allow.
REFUSALS = (
    "记录不存在或无权访问",
    "没有执行此操作的权限",
    "无权",
    "不在您的管理范围",
    "须由",
    "状态下不能",
)


@dataclass
class Walk:
    """What a login's walk found."""

    login: str
    opened: dict = field(default_factory=dict)  # url -> status
    posted: list = field(default_factory=list)  # (action, data, status)
    broken: list = field(default_factory=list)  # (where, what, why)
    seen: dict = field(default_factory=lambda: defaultdict(int))  # kind -> times


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with demo_built(django_db_blocker, people=PEOPLE):
        yield


@pytest.fixture(scope="module")
def walks(demo, django_db_blocker) -> dict[str, Walk]:
    with django_db_blocker.unblock():
        logins = [login for login in _logins() if login.user is not None]
        picked = {login.name for login in logins}
        User = get_user_model()
        logins += [
            Login.of(user)
            for user in User.objects.filter(username__in=EXTRA).exclude(username__in=picked)
        ]
        wall, cpu = time.perf_counter(), time.process_time()
        found = {login.name: _walk(login) for login in logins}
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"\nwalked as {len(found)} logins in {wall:.1f} s ({cpu:.1f} s CPU)")
        return found


def _kind(url: str, extra: str = "") -> str | None:
    parts = urlsplit(url)
    try:
        name = resolve(parts.path).view_name
    except Resolver404:
        return None
    keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair} - PAGING)
    return f"{name}?{','.join(keys)}{extra}"


def _client(login: Login) -> tuple[Client, dict]:
    client = Client(raise_request_exception=False)
    client.force_login(login.user)
    mark_verified(client.session, login.user)  # the walk runs before the tests' own patch
    person = Person.objects.filter(user=login.user).first()
    headers = {passes.HEADER: passes.issue(person.pk)} if person is not None else {}
    return client, headers


def _walk(login: Login) -> Walk:
    walk = Walk(login.name)
    client, headers = _client(login)
    home = client.get("/", headers=headers, follow=True)
    menu = [item["url"] for item in (home.context or {}).get("nav", [])]
    queue = [("/", 0, "首页")] + [(reverse(name), 1, "菜单") for name in menu]
    while queue:
        url, depth, where = queue.pop(0)
        if url in walk.opened:
            continue
        kind = _kind(url)
        if kind is None:
            walk.broken.append((where, url, "不是平台的地址"))
            continue
        if depth > 1 and walk.seen[kind] >= SAMPLE:
            continue
        walk.seen[kind] += 1
        with transaction.atomic():
            response = client.get(url, headers=headers, follow=True)
            body = _body(response)
            transaction.set_rollback(True)
        walk.opened[url] = response.status_code
        final = response.request["PATH_INFO"]
        if response.status_code != 200 or final.startswith("/login/"):
            walk.broken.append((where, url, f"{response.status_code} {final}"))
            continue
        if depth == DEPTH or not _is_page(response) or url.startswith("/admin/"):
            continue
        main = _main(body)
        if main is None:
            continue
        for link in _links(main, url):
            queue.append((link, depth + 1, url))
        for form in _forms(main, url):
            _submit(client, headers, walk, url, form)
    return walk


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _is_page(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


def _main(body: bytes):
    if not body.strip():  # an empty fragment (a tree node without children)
        return None
    root = lxml.html.fromstring(body)
    found = root.xpath("//main")
    return found[0] if found else None


def _internal(href: str | None, base: str) -> str | None:
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    url = urljoin(base, href)
    parts = urlsplit(url)
    if parts.scheme and parts.netloc not in ("", "testserver"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return None if SKIPPED.search(parts.path) else path


def _links(main, base: str) -> list[str]:
    found = []
    for element in main.xpath(".//a[@href] | .//*[@hx-get]"):
        if element.xpath("ancestor::form") and element.tag != "a":
            continue
        link = _internal(element.get("href") or element.get("hx-get"), base)
        if link and link not in found:
            found.append(link)
    return found


@dataclass
class Form:
    method: str
    action: str
    data: dict
    buttons: list  # (name, value) of each submit button, (None, None) when unnamed
    choices: dict  # select name -> its options' values (a select that chooses the action)


def _forms(main, base: str) -> list[Form]:
    forms = []
    for element in main.xpath(".//form"):
        action = _internal(element.get("action") or base, base)
        if action is None:
            continue
        data, choices = {}, {}
        for field_ in element.xpath(".//input[@name] | .//select[@name] | .//textarea[@name]"):
            name, kind = field_.get("name"), (field_.get("type") or "").lower()
            if field_.tag == "input" and kind in ("submit", "button", "file", "image"):
                continue
            if kind in ("checkbox", "radio") and field_.get("checked") is None:
                continue
            if field_.tag == "select":
                options = [o.get("value", o.text_content()) for o in field_.xpath(".//option")]
                picked = field_.xpath(".//option[@selected]")
                value = picked[0].get("value", picked[0].text_content()) if picked else None
                data[name] = value if value is not None else (options[0] if options else "")
                if name in ("action", "transition", "decision", "step", "to"):
                    choices[name] = [o for o in options if o]
            elif field_.tag == "textarea":
                data[name] = field_.text_content()
            else:
                data.setdefault(name, field_.get("value", "on" if kind == "checkbox" else ""))
        method = (element.get("method") or "get").lower()
        buttons = defaultdict(list)  # where each submit button sends the form
        submits = [
            b
            for b in element.xpath(".//button | .//input[@type='submit']")
            if (b.get("type") or "submit").lower() == "submit"
        ]
        for b in submits:
            if b.get("disabled") is None:  # a disabled button is offered to nobody
                target = _internal(b.get("formaction"), base) if b.get("formaction") else action
                buttons[target].append((b.get("name"), b.get("value", "")))
        if not submits:  # submitted by its fields (Enter, a select's change)
            buttons[action].append((None, None))
        for target, pressed in buttons.items():
            if target is not None:
                forms.append(Form(method, target, data, list(dict.fromkeys(pressed)), choices))
    for element in main.xpath(".//*[@hx-post]"):
        action = _internal(element.get("hx-post"), base)
        if action and not element.xpath("ancestor::form"):
            forms.append(Form("hx-post", action, {}, [(None, None)], {}))
    return forms


def _submit(client, headers, walk: Walk, where: str, form: Form) -> None:
    presses = []
    for name, value in form.buttons:
        data = dict(form.data)
        if name:
            data[name] = value
        presses.append(data)
    if form.method != "get":  # a filter's options choose rows, not actions
        for select, options in form.choices.items():
            presses += [{**form.data, select: option} for option in options]
    for data in presses:
        extra = "|" + ",".join(f"{k}={v}" for k, v in sorted(data.items()) if k in form.choices)
        button = ",".join(f"{n}={v}" for n, v in form.buttons if n and data.get(n) == v)
        kind = _kind(form.action, f"{form.method}{extra}{button}")
        if kind is None:
            walk.broken.append((where, form.action, "表单提交到不是平台的地址"))
            continue
        if walk.seen[kind] >= SAMPLE:
            continue
        walk.seen[kind] += 1
        htmx = {"HX-Request": "true"} if form.method == "hx-post" else {}
        with transaction.atomic():
            if form.method == "get":
                response = client.get(form.action, data, headers=headers, follow=True)
            else:
                response = client.post(
                    form.action, data, headers=headers | htmx, follow=form.method == "post"
                )
            _body(response)
            transaction.set_rollback(True)
        errors = _errors(response)
        walk.posted.append((form.action, data, response.status_code, errors))
        final = response.request["PATH_INFO"]
        why = None
        if response.status_code in (403, 404, 405) or response.status_code >= 500:
            why = f"{response.status_code}"
        elif final.startswith("/login/"):
            why = "要求重新登录"
        elif refusal := _refused(errors):
            why = f"被拒绝：{refusal}"
        if why:
            walk.broken.append((where, f"{form.method.upper()} {form.action} {data}", why))


def _errors(response) -> list[str]:
    """The error messages the press left (the messages framework's, not a page's own
    explanations such as a batch's reasons why it cannot be released yet)."""
    try:
        found = response.context["messages"] if response.context else []
    except KeyError:
        found = []
    return [str(m) for m in found if m.level >= messages.ERROR]


def _refused(errors: list[str]) -> str | None:
    return next((m for m in errors if any(r in m for r in REFUSALS)), None)


def _report(walks: dict[str, Walk]) -> str:
    return "\n".join(
        f"{walk.login}: {where} -> {what}: {why}"
        for walk in walks.values()
        for where, what, why in walk.broken
    )


def test_every_link_and_form_shown_works_for_its_viewer(walks, db):
    opened = {name: len(w.opened) for name, w in walks.items()}
    posted = {name: len(w.posted) for name, w in walks.items()}
    print(f"\nopened {opened}\nposted {posted}")
    assert not any(w.broken for w in walks.values()), "\n" + _report(walks)


# --- No allowed action is hidden: the key actions, shown iff the grant holds -------------

# A list's button to make a new record (or import, export): the permission anywhere.
LIST_ACTIONS = [
    ("web:person_list", "web:person_create", "people.change"),
    ("web:org_list", "web:org_import", "orgs.import"),
    ("registry:search", "registry:import", "registry.change"),
    ("registry:search", "registry:export", "registry.export"),
    ("perks:giveaways", "perks:giveaway_create", "perks.manage"),
    ("perks:merchant_list", "perks:merchant_create", "perks.manage"),
    ("contests:programmes", "contests:programme_create", "contests.manage"),
    ("funds:home", "funds:programme_create", "funds.manage"),
    ("training:courses", "training:course_create", "training.manage"),
]
# Where each review step is taken (workflow.TRANSITIONS' level): the nominating union, the
# quota node or the organising union.
STEP_AT = {
    "unit": lambda n: n.org_unit,
    "node": lambda n: n.quota.org_unit,
    "city": lambda n: n.campaign.org_unit,
}


def _offers(page: str, url: str) -> bool:
    return f'href="{url}"' in page or f'action="{url}' in page


def _sample_of(qs, login: Login, via: str) -> list:
    """One record in each of the login's posts' subtrees, and the first and last overall."""
    picks = [qs.order_by("pk").first(), qs.order_by("pk").last()]
    picks += [qs.filter(access.subtree_q(u, via=via)).order_by("pk").first() for u in login.posts]
    return list({p.pk: p for p in picks if p is not None}.values())


def _shown_iff_allowed(login: Login) -> list[str]:
    client, headers = _client(login)
    user, wrong = login.user, []

    def check(page_url: str, url: str, allowed: bool) -> None:
        response = client.get(page_url, headers=headers)
        if response.status_code != 200:  # a page the login does not open offers nothing
            if allowed:
                wrong.append(f"{login.name}: {page_url} answers {response.status_code}")
            return
        if _offers(response.content.decode(), url) != allowed:
            wrong.append(f"{login.name}: {page_url} {'hides' if allowed else 'shows'} {url}")

    for page, action, perm in LIST_ACTIONS:
        check(reverse(page), reverse(action), access.can(user, perm))
    for person in _sample_of(Person.objects.all(), login, "org_unit"):
        allowed = access.can_at(user, "people.change", person.org_unit)
        check(
            reverse("web:person_detail", args=[person.pk]),
            reverse("web:person_edit", args=[person.pk]),
            allowed,
        )
    for unit in _sample_of(OrgUnit.objects.all(), login, ""):
        allowed = access.can_at(user, "orgs.change", unit)
        check(
            reverse("web:org_detail", args=[unit.pk]),
            reverse("web:org_edit", args=[unit.pk]),
            allowed,
        )
    for campaign in Campaign.objects.all():
        allowed = access.can_at(user, "nominations.approve", campaign.org_unit)
        check(
            reverse("nominations:campaign", args=[campaign.pk]),
            reverse("nominations:final_xlsx", args=[campaign.pk]),
            allowed,
        )
    for nomination in _sample_of(Nomination.objects.all(), login, "org_unit"):
        response = client.get(reverse("nominations:nomination", args=[nomination.pk]))
        if response.status_code != 200:
            continue
        select = re.search(r'<select name="action"[^>]*>(.*?)</select>', response.text, re.S)
        shown = re.findall(r'<option value="(\w+)"', select.group(1)) if select else []
        expected = [
            action
            for action in AFTER_NOTICE
            if nomination.state in TRANSITIONS[action].sources
            and access.can_at(
                user,
                TRANSITIONS[action].permission,
                STEP_AT[TRANSITIONS[action].level](nomination),
            )
        ]
        if shown != expected:
            wrong.append(f"{login.name}: nominee {nomination.pk} offers {shown}, not {expected}")
    return wrong


def test_no_allowed_key_action_is_hidden_nor_a_refused_one_shown(walks, db):
    logins = [Login.of(get_user_model().objects.get(username=name)) for name in walks]
    wrong = [line for login in logins for line in _shown_iff_allowed(login)]
    assert wrong == []


def test_the_walk_reached_every_module_as_the_city(walks, db):
    """The walk is a walk: the city's admin opened pages of every module and pressed
    their buttons, and each role's login opened its own pages."""
    admin = walks["admin"]
    prefixes = ("/orgs/", "/people/", "/registry/", "/nominations/", "/giveaways/")
    prefixes += ("/contests/", "/training/", "/funds/")
    assert all(any(url.startswith(p) for url in admin.opened) for p in prefixes)
    # The audit log is the audit administrator's (三权分立), not the city's admin's.
    assert not any(url.startswith("/audit/") for url in admin.opened)
    assert any(url.startswith("/audit/") for url in walks["auditadmin"].opened)
    assert len(admin.posted) > 50
    assert any(url.startswith("/m/") for url in walks["huiyuan"].opened)
    assert any(url.startswith("/notary/") for url in walks["gongzheng"].opened)
    assert any(url.startswith("/counter/") for url in walks["rose_counter"].opened)
    assert any(url.startswith("/judge/") for url in walks["caipan"].opened)
