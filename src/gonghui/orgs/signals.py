"""Events of the org tree that other apps keep their own copies in step with."""

from django.dispatch import Signal

# A node and its subtree moved: kwargs ``old_path`` and ``new_path`` (the node's paths),
# sent inside the moving transaction.
subtree_moved = Signal()
