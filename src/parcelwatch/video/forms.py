from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from parcelwatch.lib.forms import StyledFormMixin

from .models import Camera
from .sources import MAX_LENGTH


class CameraForm(StyledFormMixin, forms.ModelForm):
    source_url = forms.CharField(
        label=_("source URL"), max_length=MAX_LENGTH,
        help_text=_("rtsp://user:password@address:554/…, rtmp://… or an HLS playlist http(s)://…/index.m3u8"),
    )
    gb_device_id = forms.CharField(label=_("GB/T 28181 device ID"), max_length=40, required=False,
                                   help_text=_("20 digits, e.g. 35030200 48 118 8 000001 (an NVR); optional"))
    gb_channel_id = forms.CharField(label=_("GB/T 28181 channel ID"), max_length=40, required=False,
                                    help_text=_("20 digits, type 131 or 132, e.g. 35030200 48 132 8 000001; optional"))

    class Meta:
        model = Camera
        fields = ["name", "position", "gb_device_id", "gb_channel_id", "source_url", "enabled"]

    def _post_clean(self):
        # The service validates (and normalises) the model; the form only checks shapes and lengths.
        pass
