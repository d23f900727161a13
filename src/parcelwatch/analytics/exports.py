"""Statistics tables as spreadsheets, through the background exports like every list."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.permissions import STATS_VIEW
from parcelwatch.lib import params as p
from parcelwatch.lib.spreadsheets import ExportSheet, ExportSource

from .selectors import breakdown, reach_of, stats_filter
from .tables import columns, sort_rows

# by: (first column's header, the export's name)
BREAKDOWNS = {
    "category": (_("Category"), _("Statistics by category")),
    "district": (_("District"), _("Statistics by district")),
    "brand": (_("Brand"), _("Statistics by brand")),
    "enterprise": (_("Enterprise"), _("Statistics by enterprise")),
    "reporter": (_("Grid worker"), _("Statistics by grid worker")),
    "month": (_("Month"), _("Statistics by month")),
}


def _rows(by: str):
    def rows(user, params):
        f = stats_filter(params)
        out = breakdown(reach_of(user), f, by)
        if by != "month":
            out = sort_rows(out, str(params.get("sort", "reported")), params.get("dir", "desc") != "asc")
        return out

    return rows


EXPORT_SOURCES = tuple(
    ExportSource(
        key=f"stats_{by}", label=name, permission=STATS_VIEW,
        sheet=ExportSheet(title=_("Statistics"), columns=columns(header), queryset_for_export=lambda rows: rows),
        rows=_rows(by),
    )
    for by, (header, name) in BREAKDOWNS.items()
)


def _write_yearly_report(user, params: dict, out) -> int:
    """The yearly report as a PDF (in the worker): the same figures as the report page."""
    from django.utils import timezone

    from parcelwatch.accounts.selectors import districts_visible_to
    from parcelwatch.documents.services import render_pdf

    from .views import report_context

    today = timezone.localdate()
    year = p.year(params)
    year = year if year and year <= today.year else today.year
    code = str(params.get("district", ""))[:32]
    district = districts_visible_to(user).filter(code=code).first() if code else None
    f = stats_filter({"year": str(year), "district": district.code if district else ""}, today=today)
    out.write(render_pdf("analytics/report_pdf.html", report_context(user, f, year=year, district=district)))
    return 1


EXPORT_SOURCES = (*EXPORT_SOURCES, ExportSource(
    key="yearly_report", label=_("Yearly report"), permission=STATS_VIEW, sheet=None, rows=lambda user, params: [],
    write=_write_yearly_report, extension="pdf",
))


def _district_rows(user, params):
    from .districts import assessed_districts, district_assessment

    reach = reach_of(user)
    rows, _weights = district_assessment(reach, stats_filter(params), assessed_districts(reach))
    return rows


def _district_columns():
    from parcelwatch.lib.spreadsheets import Column

    from .districts import ASSESSED

    cols = [Column(_("Rank"), "rank", width=8, export=lambda r: r.get("rank")),
            Column(_("District"), "label", width=20),
            Column(_("Score"), "score", width=10, num_format="0.0", export=lambda r: r.get("score"))]
    cols += [Column(label, key, width=14, num_format="0.0%", export=(lambda r, k=key: r.get(k)))
             for key, label in ASSESSED.items()]
    cols.append(Column(_("Reported events"), "reported", width=12, num_format="#,##0",
                       export=lambda r: r.get("reported")))
    return tuple(cols)


EXPORT_SOURCES = (*EXPORT_SOURCES, ExportSource(
    key="district_assessment", label=_("District assessment"), permission=STATS_VIEW,
    sheet=ExportSheet(title=_("District assessment"), columns=_district_columns(),
                      queryset_for_export=lambda rows: rows),
    rows=_district_rows,
))

