from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """An admin-entered day that overrides the built-in holiday calendar.

    The State Council publishes each year's holidays and make-up working days
    around November; the administrator enters them here, for years the
    chinese-calendar package does not know yet or to correct it.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (day off)")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=32, blank=True, help_text=_("e.g. 劳动节"))

    class Meta:
        verbose_name = _("holiday or make-up working day")
        verbose_name_plural = _("holidays and make-up working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()
