"""Consultation of the units concerned: the post page's section, asking, answering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import OrgUnit, User
from editorial import selectors, services
from editorial.consultations import rules as consultation_rules
from editorial.consultations import selectors as consultation_selectors
from editorial.form_input import IdsChoiceField
from editorial.forms_dates import LocalDateTimeField
from editorial.models import Consultation, Post
from editorial.services import consultations


class ConsultationForm(forms.Form):
    units = IdsChoiceField(
        label=gettext_lazy("Units to consult"),
        queryset=OrgUnit.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    blocking = forms.BooleanField(
        label=gettext_lazy("Blocking: the post is not approved until they agree"),
        required=False,
        initial=True,
    )
    deadline = LocalDateTimeField(label=gettext_lazy("Answer by"))
    question = forms.CharField(
        label=gettext_lazy("What should they check?"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, post: Post, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["units"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        # Neither the unit that speaks nor those already consulted (one open request each).
        consulted = Consultation.objects.active().filter(post=post).values("unit_id")
        field.queryset = (
            OrgUnit.objects.exclude(pk=post.unit_id).exclude(pk__in=consulted).order_by("name")
        )


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=gettext_lazy("Your unit's answer"),
        choices=Consultation.Answer.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment on the facts (required to object)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The revision read is required, as for an approval: an agreement never covers a revision
    # its author did not see. Bounded so that no number reaches the database out of range.
    revision = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        max_value=2**31 - 1,
        error_messages={
            "required": gettext_lazy(
                "The answer does not say which revision you read: open the post again and "
                "answer from its page."
            ),
            "invalid": gettext_lazy("The revision you read is not a valid revision number."),
        },
    )


@dataclass(frozen=True)
class Section:
    rows: list[consultation_selectors.ConsultationRow]
    ask_form: ConsultationForm | None  # None: this user may not ask now


def section(post: Post, user: User) -> Section:
    """What the post page shows of the post's consultations to ``user``."""
    may_ask = consultation_rules.ask_refusal(post, user) is None
    return Section(
        rows=consultation_selectors.consultation_rows(post, user),
        ask_form=ConsultationForm(post=post) if may_ask else None,
    )


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _run(request: HttpRequest, action: Callable[[], object], success: str) -> None:
    try:
        action()
    except services.EditorialError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)


def _form_errors(request: HttpRequest, form: forms.Form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))


@login_required
@require_POST
def ask(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    post = selectors.post_get_for(user, pk)
    form = ConsultationForm(request.POST, post=post)
    if not form.is_valid():
        # Imported here: the post page's module imports this one for its section.
        from editorial.views import post_page

        _form_errors(request, form)
        shown = Section(rows=consultation_selectors.consultation_rows(post, user), ask_form=form)
        return post_page(request, pk, status=400, consultations=shown)
    data = form.cleaned_data
    _run(
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
    user = _user(request)
    consultation = consultation_selectors.consultation_get_for(user, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("editorial:post", pk=consultation.post_id)
    data = form.cleaned_data
    _run(
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
    user = _user(request)
    consultation = consultation_selectors.consultation_get_for(user, pk)
    _run(
        request,
        lambda: consultations.consultation_cancel(consultation=consultation, by=user),
        _("Consultation cancelled."),
    )
    return redirect("editorial:post", pk=consultation.post_id)
