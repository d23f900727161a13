"""Helpers shared by views that turn domain errors into form errors."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form; unknown fields become form-wide errors."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def form_errors_text(form: forms.Form) -> str:
    """All of a form's errors on one line, for a flash message."""
    return "; ".join(
        f"{form.fields[f].label if f in form.fields else ''}: {' '.join(errors)}".lstrip(": ")
        for f, errors in form.errors.items()
    )


class StyledFormMixin:
    """Give every widget the Bootstrap class it needs, and mark fields with errors."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            elif isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def full_clean(self) -> None:
        super().full_clean()
        self.mark_invalid()

    def mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] += " is-invalid"

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        self.mark_invalid()
