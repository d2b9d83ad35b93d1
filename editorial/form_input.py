"""Raw ids from requests, made safe before they reach the database."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.http import QueryDict

# The largest id a primary key holds (BigAutoField); a longer number matches no row and, sent to
# PostgreSQL, is an error (99999999999999999999999 on the live check was a 500).
MAX_ID = 2**63 - 1


def parse_ids(values: Iterable[str]) -> list[int]:
    """The values that are row ids (ASCII digits, within range), in order; the rest dropped.

    ``str.isdigit`` alone lets "²" through, which ``int`` then refuses.
    """
    ids = []
    for raw in values:
        value = raw.strip()
        if value.isascii() and value.isdigit() and len(value) <= 19 and int(value) <= MAX_ID:
            ids.append(int(value))
    return ids


class IdsChoiceField(forms.ModelMultipleChoiceField[Any]):
    """Checkboxes of rows: a value that cannot be an id is refused in words before the query
    (Django sends it to the database, and an integer beyond 64 bits is an error there)."""

    def clean(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            for pk in value:
                if not parse_ids([str(pk)]):
                    # The same words as for an id of no row offered: it is one.
                    raise forms.ValidationError(
                        self.error_messages["invalid_choice"],
                        code="invalid_choice",
                        params={"value": pk},
                    )
        return super().clean(value)


def nul_refusal(*values: str) -> str | None:
    """Django's words for a NUL in typed text, None when there is none. For the few views that
    pass raw values to a service (which owns the other messages): PostgreSQL cannot store NUL,
    in text or in the audit trail's JSON, and answered with a 500."""
    for value in values:
        try:
            ProhibitNullCharactersValidator()(value)
        except ValidationError as exc:
            return str(exc.message)
    return None


def without_nul(data: QueryDict) -> QueryDict:
    """A copy of ``data`` with NUL removed: for the live check, which stores nothing and only
    shows what a save would meet (the save itself refuses NUL in words)."""
    clean = QueryDict(mutable=True)
    for key, values in data.lists():
        clean.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
    return clean
