"""The urgent procedure end to end: a refused short justification is kept, the post goes out,
and the skipped reviewer objects from their queue; past a blocking consultation, in French, the
page says so, asks for the acknowledgement, and the unit is told."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Membership
from accounts.services import membership_create
from editorial import services
from editorial.models import PostHocReview, PostState
from editorial.services import consultations
from tests.browser.test_compose_approve import _login, _logout
from tests.conftest import Org
from tests.editorial.consultation_setup import ask, make_legal
from tests.factories import make_unit, make_user

pytestmark = pytest.mark.django_db(transaction=True)

WHY = "Alerte météo rouge: la préfecture demande la diffusion immédiate du message."


def test_browser_urgent_publish_then_posthoc_objection(
    page: Any, live_server: Any, org: Org
) -> None:
    chief = make_user(username="chief")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Routes fermées.")
    services.post_submit(post=post, by=org.officer)

    _login(page, live_server, "chief")
    page.goto(f"{live_server.url}/posts/{post.pk}/")
    page.fill("#urgent-form #id_justification", "Préfecture.")
    page.click("#publish-urgently")
    page.wait_for_selector(".justification-error")
    assert page.input_value("#id_justification") == "Préfecture."
    page.fill("#id_justification", WHY)
    page.click("#publish-urgently")
    page.wait_for_selector("#post-state[data-state='scheduled']")
    assert page.locator("#urgent-procedure .justification").inner_text().endswith(WHY)
    _logout(page)

    _login(page, live_server, "manager")
    page.click("text=Review queue")
    page.click(f"#posthoc-queue tr[data-post='{post.pk}'] a")
    page.check("input[name=outcome][value=objected]")
    page.fill("#id_comment", "Le message aurait dû citer la préfecture.")
    page.click("#posthoc-submit")
    page.wait_for_selector("#urgent-procedure .posthoc-status:has-text('Objected')")
    review = PostHocReview.objects.get(post=post)
    assert review.outcome == PostHocReview.Outcome.OBJECTED
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED


@pytest.fixture
def page_fr(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_browser_urgent_past_a_blocking_consultation_in_french(
    page_fr: Any, live_server: Any, org: Org
) -> None:
    page = page_fr
    legal = make_legal(org)
    chief = make_user(username="chief")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Routes fermées.")
    services.post_submit(post=post, by=org.officer)
    seen = ask(legal, post)

    _login(page, live_server, "chief")
    assert page.get_attribute("html", "lang") == "fr"
    page.goto(f"{live_server.url}/posts/{post.pk}/urgent/")
    alert = page.locator("#urgent-consultations")
    assert "Une consultation bloquante attend toujours sa réponse" in alert.inner_text()
    assert alert.get_attribute("role") == "alert"
    assert "Affaires juridiques" in alert.locator(f"li[data-consultation='{seen.pk}']").inner_text()
    assert "Je publie sans la réponse de Affaires juridiques" in page.inner_text(
        "label.acknowledge"
    )

    # Without the acknowledgement: refused in words, the justification kept.
    page.fill("#id_justification", WHY)
    page.click("#publish-urgently")
    page.wait_for_selector(".acknowledge-error")
    assert "cochez la case" in page.inner_text(".acknowledge-error")
    assert page.input_value("#id_justification") == WHY

    # Another unit is consulted while the page is open: refused, listed, to acknowledge again.
    unit = make_unit(name="Préfecture", code="pref", parent=org.ministry)
    membership_create(user=make_user(username="prefet"), unit=unit, role=Membership.Role.AUTHOR)
    consultations.consultation_request(
        post=post,
        units=[unit],
        question="Les horaires sont-ils confirmés ?",
        blocking=True,
        deadline=timezone.now() + timedelta(hours=4),
        by=org.manager,
    )
    page.check("#id_acknowledge")
    page.click("#publish-urgently")
    page.wait_for_selector(".acknowledge-error:has-text('Depuis que vous avez ouvert cette page')")
    assert page.locator("#urgent-consultations li").count() == 2
    assert not page.is_checked("#id_acknowledge")
    assert page.input_value("#id_justification") == WHY
    assert PostHocReview.objects.count() == 0

    page.check("#id_acknowledge")
    page.click("#publish-urgently")
    page.wait_for_selector("#post-state[data-state='scheduled']")
    assert "a été close, passée outre" in page.inner_text(".messages")
    assert page.locator("#consultations li[data-status='overridden']").count() == 2
    _logout(page)

    # The consulted unit is told, and sees who overrode it and why.
    _login(page, live_server, "jurist")
    page.goto(f"{live_server.url}/notifications/")
    assert "Publiée en urgence avant la réponse de votre service" in page.inner_text("main")
    page.goto(f"{live_server.url}/posts/{post.pk}/")
    row = page.locator(f"#consultation-{seen.pk}")
    assert "Passée outre par la procédure d'urgence" in row.inner_text()
    assert WHY in row.inner_text()
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED
