"""What the apps built on people hear of a person's record."""

from django.dispatch import Signal

# Sent with ``person`` (already saved at its new union) inside the move's transaction, so
# what other apps file under the person's union (e.g. award certificates) moves with it.
person_moved = Signal()
