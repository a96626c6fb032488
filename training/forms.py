"""Forms of the training pages: they check the input's shape; the services decide the rest."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from complaints.forms import StaffChoiceField
from portal.roles import STAFF_ROLES
from training.choices import QuestionKind
from training.models import Attempt, Course


def staff_choices():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[role.value for role in STAFF_ROLES])
        .distinct()
        .order_by("username")
    )


class AssignCourseForm(forms.Form):
    """A supervisor gives a course to one staff member or to every member of a role."""

    course = forms.ModelChoiceField(
        label=_("Course"), queryset=Course.objects.filter(is_active=True).order_by("code")
    )
    user = StaffChoiceField(
        label=_("Staff member"), queryset=None, required=False, empty_label=_("—")
    )
    role = forms.ChoiceField(
        label=_("Or everyone with the role"),
        choices=[("", "—"), *[(role.value, role.label) for role in STAFF_ROLES]],
        required=False,
    )
    due_on = forms.DateField(label=_("Due on"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff_choices()

    def clean(self):
        data = super().clean()
        if bool(data.get("user")) == bool(data.get("role")):
            raise forms.ValidationError(
                _("Choose either a staff member or a role."), code="user_or_role"
            )
        return data


class SuggestionForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Your suggestion"),
        widget=forms.Textarea({"rows": 4}),
        help_text=_("A problem you met at work, or how something could work better."),
    )


class SuggestionAnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea({"rows": 3}))


def answer_field_name(position: int) -> str:
    return f"q{position}"


class AttemptForm(forms.Form):
    """The questions of an attempt, in its drawn order, options in its shuffled order."""

    def __init__(self, attempt: Attempt, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.attempt = attempt
        for item in attempt.questions.all():
            choices_by_id = {choice.pk: choice for choice in item.question.choices.all()}
            options = [
                (choice_id, choices_by_id[choice_id].text)
                for choice_id in item.choice_order
                if choice_id in choices_by_id
            ]
            label = f"{item.position}. {item.question.text}"
            initial = item.selected or []
            if item.question.kind == QuestionKind.MULTIPLE:
                field = forms.TypedMultipleChoiceField(
                    label=label,
                    choices=options,
                    coerce=int,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                    initial=initial,
                    help_text=_("Choose every correct option."),
                )
            else:
                field = forms.TypedChoiceField(
                    label=label,
                    choices=options,
                    coerce=int,
                    required=False,
                    empty_value=None,
                    widget=forms.RadioSelect,
                    initial=initial[0] if initial else None,
                )
            self.fields[answer_field_name(item.position)] = field

    def answers(self) -> dict[int, list[int]]:
        """Position → chosen option ids, for ``services.submit_attempt``."""
        answers = {}
        for item in self.attempt.questions.all():
            value = self.cleaned_data.get(answer_field_name(item.position))
            if value is None or value == []:
                answers[item.position] = []
            elif isinstance(value, list):
                answers[item.position] = value
            else:
                answers[item.position] = [value]
        return answers
