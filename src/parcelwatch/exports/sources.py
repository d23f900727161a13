"""Every list a user can export, by key. Each domain app declares its own in its `exports` module."""

from __future__ import annotations

from functools import cache

from django.http import Http404

from parcelwatch.lib.spreadsheets import ExportSource


@cache
def all_sources() -> dict[str, ExportSource]:
    from parcelwatch.analytics.exports import EXPORT_SOURCES as statistics
    from parcelwatch.assessment.exports import EXPORT_SOURCES as assessment
    from parcelwatch.enforcement.exports import EXPORT_SOURCES as cases
    from parcelwatch.events.exports import EXPORT_SOURCES as events
    from parcelwatch.registry.exports import EXPORT_SOURCES as registry
    from parcelwatch.video.exports import EXPORT_SOURCES as video

    return {s.key: s for s in (*registry, *events, *cases, *statistics, *video, *assessment)}


def source_for(key: str) -> ExportSource:
    try:
        return all_sources()[key]
    except KeyError:
        raise Http404 from None
