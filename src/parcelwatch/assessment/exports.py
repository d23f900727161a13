"""An evaluation's results as a spreadsheet (Chinese headers) and as a printable PDF, both made in the worker."""

from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.permissions import SELFCHECK_VIEW
from parcelwatch.lib.spreadsheets import Column, ExportSheet, ExportSource

from . import selectors as sel

GRADE_LABELS = {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"}


def _evaluation(user, params):
    from django.http import Http404

    try:
        return sel.get_evaluation_for_user(user, str(params.get("evaluation", ""))[:20])
    except Http404:
        return None


def _rows(user, params):
    from .models import EvaluationResult
    from .views import filter_results

    evaluation = _evaluation(user, params)
    if evaluation is None:
        return EvaluationResult.objects.none()
    return filter_results(sel.results_visible_to(user, evaluation), params)[0]


def _lines(r) -> str:
    from .services import cells

    return "；".join(f"{c['text']} {c['score'] if c['score'] is not None else '—'}"
                    + (f"（{c['detail']}）" if c["detail"] else "") for c in cells(r.evaluation, r))


RESULT_SHEET = ExportSheet(
    title=_("Assessment results"),
    queryset_for_export=lambda qs: qs.select_related("enterprise", "site", "site__district", "evaluation"),
    columns=(
        Column("排名", "rank", width=8),
        Column("企业", "enterprise", export=lambda r: r.enterprise.name, width=32),
        Column("统一社会信用代码", "credit_code", export=lambda r: r.enterprise.credit_code, width=22),
        Column("网点", "site", export=lambda r: r.site.name if r.site_id else "", width=28),
        Column("得分", "total", num_format="0.0"),
        Column("等级", "grade", export=lambda r: GRADE_LABELS.get(r.grade, r.grade)),
        Column("评分明细", "lines", export=_lines, width=80),
    ),
)


def _write_pdf(user, params: dict, out) -> int:
    from django.utils import timezone

    from parcelwatch.documents.services import render_pdf

    evaluation = _evaluation(user, params)
    if evaluation is None:  # not (or no longer) the user's to see: a PDF that says so, not a failed export
        out.write(render_pdf("assessment/evaluation_pdf.html", {"evaluation": None, "rows": [],
                                                                "printed_at": timezone.localtime()}))
        return 1
    rows = list(_rows(user, params).select_related("enterprise", "site"))
    from .services import cells

    for r in rows:
        r.cells = [c["score"] for c in cells(evaluation, r)]
        r.grade_label = GRADE_LABELS.get(r.grade, r.grade)
    out.write(render_pdf("assessment/evaluation_pdf.html", {
        "evaluation": evaluation, "rows": rows, "printed_at": timezone.localtime()}))
    return 1


EXPORT_SOURCES = (
    ExportSource(key="assessment", label=_("Assessment results"), permission=SELFCHECK_VIEW, sheet=RESULT_SHEET,
                 rows=_rows),
    ExportSource(key="assessment_pdf", label=_("Assessment results (PDF)"), permission=SELFCHECK_VIEW, sheet=None,
                 rows=lambda user, params: [], write=_write_pdf, extension="pdf"),
)
