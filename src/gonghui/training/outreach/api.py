"""宣讲团、工会主席接待日与联盟: JSON API."""

from ninja import Router

router = Router()
