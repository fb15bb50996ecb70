"""No stored copy of a refused upload: the files stored while serving a request that no
attachment names when it ends are deleted then.

``services.attachment_store`` stores the file, then writes its row, inside the writer's
transaction. When a later step of that write is refused (a nomination submitted with its
form over a full quota), the transaction rolls the row back but the stored file stays, and
Django has no hook on rollback. So each file stored while serving a request is noted here,
and when the request ends the rows are read again: a file whose row is not there (its
transaction, or the savepoint it was written in, rolled back) is deleted. This holds for
every caller, whatever its transaction, and never touches a committed file (the row decides,
not the way the transaction ended). A file stored outside a request (a command, a task), or
left by a crash before the request ended, is ``services.attachments_sweep``'s."""

import logging
import threading

from django.core.signals import request_finished, request_started
from django.db import transaction
from django.dispatch import receiver

from gonghui.files.models import Attachment

log = logging.getLogger(__name__)
_request = threading.local()  # .stored: {stored name: attachment pk} while serving a request


def note(attachment: Attachment) -> None:
    """Note ``attachment``'s stored file (its row just written), if a request is being
    served. Its commit forgets it (no read at the end of a write that went through)."""
    stored = getattr(_request, "stored", None)
    if stored is not None:
        name = attachment.file.name
        stored[name] = attachment.pk
        transaction.on_commit(lambda: stored.pop(name, None))


@receiver(request_started, dispatch_uid="files.leftovers.started")
def _started(**kwargs) -> None:
    _request.stored = {}


@receiver(request_finished, dispatch_uid="files.leftovers.finished")
def _finished(**kwargs) -> None:
    stored, _request.stored = getattr(_request, "stored", None), None
    if not stored:
        return
    try:
        kept = set(
            Attachment.objects.filter(pk__in=stored.values(), file__in=stored).values_list(
                "file", flat=True
            )
        )
        storage = Attachment._meta.get_field("file").storage
        for name in set(stored) - kept:
            storage.delete(name)
    except Exception:  # the response is out; the hourly sweep deletes what is left
        log.exception("the files of refused uploads were not deleted")
