"""What charter tells the apps above it, which it must not import (editorial listens)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that saved an election window (``services.election_window_save``)
# with ``window`` and ``by``. Each receiver returns a list of lines for the administrator:
# editorial re-checks the posts already scheduled and returns the ones it held.
election_window_saved = Signal()

# Sent inside the transaction of a change to a charter or to the elections through the
# services (a charter created or removed, a version recorded, an election declared, changed or
# removed, an electoral referent designated or removed), with ``verb``, ``actor`` (who acted)
# and ``data`` (plain JSON: what changed, before and after): editorial writes it to the
# hash-chained audit trail.
charter_changed = Signal()
