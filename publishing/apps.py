from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class PublishingConfig(AppConfig):
    name = "publishing"
    # "Publishing" alone is the post state "publishing" in the catalogue.
    verbose_name = pgettext_lazy("application", "Publishing")

    def ready(self) -> None:
        from publishing import checks  # noqa: F401  (registers the system checks)
