"""读书沙龙: JSON API."""

from ninja import Router

router = Router()
