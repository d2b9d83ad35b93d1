from __future__ import annotations

from django.apps import AppConfig


class EditorialConfig(AppConfig):
    name = "editorial"
