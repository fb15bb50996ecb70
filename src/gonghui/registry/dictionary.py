"""The model-worker dictionary (劳模大辞典): every active holder of one honour, in dictionary
order of the name's pinyin (the surname table's reading: 单 shan, 曾 zeng, 解 xie), under
letter headings, each entry with name, gender, birth year, employer, honours with years and
deeds — as Word (.docx) and as printable HTML.

The book is read with two queries whatever its size (people with their employers; then their
awards with the honour names), so 1,200 entries take seconds, not minutes. The caller scopes
the awards (``entries_for(awards_qs=...)``): a district's staff get a district's book, and
the honours listed under each entry are the ones in that same scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from typing import IO

from django.db.models import Case, QuerySet, Subquery, TextField, Value, When
from django.template.loader import render_to_string

from gonghui.people.models import Person
from gonghui.registry.models import Award, Honour

BODY_FONT = "宋体"  # SimSun: Word's and WPS's usual body face for Chinese books
HEADING_FONT = "黑体"  # SimHei
LATIN_FONT = "Times New Roman"
OTHER_LETTER = "#"  # names whose sort key starts with no Latin letter (none expected)
GENDERS = dict(Person.Gender.choices)


@dataclass(frozen=True)
class Entry:
    """One person's entry in the book."""

    person_id: int
    name: str
    sort_key: str
    gender: str = ""
    birth_year: int | None = None
    employer: str = ""
    honours: tuple[tuple[int, str], ...] = ()  # (year, honour name), oldest first
    deeds: str = ""

    @property
    def letter(self) -> str:
        first = self.sort_key[:1].upper()
        return first if "A" <= first <= "Z" else OTHER_LETTER

    @property
    def honours_text(self) -> str:
        """E.g. ``2015年 北京市劳动模范；2020年 全国劳动模范``."""
        return "；".join(f"{year}年 {name}" for year, name in self.honours)

    @property
    def facts_text(self) -> str:
        """The line under the name: 性别、出生年份、工作单位 (whichever are known)."""
        parts = []
        if self.gender:
            parts.append(f"性别：{self.gender}")
        if self.birth_year:
            parts.append(f"出生年份：{self.birth_year}年")
        if self.employer:
            parts.append(f"工作单位：{self.employer}")
        return "　".join(parts)


@dataclass
class Section:
    """A letter heading and the entries under it."""

    letter: str
    entries: list[Entry] = field(default_factory=list)


def entries_for(*, honour: Honour, awards_qs: QuerySet[Award]) -> list[Entry]:
    """The book's entries: people holding an active award of ``honour`` within
    ``awards_qs`` (already limited to the caller's scope), ordered by ``name_sort`` (the
    same order under every collation, see ``common.pinyin.sort_key``) then id.

    Two queries: the people (with employer), then every active award of those people within
    the same scope (with the honour name; deeds only for ``honour``'s awards)."""
    active = awards_qs.filter(status=Award.Status.ACTIVE, person__isnull=False)
    holders = active.filter(honour=honour).order_by().values("person_id")
    people = (
        Person.objects.filter(pk__in=Subquery(holders), merged_into__isnull=True)
        .select_related("employer")
        .only("pk", "name", "name_sort", "gender", "birth_date", "employer__name")
        .order_by("name_sort", "pk")
    )
    rows = (
        active.filter(person__in=Subquery(holders))
        .order_by("person_id", "year", "honour__sort", "honour_id", "pk")
        .annotate(
            book_deeds=Case(
                When(honour=honour, then="deeds"), default=Value(""), output_field=TextField()
            )
        )
        .values_list("person_id", "year", "honour__name", "book_deeds")
    )
    honours: dict[int, list[tuple[int, str]]] = {}
    deeds: dict[int, list[str]] = {}
    for person_id, year, honour_name, text in rows.iterator(chunk_size=2000):
        held = honours.setdefault(person_id, [])
        if (year, honour_name) not in held:
            held.append((year, honour_name))
        text = (text or "").strip()
        if text and text not in deeds.setdefault(person_id, []):
            deeds[person_id].append(text)
    entries = [
        Entry(
            person_id=p.pk,
            name=p.name,
            sort_key=p.name_sort,
            gender=GENDERS.get(p.gender, ""),
            birth_year=p.birth_date.year if p.birth_date else None,
            employer=p.employer.name if p.employer_id else "",
            honours=tuple(honours.get(p.pk, ())),
            deeds="\n".join(deeds.get(p.pk, ())),
        )
        for p in people.iterator(chunk_size=2000)
    ]
    return entries


def sections(entries: list[Entry]) -> list[Section]:
    """Entries grouped under their first pinyin letter, in the entries' order."""
    return [Section(letter, list(group)) for letter, group in groupby(entries, lambda e: e.letter)]


def title_of(honour: Honour) -> str:
    return f"{honour.name}大辞典"


def _entries(honour: Honour, entries: list[Entry] | None) -> list[Entry]:
    # Without entries from a scoped caller: the whole registry (operators' command line).
    if entries is None:
        return entries_for(honour=honour, awards_qs=Award.objects.all())
    return entries


# --- Word ----------------------------------------------------------------------------------


def _set_fonts(style, *, east_asian: str, latin: str = LATIN_FONT) -> None:
    """Fonts of a style for Latin and East Asian text. The default template's theme fonts
    (``w:asciiTheme``, ``w:eastAsiaTheme`` ...) win over named fonts in Word, so they go."""
    from docx.oxml.ns import qn

    style.font.name = latin
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asian)


def _styles(document) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    styles = document.styles
    normal = styles["Normal"]
    _set_fonts(normal, east_asian=BODY_FONT)
    normal.font.size = Pt(10.5)  # 五号
    normal.paragraph_format.space_after = Pt(2)
    normal.paragraph_format.line_spacing = 1.25
    for name, size in (("Title", 26), ("Heading 1", 22), ("Heading 2", 12)):
        style = styles[name]
        _set_fonts(style, east_asian=HEADING_FONT)
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.bold = True
    styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    styles["Heading 1"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    styles["Heading 1"].paragraph_format.page_break_before = True  # each letter on a new page
    styles["Heading 2"].paragraph_format.space_before = Pt(10)
    styles["Heading 2"].paragraph_format.keep_with_next = True


def write_docx(*, honour: Honour, out: str | IO[bytes], entries: list[Entry] | None = None):
    """Write the book to ``out`` (a path or a binary file): a title page with the honour
    and the number of entries, then a page per letter, one block per entry. Without
    ``entries``, the whole registry's holders of ``honour``."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    entries = _entries(honour, entries)
    document = Document()
    _styles(document)
    page = document.sections[0]
    page.orientation = WD_ORIENT.PORTRAIT
    page.page_width, page.page_height = Mm(210), Mm(297)  # A4
    page.left_margin = page.right_margin = Mm(25)
    page.top_margin = page.bottom_margin = Mm(25)
    document.core_properties.title = title_of(honour)
    document.core_properties.subject = honour.name

    for _ in range(6):
        document.add_paragraph()
    document.add_paragraph(title_of(honour), style="Title")
    for text in (
        f"{honour.get_level_display()} · {honour.conferred_by}",
        f"收录 {len(entries)} 人",
        f"{date.today().year}年{date.today().month}月编印",
    ):
        line = document.add_paragraph(text)
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        line.runs[0].font.size = Pt(14)

    # python-docx resolves a style given by name through every style in the document, per
    # paragraph (half the time of a 1,200-entry book): resolve the ids once instead.
    letter_style = document.styles["Heading 1"].style_id
    name_style = document.styles["Heading 2"].style_id

    def styled(text: str, style_id: str):
        paragraph = document.add_paragraph(text)
        paragraph._p.style = style_id
        return paragraph

    for section in sections(entries):
        styled(section.letter, letter_style)
        for entry in section.entries:
            styled(entry.name, name_style)
            if entry.facts_text:
                document.add_paragraph(entry.facts_text)
            if entry.honours_text:
                line = document.add_paragraph()
                line.add_run("荣誉：").bold = True
                line.add_run(entry.honours_text)
            for text in entry.deeds.splitlines():
                if text.strip():
                    deeds = document.add_paragraph(text.strip())
                    deeds.paragraph_format.first_line_indent = Pt(21)  # two characters
    document.save(out)
    return out


# --- Printable HTML ------------------------------------------------------------------------


def render_html(*, honour: Honour, entries: list[Entry] | None = None) -> str:
    """The book as one printable HTML page (print CSS in ``registry/dictionary.css``; no
    inline styles or scripts, so it can be served under the site's CSP)."""
    entries = _entries(honour, entries)
    return render_to_string(
        "registry/dictionary.html",
        {
            "title": title_of(honour),
            "honour": honour,
            "count": len(entries),
            "sections": sections(entries),
            "today": date.today(),
        },
    )
