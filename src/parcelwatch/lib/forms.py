"""Helpers shared by views that turn domain errors into form errors."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .phones import parse_phone
from .text import clean_text, normalise_identifier


class IdentifierField(forms.CharField):
    """Credit codes, filing numbers, licence numbers: full-width, spaces and case normalised before checking."""

    def to_python(self, value):
        return normalise_identifier(super().to_python(value))


class PhoneField(forms.CharField):
    """A Chinese mobile or landline; stored normalised (0594-2345678, 13800001111)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        try:
            return parse_phone(value).value
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form; unknown fields become form-wide errors."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def form_errors_text(form: forms.Form) -> str:
    """All of a form's errors on one line, for a flash message (Chinese punctuation)."""
    return "；".join(
        f"{form.fields[f].label if f in form.fields else ''}：{' '.join(errors)}".lstrip("：")
        for f, errors in form.errors.items()
    )


class StyledFormMixin:
    """Give every widget the Bootstrap class it needs, and mark fields with errors.

    Empty choices read "请选择" rather than Django's "---------".
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField) and field.empty_label == "---------":
                field.empty_label = _("Choose…")
            elif isinstance(field, forms.ChoiceField) and field.choices and list(field.choices)[0][1] == "---------":
                field.choices = [("", _("Choose…")), *list(field.choices)[1:]]
            widget = field.widget
            # Radio buttons and checkbox lists first: they are Select widgets to Django, check inputs to the eye.
            if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)):
                css = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def full_clean(self) -> None:
        super().full_clean()
        self.mark_invalid()

    def clean(self):
        """Text leaves the form without control characters; one-line inputs also without line breaks."""
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and name in self.fields:
                multiline = isinstance(self.fields[name].widget, forms.Textarea)
                cleaned[name] = clean_text(value, multiline=multiline)
        return cleaned

    def mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "")  # fields added after __init__ may have none
                if "is-invalid" not in css:
                    widget.attrs["class"] = f"{css} is-invalid".strip()

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        self.mark_invalid()


def posted(request):
    """The form data of a POST (even an empty one: its missing fields get errors), None otherwise.

    `request.POST or None` would treat an empty POST as "not submitted" and show the form again without
    saying what is wrong.
    """
    return request.POST if request.method == "POST" else None


def posted_files(request):
    return request.FILES if request.method == "POST" else None


class ChecklistMixin:
    """A checklist as radio buttons, one field per item (`item_<code>`), added after the form is built: a duty
    report's or an inspection's. `answers()` gives {code: choice or ""}."""

    def add_checklist(self, items, choices) -> None:
        self.items = list(items)
        for item in self.items:
            self.fields[f"item_{item['code']}"] = forms.ChoiceField(
                label=item["text"], choices=choices, required=False,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}))

    def answers(self) -> dict[str, str]:
        return {item["code"]: self.cleaned_data.get(f"item_{item['code']}") or "" for item in self.items}

    def item_fields(self):
        return [self[f"item_{item['code']}"] for item in self.items]


def field_text(value: str | None, field: str, *, limit: int, required: bool = False, multiline: bool = True) -> str:
    """Text a service accepts for `field`: cleaned of control characters (and of line breaks when one line),
    required if so, at most `limit` characters; a ValidationError keyed by the field otherwise."""
    value = clean_text(value or "", multiline=multiline)
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > limit:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": limit}})
    return value


def field_texts(errors: dict, *specs: tuple) -> dict[str, str]:
    """`field_text` for several fields at once, each spec (field, value, limit, required, multiline): the cleaned
    values, and every field's error gathered into `errors` rather than stopping at the first."""
    values = {}
    for field, value, limit, required, multiline in specs:
        try:
            values[field] = field_text(value, field, limit=limit, required=required, multiline=multiline)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    return values
