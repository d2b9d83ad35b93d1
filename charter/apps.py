from __future__ import annotations

from django.apps import AppConfig


class CharterConfig(AppConfig):
    name = "charter"
