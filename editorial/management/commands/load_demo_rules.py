"""Give the demo organisation a real charter and a two-step approval chain.

Run by ``load_demo`` once its units and people exist, so that a newcomer finds, on the rules
screens, what a charter (two versions to compare) and a chain look like, and meets the chain
on their first post: SICOM's reviewer approves, then DGX's director. Idempotent: what exists
is left as it is. Written through the services, in the name of the director (DGX's
administrator, who would set them up), so the audit trail says who and when like any change.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Membership, OrgUnit, User
from charter import services as charter_services
from charter.models import Charter
from charter.rules.neutrality import PARTISAN_TERMS
from editorial.models import ApprovalPolicy, ApprovalStep
from editorial.services import approval_chains

CHARTER_NAME = "Charte éditoriale de la DGX"
CHAIN_NAME = "Relecture SICOM puis direction"
# Version 1: the ministry's banned jargon. Version 2 tunes it, so the diff has something to say.
FIRST_VERSION: dict[str, Any] = {
    "terms.forbidden": {"terms": ["ASAP", "impacter"]},
    "severities": {"media.alt_text": "block"},
}
SECOND_VERSION: dict[str, Any] = {
    "terms.forbidden": {"terms": ["ASAP", "impacter", "disruptif"]},
    # The national list, plus the local slogans of the last municipal campaign.
    "neutrality.partisan": {
        "terms": [*PARTISAN_TERMS, "Ensemble pour l'Exemple", "L'Exemple d'abord"]
    },
    "a11y.sentence_length": {"max_words": 20},
    "severities": {"media.alt_text": "block", "a11y.sentence_length": "warn"},
}


class Command(BaseCommand):
    help = "Load the demo's charter (two versions) and SICOM's two-step approval chain."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        director = User.objects.get(username="director")
        direction = OrgUnit.objects.get(code="dgx")
        sicom = OrgUnit.objects.get(code="sicom")
        if not Charter.objects.filter(unit=direction).exists():
            charter = charter_services.charter_create(
                name=CHARTER_NAME, unit=direction, by=director
            )
            for params in (FIRST_VERSION, SECOND_VERSION):
                charter_services.charter_version_create(charter=charter, params=params, by=director)
        if not ApprovalPolicy.objects.filter(unit=sicom).exists():
            approval_chains.approval_policy_save(
                policy=ApprovalPolicy(name=CHAIN_NAME, unit=sicom),
                steps=_steps(sicom, direction),
                by=director,
            )
        self.stdout.write(
            f"Charter: {CHARTER_NAME} (DGX and SICOM). Approval chain of SICOM: "
            "manager (reviewer) approves, then director (DGX) approves."
        )


def _steps(sicom: OrgUnit, direction: OrgUnit) -> list[ApprovalStep]:
    kind, mode = ApprovalStep.Kind, ApprovalStep.Mode
    return [
        ApprovalStep(
            order=1,
            name="Relecture du service",
            kind=kind.ROLE_IN_UNIT,
            role=Membership.Role.REVIEWER,
            unit=sicom,
            mode=mode.ANY,
        ),
        ApprovalStep(
            order=2,
            name="Direction générale",
            kind=kind.ROLE_IN_UNIT,
            role=Membership.Role.ADMIN,
            unit=direction,
            mode=mode.ANY,
        ),
    ]
