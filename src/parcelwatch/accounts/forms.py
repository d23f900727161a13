from django import forms
from django.utils.translation import gettext_lazy as _

from parcelwatch.lib.forms import StyledFormMixin


class LoginForm(StyledFormMixin, forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150, widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"})
    )
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class PasswordChangeForm(StyledFormMixin, forms.Form):
    old_password = forms.CharField(label=_("Current password"), max_length=256, strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label=_("New password"), max_length=256, strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password_again = forms.CharField(label=_("New password again"), max_length=256, strip=False,
                                         widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_password") and cleaned.get("new_password") != cleaned.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return cleaned


TOKEN_DAYS = [(1, _("1 day")), (7, _("7 days")), (30, _("30 days")), (90, _("90 days"))]


class TokenForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("What the token is for"), max_length=64,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. provincial platform")}))
    days = forms.TypedChoiceField(label=_("Valid for"), choices=TOKEN_DAYS, coerce=int, initial=7)


class CodeForm(StyledFormMixin, forms.Form):
    code = forms.CharField(label=_("6-digit code from the authenticator app"), max_length=16,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                         "autofocus": True}))


class TwoFactorOffForm(CodeForm):
    password = forms.CharField(label=_("Your password"), max_length=256, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
