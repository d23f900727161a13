from django.conf import settings
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
    kind = models.CharField(_("type of day"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=32, blank=True, help_text=_("e.g. 劳动节"))

    class Meta:
        verbose_name = _("holiday or make-up working day")
        verbose_name_plural = _("holidays and make-up working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class CalendarYear(models.Model):
    """Whether the administrator has entered a year's whole published schedule.

    Until a year is marked complete (or the chinese-calendar package knows it), its deadlines use
    the admin's entered days over the statutory holidays, and the administrators are warned.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    complete = models.BooleanField(
        _("schedule complete"), default=False,
        help_text=_("Tick once every holiday and make-up working day the State Council published for this year "
                    "is entered. Until then deadlines in this year count the statutory holidays only."),
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("marked by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    marked_at = models.DateTimeField(_("marked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)
