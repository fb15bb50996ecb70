"""The list a page shows, read back from the page itself: the ``table.data`` just before the
pager (``data-list-pager``, web/_pager.html) — its header texts and its rows' cell texts as
the user sees them. The export of any list (``ListExportMiddleware``) is that table, so it
holds exactly what the page holds: the same filters, the same scope, the same masks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

SPACE = re.compile(r"\s+")
SORT_ARROWS = re.compile(r"\s*[▲▼]$")


def header_text(text: str) -> str:
    """A column's name: its header's text without the sorting arrow (how web/lists.js names
    a column too)."""
    return SORT_ARROWS.sub("", SPACE.sub(" ", text).strip())


@dataclass
class Table:
    title: str = ""
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    exportable: bool = True  # False: its pager says the list has an export of its own


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title, self.in_title = "", False
        self.table: Table | None = None  # the data table being read
        self.last: Table | None = None  # the last data table read
        self.found: Table | None = None  # the one before the pager
        self.section = ""  # thead / tbody
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.skip_row = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "title":
            self.in_title = True
        elif tag == "table" and "data" in (a.get("class") or "").split():
            self.table = Table()
        elif self.table is None:
            if "data-list-pager" in a and self.found is None:
                self.found = self.last
                if self.found is not None:
                    self.found.exportable = a.get("data-export") != "off"
        elif tag in ("thead", "tbody"):
            self.section = tag
        elif tag == "tr":
            self.row = []
            self.skip_row = "empty" in (a.get("class") or "").split()
        elif tag in ("th", "td") and self.row is not None:
            self.cell = []
            if int(a.get("colspan") or 1) > 1:
                self.skip_row = True  # a note across the table, not a record
        elif tag == "br" and self.cell is not None:
            self.cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        elif self.table is None:
            return
        elif tag == "table":
            self.last, self.table = self.table, None
        elif tag in ("th", "td") and self.cell is not None and self.row is not None:
            self.row.append(SPACE.sub(" ", "".join(self.cell)).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if self.section == "thead":
                self.table.headers = [header_text(h) for h in self.row]
            elif not self.skip_row:
                self.table.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        elif self.cell is not None:
            self.cell.append(data)


def listed_table(html: str) -> Table | None:
    """The page's paged list (None: the page has none)."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    if reader.found is not None:
        reader.found.title = reader.title.split("·")[0].strip()
    return reader.found
