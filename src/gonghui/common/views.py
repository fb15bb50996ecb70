"""What every app's pages do with a service's answer: a domain error as a message or next
to a form's field, NotFound as 404 and Forbidden as 403, a POSTed action and its message, a
generated file as a download. Thin helpers for views; no app's logic."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header

from gonghui.common.errors import DomainError, Forbidden, NotFound, ValidationFailed


def error_message(exc: DomainError) -> str:
    """A service's complaint as one line (the fields' reasons, or its message)."""
    return "；".join(getattr(exc, "fields", {}).values()) or exc.message


def apply_errors(form, exc: DomainError) -> None:
    """Put a service's complaint next to the field it names (or on top of the form)."""
    if isinstance(exc, ValidationFailed):
        for field, message in exc.fields.items():
            form.add_error(field if field in form.fields else None, message)
    else:
        form.add_error(None, exc.message)


def download(content: bytes, filename: str) -> HttpResponse:
    """A generated file as an attachment (Django encodes the Chinese name)."""
    response = HttpResponse(content, content_type=mimetypes.guess_type(filename)[0])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def stored_download(file, filename: str, content_type: str | None = None) -> FileResponse:
    """A stored file (an attachment, an export) as a private attachment: streamed, never
    kept by a cache on the way."""
    response = FileResponse(
        file,
        as_attachment=True,
        filename=filename,
        content_type=content_type
        or mimetypes.guess_type(filename)[0]
        or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


def field_errors(form) -> dict[str, str]:
    return {field: "；".join(errors) for field, errors in form.errors.items()}


def post_action(request, form, call, done, back: str, *, after=None):
    """A POSTed action: ``call(form data)`` (a service); the form's or the service's
    complaint as an error message, else ``done(result)`` as the success message; then back
    to ``back`` (after success to ``after(result)`` if given: a record the action made)."""
    try:
        if form is not None and not form.is_valid():
            raise ValidationFailed(field_errors(form))
        result = call(form.cleaned_data if form is not None else None)
    except DomainError as exc:
        messages.error(request, error_message(exc))
        return redirect(back)
    messages.success(request, done(result))
    return redirect(after(result) if after else back)


def form_page(
    request,
    form,
    call,
    template: str,
    context: dict | None = None,
    *,
    after,
    done,
    refused: type[DomainError] = DomainError,
):
    """A page with a form: on a valid POST, ``call(form data)`` (a service). Its complaint
    (``refused``; other errors go on to ``domain_errors``) goes next to the fields it names;
    else ``done(result)`` is the success message (every action says what it did) and the
    browser goes to ``after(result)``. Otherwise the page is shown with the form."""
    if request.method == "POST" and form.is_valid():
        try:
            result = call(form.cleaned_data)
        except refused as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done(result))
            return redirect(after(result))
    return render(request, template, {"form": form, **(context or {})})


def merged_page(request, exc: NotFound, page: str):
    """The page of a record merged into another (``exc.survivor_id``: the record kept, if
    the actor may see it): the kept record's ``page`` with a note, else a 404 page saying
    the record was merged."""
    if getattr(exc, "survivor_id", None):
        messages.info(request, "该档案已合并到保留的档案，已为您打开保留的档案")
        return redirect(page, pk=exc.survivor_id)
    return render(request, "web/error.html", {"message": exc.message}, status=404)


def domain_errors(view):
    """NotFound (absent or out of scope) is a 404 page; Forbidden a 403 page."""

    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404("记录不存在或无权访问") from None
        except Forbidden as exc:
            return render(request, "403.html", {"message": exc.message}, status=403)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped
