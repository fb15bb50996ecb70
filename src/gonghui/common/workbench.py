"""What waits for a post (工作台): one shape for every app's "to do" items.

Each domain app offers ``<app>/workbench.py`` with ``waiting(actor) -> list[Waiting]``: its
own scoped selectors, counted up to ``CAP`` rows (an indexed filter and ``LIMIT``, whatever
the size of the table), each item naming the list page that shows exactly the counted rows.
``web`` gathers them; no domain app knows the workbench page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

CAP = 100  # counted at most: "99+" beyond


@dataclass(frozen=True)
class Waiting:
    """One kind of work waiting: how many (at most ``CAP``), where the list of them is
    (a URL name, its arguments, a query string), and the earliest deadline among them."""

    app: str  # the programme's name, for grouping (推荐评选, 资金帮扶 ...)
    label: str
    count: int
    url: str
    args: tuple = ()
    query: str = ""
    deadline: date | None = None

    @property
    def shown(self) -> str:
        return f"{CAP - 1}+" if self.count >= CAP else str(self.count)


def capped_count(qs, cap: int = CAP) -> int:
    """``qs`` counted up to ``cap`` rows: ``SELECT COUNT(*) FROM (... LIMIT cap)``."""
    return qs.order_by().values("pk")[:cap].count()
