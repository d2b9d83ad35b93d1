"""Consultation of the units concerned: asking, answering, cancelling (the post page's section
is in ``post_page``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from editorial import selectors
from editorial.forms.consultations import AnswerForm, ConsultationForm
from editorial.selectors import consultations as consultation_selectors
from editorial.services import consultations
from editorial.views.common import request_user, run_service
from editorial.views.post_page import Section, post_page


def _form_errors(request: HttpRequest, form: forms.Form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))


@login_required
@require_POST
def ask(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    post = selectors.post_get_for(user, pk)
    form = ConsultationForm(request.POST, post=post)
    if not form.is_valid():
        _form_errors(request, form)
        shown = Section(rows=consultation_selectors.consultation_rows(post, user), ask_form=form)
        return post_page(request, pk, status=400, consultations=shown)
    data = form.cleaned_data
    run_service(
        request,
        lambda: consultations.consultation_request(
            post=post,
            units=list(data["units"]),
            question=data["question"],
            blocking=data["blocking"],
            deadline=data["deadline"],
            by=user,
        ),
        _("Consultation sent: it appears in the queue of the units consulted."),
    )
    return redirect("editorial:post", pk=pk)


@login_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    consultation = consultation_selectors.consultation_get_for(user, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("editorial:post", pk=consultation.post_id)
    data = form.cleaned_data
    run_service(
        request,
        lambda: consultations.consultation_answer(
            consultation=consultation,
            answer=data["answer"],
            comment=data["comment"],
            revision=data["revision"],
            by=user,
        ),
        _("Answer recorded."),
    )
    return redirect("editorial:post", pk=consultation.post_id)


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    consultation = consultation_selectors.consultation_get_for(user, pk)
    run_service(
        request,
        lambda: consultations.consultation_cancel(consultation=consultation, by=user),
        _("Consultation cancelled."),
    )
    return redirect("editorial:post", pk=consultation.post_id)
