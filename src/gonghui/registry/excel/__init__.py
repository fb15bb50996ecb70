"""The registry in Excel, the format union offices use: a template with drop-down lists
(``template``), the import of people and their awards from one sheet (``importer``), and a
streaming export that re-imports (``export``), over the one sheet's columns (``columns``).

Cells are written as text, so an 18-digit ID stays an ID and ``=1+1`` stays a name.
"""

from gonghui.registry.excel.columns import COLUMNS, SHEET
from gonghui.registry.excel.export import registry_export
from gonghui.registry.excel.importer import registry_import
from gonghui.registry.excel.template import template_workbook

__all__ = [
    "COLUMNS",
    "SHEET",
    "registry_export",
    "registry_import",
    "template_workbook",
]
