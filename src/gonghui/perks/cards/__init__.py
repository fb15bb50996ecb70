"""Service cards (服务卡, 小红卡): issue, status changes, bulk issue from a workbook, the
staff pages and API, and the member's own card with its QR code."""
