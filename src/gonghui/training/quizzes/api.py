"""题库与现场答题: JSON API."""

from ninja import Router

router = Router()
