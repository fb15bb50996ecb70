"""The training home: each part with its figures, and what waits for the viewer."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from gonghui.common.views import domain_errors
from gonghui.orgs import access
from gonghui.training import selectors


@login_required
@domain_errors
def home(request):
    access.require(request.user, "training.view")
    return render(request, "training/home.html", {"home": selectors.home(request.user)})
