"""Messages of the libraries we show to users whose packages ship no (or no good) Simplified Chinese.

Listing them here puts them in our catalogue (`make messages`), which Django consults first.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MESSAGES = (
    # Django's form label suffix: Chinese labels end in a full-width colon.
    _(":"),
    # The admin's screen-reader headers of the application list (Django 5.2, untranslated upstream).
    _("Model name"), _("Add link"), _("Change or view list link"),
    _("After you’ve created a user, you’ll be able to edit more user options."),
    # django-tasks: the background task results shown in the admin.
    pgettext_lazy("Task", "Ready"), pgettext_lazy("Task", "Running"), pgettext_lazy("Task", "Failed"),
    pgettext_lazy("Task", "Successful"),
    _("Task Result"), _("Task Results"), _("status"), _("enqueued at"), _("started at"), _("finished at"),
    _("args kwargs"), _("priority"), _("task path"), _("worker id"), _("queue name"), _("backend name"),
    _("run after"), _("return value"), _("exception class path"), _("traceback"),
)
