"""What accounts tells the apps that depend on it, which it must not import."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that changed a social account's settings
# (``services.social_account_changed``) with ``account``, ``by`` and ``fields`` (the names
# of the fields changed). Each receiver returns a list of lines for the administrator:
# editorial re-checks the account's scheduled posts (a longer byline, a deactivated account)
# and returns the ones it held.
social_account_changed = Signal()

# Sent when something about a person's access happens that the audit trail must keep (a login
# locked out, a second factor enrolled or its backup codes renewed), with ``verb``, ``actor``
# (the user, or None when nobody is signed in) and ``data`` (plain JSON). editorial writes it to
# the hash-chained audit trail; accounts also logs it on the ``porte_voix.security`` logger.
security_event = Signal()

# Sent inside the transaction that withdrew rights from a person (``permissions.sync_user``)
# with ``user``, ``removed`` (sorted (account id, Perm) pairs), ``by`` (who acted, or None for
# the system) and ``cause`` (a word: membership_deleted, admin, user_deactivated...):
# editorial writes it in the audit trail, where rights changes are audited.
rights_revoked = Signal()

# Sent inside the transaction of a change to the organisation made by a person through the
# services (``accounts.services``, ``accounts.organisation``: a membership given, changed or
# ended, a person or an account (de)activated or edited, a right on one account given or
# ended, a unit edited), with ``verb``, ``actor`` (who acted; system writes are not told) and
# ``data`` (plain JSON: what changed, before and after): editorial writes it to the
# hash-chained audit trail.
organisation_changed = Signal()
