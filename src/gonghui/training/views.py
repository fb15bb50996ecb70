"""The training home: what the module holds, each part linked."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from gonghui.common.views import domain_errors
from gonghui.orgs import access


@login_required
@domain_errors
def home(request):
    access.require(request.user, "training.view")
    return render(request, "training/home.html", {})
