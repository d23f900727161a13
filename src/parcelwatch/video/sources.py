"""Camera source addresses: RTSP, RTMP or HLS, checked before anything connects to them.

The media gateway, the health probe and the snapshot hand these addresses to ffmpeg, which can also read
local files and other protocols: every call passes the protocol whitelist of the address's own scheme, so
an address (or an HLS playlist behind it) can never make ffmpeg read the server's disk.
Passwords in an address (rtsp://admin:secret@…) are never shown or written to a change record.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from parcelwatch.lib.text import clean_text

MAX_LENGTH = 500
SCHEMES = {
    "rtsp": "rtsp,rtp,udp,tcp",
    "rtsps": "rtsp,rtsps,rtp,udp,tcp,tls",
    "rtmp": "rtmp,tcp",
    "rtmps": "rtmps,tcp,tls",
    "http": "http,tcp,hls,crypto,httpproxy",
    "https": "https,http,tcp,tls,hls,crypto,httpproxy",
}


def clean_source_url(raw: str | None) -> str:
    """The address as stored, or ValidationError with the reason in Chinese."""
    value = clean_text(raw, multiline=False)
    if not value:
        raise ValidationError(_("Enter the camera's source address."))
    if len(value) > MAX_LENGTH:
        raise ValidationError(_("The source address is longer than %(n)d characters.") % {"n": MAX_LENGTH})
    if any(ch.isspace() for ch in value) or not value.isascii():
        raise ValidationError(_("The source address may not contain spaces or non-ASCII characters; "
                                "percent-encode them."))
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValidationError(_("The source address is not a valid URL.")) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ValidationError(_("The source must be an rtsp://, rtmp:// or http(s):// (HLS) address."))
    if not parts.hostname:
        raise ValidationError(_("The source address has no host."))
    if port == 0:
        raise ValidationError(_("The source address has an invalid port."))
    if scheme in ("http", "https") and not parts.path.lower().endswith(".m3u8"):
        raise ValidationError(_("An http(s) source must be an HLS playlist (ending in .m3u8)."))
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))


SECRET_PARAMS = re.compile(r"(?i)\b(password|passwd|pwd|pass|token|key|secret|auth|sign)=[^&]*")


def shown_source(url: str) -> str:
    """The address without its password (nor secrets in its query), for pages, lists, exports, change records and
    the edit form (where *** stands for the password already stored: see keep_password)."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            host = parts.hostname or ""
            if ":" in host:
                host = f"[{host}]"
            netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
        query = SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=***", parts.query)
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "***"


def keep_password(new: str, stored: str) -> str:
    """An address typed back with *** where the form showed the hidden password (or query secrets): the stored
    secrets stand in for the stars, as long as the rest of the address is what was shown."""
    if "***" not in (new or "") or not stored:
        return new
    return stored if shown_source(stored) == new else new


_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s]*@")


def without_credentials(text: str) -> str:
    """A message from ffmpeg, with any user:password@ in the addresses it quotes removed."""
    return SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=***", _CREDENTIALS.sub(r"\1***@", text))


def input_args(url: str, *, timeout_seconds: float) -> list[str]:
    """ffmpeg/ffprobe options that read `url` safely: its scheme's protocols only, bounded waits."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError("unsupported source scheme")
    micros = str(int(timeout_seconds * 1_000_000))
    args = ["-protocol_whitelist", SCHEMES[scheme]]
    if scheme.startswith("rtsp"):
        args += ["-rtsp_transport", "tcp", "-timeout", micros]
    elif scheme.startswith("rtmp"):
        args += ["-rw_timeout", micros]
    else:
        args += ["-rw_timeout", micros]
    return [*args, "-i", url]
