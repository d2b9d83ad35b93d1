"""Forms of the rules screens: an approval chain with its steps, who would approve a post, and
a charter's next version.

They check the shape of the input with the models' and the rules' own validation (the same as
the Django admin's); who may change what is the services'.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit, SocialAccount
from charter.rules import Param, ParamError, ParamKind, Severity
from charter.version_diff import RuleState
from editorial.models import ApprovalPolicy, ApprovalStep, Post, PostTier

INPUT_CLASS = {"select": "fr-select", "checkbox": "fr-checkbox"}


def dsfr_classes(form: forms.BaseForm) -> None:
    """The DSFR class on every widget (a select, a text input, a checkbox are styled apart)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            continue  # the template's fr-checkbox-group styles them
        css = "fr-select" if isinstance(widget, forms.Select) else "fr-input"
        widget.attrs["class"] = css


class ChainForm(forms.ModelForm):  # type: ignore[type-arg]
    """The chain itself: its name and what it applies to, one unit or one account."""

    class Meta:
        model = ApprovalPolicy
        fields = ("name", "unit", "account", "reschedule_rule", "reschedule_tolerance_minutes")
        help_texts = {
            "unit": _("The chain applies to the unit's accounts and to the units below it."),
            "account": _("Or to one account only (then leave the unit empty)."),
            "reschedule_rule": _(
                "The approvers approved a post for a time: when a publisher moves it, the "
                "approvals may stand, or the post may go back through the chain."
            ),
        }

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        account = self.fields["account"]
        assert isinstance(unit, forms.ModelChoiceField)
        assert isinstance(account, forms.ModelChoiceField)
        unit.queryset = units
        account.queryset = SocialAccount.objects.filter(unit__in=units).select_related("unit")
        dsfr_classes(self)

    def target_fields(self) -> list[forms.BoundField]:
        """The chain's name and what it applies to (the template's first fieldset)."""
        return [self[name] for name in ("name", "unit", "account")]

    def reschedule_fields(self) -> list[forms.BoundField]:
        """What a publisher's new time does to the approvals (a fieldset of its own)."""
        return [self[name] for name in ("reschedule_rule", "reschedule_tolerance_minutes")]


class StepFieldsForm(forms.ModelForm):  # type: ignore[type-arg]
    """One step's fields, for this screen and the admin's inline alike; the model's ``clean``
    says what each kind of step needs."""

    tiers = forms.MultipleChoiceField(
        label=_("tiers"),
        choices=PostTier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Where the step applies; none ticked: every tier."),
    )

    class Meta:
        model = ApprovalStep
        fields = (
            "order",
            "name",
            "kind",
            "role",
            "unit",
            "group",
            "levels_up",
            "mode",
            "quorum",
            "tiers",
        )


class StepForm(StepFieldsForm):
    """One step on the chains screen: every unit offered, DSFR classes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        group = self.fields["group"]
        assert isinstance(unit, forms.ModelChoiceField)
        assert isinstance(group, forms.ModelChoiceField)
        # A step may name any unit: the ministry's director approves a service's posts.
        unit.queryset = OrgUnit.objects.order_by("name")
        group.queryset = Group.objects.order_by("name")
        dsfr_classes(self)


StepFormSet: type[BaseInlineFormSet[ApprovalStep, ApprovalPolicy, StepForm]] = (
    inlineformset_factory(
        ApprovalPolicy, ApprovalStep, form=StepForm, extra=1, can_delete=True, max_num=20
    )
)


class PostChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A post named by its number, state and first words."""

    def label_from_instance(self, obj: Any) -> str:
        revision = obj.current_revision
        text = revision.text if revision is not None else ""
        return f"#{obj.pk} · {obj.get_state_display()} · {text[:60]}"


class PreviewForm(forms.Form):
    """A post to try the chain on: one the user can see, or a post not yet written (an
    account, a tier and, if typed, its text; the user is its author)."""

    post = PostChoiceField(
        label=_("One of your posts"), queryset=Post.objects.none(), required=False
    )
    account = forms.ModelChoiceField(
        label=_("Or a new post on the account"),
        queryset=SocialAccount.objects.none(),
        required=False,
    )
    tier = forms.ChoiceField(
        label=_("with the tier"), choices=PostTier.choices, initial=PostTier.STANDARD
    )
    text = forms.CharField(
        label=_("and its text (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The charter may raise the tier: in an election period, political."),
    )

    def __init__(
        self, *args: Any, posts: QuerySet[Post], accounts: QuerySet[SocialAccount], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        post, account = self.fields["post"], self.fields["account"]
        assert isinstance(post, forms.ModelChoiceField)
        assert isinstance(account, forms.ModelChoiceField)
        post.queryset = posts
        account.queryset = accounts
        dsfr_classes(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("post") and not data.get("account"):
            raise forms.ValidationError(_("Choose one of your posts, or an account."))
        return data


# --- charters ------------------------------------------------------------------------------


class CharterCreateForm(forms.Form):
    """A charter for a unit that has none of its own (its first version is written next)."""

    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("e.g. 'Charte DGX'."))
    unit = forms.ModelChoiceField(label=_("For the unit"), queryset=OrgUnit.objects.none())

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        assert isinstance(unit, forms.ModelChoiceField)
        unit.queryset = units.filter(charters__isnull=True).order_by("name")
        dsfr_classes(self)


def field_prefix(code: str) -> str:
    """A rule's fields are named after its code (``media.alt_text`` → ``media_alt_text__on``)."""
    return code.replace(".", "_")


def _param_field(param: Param, label: str) -> forms.Field:
    help_text = str(param.help)
    if param.kind is ParamKind.STRINGS:
        return forms.CharField(
            label=label,
            required=False,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=f"{help_text} {_('One per line.')}",
        )
    if param.kind is ParamKind.INTEGER:
        return forms.IntegerField(
            label=label,
            help_text=help_text,
            min_value=param.minimum,
            max_value=param.maximum,
        )
    if param.kind is ParamKind.BOOLEAN:
        return forms.BooleanField(label=label, required=False, help_text=help_text)
    return forms.ChoiceField(
        label=label, help_text=help_text, choices=[(c, c) for c in param.choices]
    )


def _initial(param: Param, value: Any) -> Any:
    return "\n".join(value) if param.kind is ParamKind.STRINGS else value


class CharterVersionForm(forms.Form):
    """Every rule of the current version: on or off, blocking or a warning, its parameters.
    A rule the charter cannot change (a network limit, a legal obligation) is shown, locked."""

    def __init__(self, *args: Any, states: list[RuleState], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.states = states
        severities = [(Severity.BLOCK.value, _("Blocking")), (Severity.WARN.value, _("Warning"))]
        for state in states:
            rule, prefix = state.rule, field_prefix(state.code)
            self.fields[f"{prefix}__on"] = forms.BooleanField(
                label=_("Runs"), required=False, initial=state.enabled, disabled=rule.locked
            )
            self.fields[f"{prefix}__severity"] = forms.ChoiceField(
                label=_("Severity"),
                choices=severities,
                initial=state.severity.value,
                disabled=rule.locked,
            )
            for name, param in rule.params.items():
                field = _param_field(param, name)
                field.initial = _initial(param, state.params[name])
                self.fields[f"{prefix}__{name}"] = field
        dsfr_classes(self)

    def rules(self) -> list[tuple[RuleState, list[forms.BoundField]]]:
        """Each rule with its bound fields, in the reference's order, for the template."""
        rows = []
        for state in self.states:
            prefix = f"{field_prefix(state.code)}__"
            rows.append((state, [self[name] for name in self.fields if name.startswith(prefix)]))
        return rows

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for state in self.states:
            prefix = field_prefix(state.code)
            for name, param in state.rule.params.items():
                key = f"{prefix}__{name}"
                if key not in data:
                    continue  # already refused by the field itself
                value = data[key]
                if param.kind is ParamKind.STRINGS:
                    value = [line.strip() for line in (value or "").splitlines() if line.strip()]
                try:
                    data[key] = param.coerce(value)
                except ParamError as error:
                    self.add_error(key, str(error))
        return data

    def params(self) -> dict[str, Any]:
        """The version's parameters: only what differs from each rule's defaults."""
        disabled: list[str] = []
        severities: dict[str, str] = {}
        params: dict[str, Any] = {}
        for state in self.states:
            rule, prefix = state.rule, field_prefix(state.code)
            # A locked rule always runs at its own severity; its parameters may still change.
            if not rule.locked and not self.cleaned_data[f"{prefix}__on"]:
                disabled.append(rule.code)
            severity = self.cleaned_data[f"{prefix}__severity"]
            if not rule.locked and severity != rule.default_severity.value:
                severities[rule.code] = severity
            given = {
                name: self.cleaned_data[f"{prefix}__{name}"]
                for name, param in rule.params.items()
                if self.cleaned_data[f"{prefix}__{name}"] != _plain(param.default)
            }
            if given:
                params[rule.code] = given
        return {**params, "severities": severities, "disabled": disabled}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
