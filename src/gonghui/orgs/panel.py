"""The union tree panel on the left of a list (template ``web/_tree.html``): what it shows,
worked out from the list's query string. Every list page that carries it (units, people,
registry records, campaigns, giveaways, funds applications) calls ``tree_panel`` and passes
``panel.selected`` to its own selector, which narrows to that subtree (one path range).

A node is chosen with ``?org=<id>`` (or the list's own parameter); the link keeps the
list's other parameters and drops the page number. A malformed id, or a node outside the
viewer's scope, gives a message and an empty list: never an error page, never more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import QueryDict

from gonghui.common.errors import NotFound
from gonghui.orgs.models import OrgUnit, path_prefixes
from gonghui.orgs.selectors import (
    TreeNode,
    org_label,
    tree_children,
    tree_node_get,
    tree_tops,
)

# The permissions whose scope a panel (or a picker's search) may show: the lists' own, and
# the move form's.
PANEL_PERMS = frozenset(
    {
        "orgs.view",
        "orgs.change",
        "people.view",
        "registry.view",
        "nominations.view",
        "perks.view",
        "funds.view",
    }
)
_PARAM = re.compile(r"[a-z_]{1,20}")
_ID = re.compile(r"[0-9]{1,12}")
DROPPED = ("page",)  # a new node starts the list from its first page
BAD_ID = "所选组织编号无效，请在左侧组织树中重新选择"
OUT_OF_SCOPE = "所选组织不存在或不在您的管理范围内，请在左侧组织树中重新选择"


@dataclass
class TreeItem:
    """A node in the rendered panel: its children, when opened on the server (the
    selected node's ancestors), else loaded by the browser when clicked."""

    node: TreeNode
    children: list[TreeItem] | None = None
    more_after: str = ""  # the last child's path when more children follow
    selected: bool = False


@dataclass
class TreePanel:
    perm: str
    param: str
    keep: str  # the list's other parameters, encoded, without ``param`` and the page
    items: list[TreeItem] = field(default_factory=list)
    selected: OrgUnit | None = None
    label: str = ""  # the selected node's full path
    error: str = ""

    @property
    def query(self) -> str:
        """What the panel's fragments are asked with (children, search)."""
        return urlencode({"perm": self.perm, "param": self.param, "keep": self.keep})

    @property
    def blocked(self) -> bool:
        """The asked node is malformed or out of scope: the list shows nothing."""
        return bool(self.error)


def panel_settings(params: QueryDict) -> tuple[str, str, str]:
    """(perm, param, keep) from a fragment request, each checked: an unknown permission
    shows the tree of ``orgs.view``; ``keep`` is re-encoded, so only a query string can
    come out of it."""
    perm = params.get("perm", "")
    param = params.get("param", "")
    return (
        perm if perm in PANEL_PERMS else "orgs.view",
        param if _PARAM.fullmatch(param) else "org",
        _kept(QueryDict(params.get("keep", "")[:2000]), param),
    )


def _kept(params: QueryDict, param: str) -> str:
    kept = params.copy()
    for name in (param, *DROPPED):
        kept.pop(name, None)
    return kept.urlencode()


def tree_panel(*, actor, params: QueryDict, perm: str, param: str = "org") -> TreePanel:
    """The panel for a list whose rows the actor sees through ``perm``, with the node
    chosen in ``params[param]`` (if any) highlighted and its ancestors opened."""
    panel = TreePanel(perm=perm, param=param, keep=_kept(params, param))
    tops = tree_tops(actor=actor, perm=perm)
    panel.items = [TreeItem(node) for node in tops]
    raw = (params.get(param) or "").strip()
    if not raw:
        return panel
    if not _ID.fullmatch(raw):
        panel.error = BAD_ID
        return panel
    try:
        panel.selected = tree_node_get(actor=actor, pk=int(raw), perm=perm)
    except NotFound:
        panel.error = OUT_OF_SCOPE
        return panel
    panel.label = org_label(panel.selected)
    _open_to(panel, actor)
    return panel


def _open_to(panel: TreePanel, actor) -> None:
    """Open the path from a top node down to the selected one (itself included), and mark
    it."""
    wanted = path_prefixes(panel.selected.path)
    items = panel.items
    while items:
        item = next((i for i in items if i.node.path in wanted), None)
        if item is None:
            return
        item.selected = item.node.pk == panel.selected.pk
        if not item.node.has_children:
            return
        children, more = tree_children(actor=actor, parent_id=item.node.pk, perm=panel.perm)
        item.children = [TreeItem(child) for child in children]
        item.more_after = children[-1].path if more else ""
        if item.selected:
            return  # opened too, to show what lies below it
        if more and not any(c.path in wanted for c in children):
            # The selected node is on a later page: show it after the first page.
            child_path = wanted[len(path_prefixes(item.node.path))]
            just_before = str(int(child_path) - 1).zfill(len(child_path))
            later = tree_children(
                actor=actor, parent_id=item.node.pk, perm=panel.perm, after=just_before
            )
            item.children += [TreeItem(child) for child in later[0][:1]]
        items = item.children
