"""创新工作室（成员、年度成果、联盟视图）: JSON API."""

from ninja import Router

router = Router()
