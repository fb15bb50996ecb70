"""课程讲座（报名、候补、签到、听课证明）: pages."""

urlpatterns: list = []
