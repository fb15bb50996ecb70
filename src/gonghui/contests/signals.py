"""Two moments other parts of the app act on, after the write that caused them commits:

* ``board_changed``: a competition's results changed (locked, revealed, re-scored, frozen):
  the live board builds its next snapshot (``board``);
* ``milestone_reached``: registration closed, a stage closed, the final, the titles: the
  stream is checkpointed for the notary (``notary``).

Sent through ``events.board_changed`` and ``events.milestone``, which wait for the commit
(a rolled-back write changes nothing and reaches no milestone)."""

from django.dispatch import Signal

board_changed = Signal()  # sender: Competition class; competition_id
milestone_reached = Signal()  # sender: Competition class; competition_id, name
