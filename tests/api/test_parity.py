"""A partner system gets everything a person gets: every web action has its API counterpart.

The test walks the web URL configuration and the API schema side by side; a new page without an API
counterpart fails it, unless ALLOWED_WITHOUT_API says why.
"""

from django.urls import URLPattern, URLResolver, get_resolver

from parcelwatch.api import api

# web URL name -> the API operations that do the same for the same role
WEB_TO_API = {
    "home": ["GET /api/v1/me", "GET /api/v1/todo/events", "GET /api/v1/todo/cases"],
    "accounts:login": ["POST /api/v1/auth/token"],
    "accounts:logout": ["DELETE /api/v1/auth/token"],
    "accounts:login_code": ["POST /api/v1/auth/token"],
    "accounts:profile": ["GET /api/v1/me", "GET /api/v1/me/tokens"],
    "accounts:password_change": ["POST /api/v1/me/password"],
    "accounts:token_create": ["POST /api/v1/auth/token"],
    "accounts:token_revoke": ["DELETE /api/v1/me/tokens/{token_id}"],
    "registry:site_list": ["GET /api/v1/sites"],
    "registry:site_create": ["POST /api/v1/sites"],
    "registry:site_map": ["GET /api/v1/sites"],
    "registry:site_map_data": ["GET /api/v1/sites"],
    "registry:site_detail": ["GET /api/v1/sites/{site_id}", "GET /api/v1/sites/{site_id}/credit"],
    "registry:site_edit": ["PATCH /api/v1/sites/{site_id}"],
    "registry:enterprise_list": ["GET /api/v1/enterprises"],
    "registry:enterprise_create": ["POST /api/v1/enterprises"],
    "registry:enterprise_detail": ["GET /api/v1/enterprises/{enterprise_id}",
                                   "GET /api/v1/enterprises/{enterprise_id}/credit"],
    "registry:enterprise_edit": ["PATCH /api/v1/enterprises/{enterprise_id}"],
    "registry:officer_list": ["GET /api/v1/safety-officers"],
    "registry:officer_create": ["POST /api/v1/safety-officers"],
    "registry:officer_detail": ["GET /api/v1/safety-officers/{officer_id}"],
    "registry:officer_edit": ["PATCH /api/v1/safety-officers/{officer_id}"],
    "registry:officer_add_training": ["POST /api/v1/safety-officers/{officer_id}/trainings"],
    "registry:import_upload": ["POST /api/v1/imports/{kind}"],
    "registry:import_template": ["GET /api/v1/imports/{kind}/template"],
    "registry:import_preview": ["GET /api/v1/imports/batches/{batch_id}", "POST /api/v1/imports/batches/{batch_id}/commit",
                                "POST /api/v1/imports/batches/{batch_id}/discard"],
    "events:list": ["GET /api/v1/events"],
    "events:todo": ["GET /api/v1/todo/events", "GET /api/v1/todo/cases"],
    "events:report": ["POST /api/v1/events", "GET /api/v1/categories"],
    "events:report_sites": ["GET /api/v1/sites/nearby"],
    "events:due_date": ["GET /api/v1/calendar/due-date"],
    "events:detail": ["GET /api/v1/events/{event_id}"],
    "events:act": ["POST /api/v1/events/{event_id}/transitions", "POST /api/v1/evidence"],
    "enforcement:list": ["GET /api/v1/cases", "GET /api/v1/cases/totals"],
    "enforcement:detail": ["GET /api/v1/cases/{case_id}"],
    "enforcement:act": ["POST /api/v1/cases/{case_id}/transitions", "POST /api/v1/evidence"],
    "evidence:file": ["GET /api/v1/evidence/{attachment_id}/file"],
    "evidence:thumb": ["GET /api/v1/evidence/{attachment_id}/thumbnail"],
    "documents:list": ["GET /api/v1/documents", "GET /api/v1/documents/{document_id}/file"],
    "notifications:list": ["GET /api/v1/notifications"],
    "notifications:open": ["POST /api/v1/notifications/read"],
    "notifications:read_all": ["POST /api/v1/notifications/read"],
    "exports:list": ["GET /api/v1/exports"],
    "exports:create": ["POST /api/v1/exports"],
    "exports:status": ["GET /api/v1/exports/{export_id}"],
    "exports:download": ["GET /api/v1/exports/{export_id}/file"],
    "analytics:statistics": ["GET /api/v1/stats/summary", "GET /api/v1/stats/breakdown"],
    "analytics:performance": ["GET /api/v1/stats/breakdown", "POST /api/v1/exports"],
    "analytics:district_assessment": ["GET /api/v1/stats/district-assessment", "POST /api/v1/exports"],
    "analytics:report": ["GET /api/v1/stats/summary", "GET /api/v1/stats/breakdown", "POST /api/v1/exports"],
    "analytics:event_map": ["GET /api/v1/events"],
    "analytics:event_map_data": ["GET /api/v1/events"],
    "analytics:wall": ["GET /api/v1/stats/wall"],
    "analytics:wall_data": ["GET /api/v1/stats/wall"],
    "video:overview": ["GET /api/v1/video/online-rates", "GET /api/v1/xray/power-on-rates", "GET /api/v1/xray/machines"],
    "video:machine_create": ["POST /api/v1/xray/machines"],
    "video:camera_list": ["GET /api/v1/cameras"],
    "video:camera_detail": ["GET /api/v1/cameras/{camera_id}", "GET /api/v1/cameras/{camera_id}/probes",
                            "GET /api/v1/cameras/{camera_id}/snapshots"],
    "video:camera_create": ["POST /api/v1/cameras"],
    "video:camera_edit": ["PATCH /api/v1/cameras/{camera_id}"],
    "video:live_start": ["POST /api/v1/cameras/{camera_id}/live"],
    "video:live_file": ["GET /api/v1/cameras/{camera_id}/live/{filename}"],
    "video:snapshot": ["POST /api/v1/cameras/{camera_id}/snapshots"],
    "video:wall": ["GET /api/v1/cameras", "POST /api/v1/cameras/{camera_id}/live"],
    "video:patrol_list": ["GET /api/v1/video/patrols", "POST /api/v1/video/patrol-draws",
                          "GET /api/v1/video/patrol-draws"],
    "video:patrol_detail": ["GET /api/v1/video/patrols/{patrol_id}", "POST /api/v1/video/patrols/{patrol_id}/findings"],
    "video:patrol_raise": ["POST /api/v1/video/patrols/{patrol_id}/events"],
    "video:draw_detail": ["GET /api/v1/video/patrol-draws/{draw_id}"],
    "selfcheck:filing_list": ["GET /api/v1/selfcheck/filings"],
    "selfcheck:filing_create": ["POST /api/v1/selfcheck/filings"],
    "selfcheck:filing_detail": ["GET /api/v1/selfcheck/filings/{filing_id}",
                                "POST /api/v1/selfcheck/filings/{filing_id}/resubmission"],
    "selfcheck:filing_act": ["POST /api/v1/selfcheck/filings/{filing_id}/transitions"],
    "selfcheck:report_list": ["GET /api/v1/selfcheck/reports", "GET /api/v1/selfcheck/reporting"],
    "selfcheck:report_create": ["POST /api/v1/selfcheck/reports", "GET /api/v1/selfcheck/report-template",
                                "POST /api/v1/evidence"],
    "selfcheck:report_detail": ["GET /api/v1/selfcheck/reports/{report_id}"],
    "selfcheck:report_act": ["POST /api/v1/selfcheck/reports/{report_id}/transitions"],
    "selfcheck:check_list": ["GET /api/v1/selfcheck/spot-checks", "GET /api/v1/selfcheck/spot-check-draws",
                             "POST /api/v1/selfcheck/spot-check-draws"],
    "selfcheck:draw_detail": ["GET /api/v1/selfcheck/spot-check-draws/{spotdraw_id}"],
    "selfcheck:check_detail": ["GET /api/v1/selfcheck/spot-checks/{check_id}",
                               "POST /api/v1/selfcheck/spot-checks/{check_id}/result", "POST /api/v1/evidence"],
    "selfcheck:check_raise": ["POST /api/v1/selfcheck/spot-checks/{check_id}/events"],
    "selfcheck:circular_list": ["GET /api/v1/selfcheck/circulars"],
    "selfcheck:circular_create": ["POST /api/v1/selfcheck/circulars", "GET /api/v1/selfcheck/circulars/draft"],
    "selfcheck:circular_detail": ["GET /api/v1/selfcheck/circulars/{circular_id}",
                                  "GET /api/v1/evidence/{attachment_id}/file"],
    "selfcheck:circular_edit": ["PATCH /api/v1/selfcheck/circulars/{circular_id}"],
    "selfcheck:circular_act": ["POST /api/v1/selfcheck/circulars/{circular_id}/transitions"],
    "selfcheck:circular_read": ["POST /api/v1/selfcheck/circulars/{circular_id}/read"],
    "assessment:evaluation_list": ["GET /api/v1/assessment/evaluations", "POST /api/v1/assessment/evaluations",
                                   "GET /api/v1/assessment/sheets"],
    "assessment:evaluation_detail": ["GET /api/v1/assessment/evaluations/{evaluation_id}",
                                     "GET /api/v1/assessment/evaluations/{evaluation_id}/results",
                                     "POST /api/v1/exports"],
    "assessment:evaluation_act": ["POST /api/v1/assessment/evaluations/{evaluation_id}/transitions"],
    "assessment:result_detail": ["GET /api/v1/assessment/results/{evalresult_id}",
                                 "PATCH /api/v1/assessment/results/{evalresult_id}"],
    "assessment:site_rules": ["GET /api/v1/sites/{site_id}/three-rules"],
    "enforcement:inspections": ["GET /api/v1/inspections/plans", "GET /api/v1/inspections"],
    "enforcement:plan_new": ["POST /api/v1/inspections/plans"],
    "enforcement:plan": ["GET /api/v1/inspections/plans/{plan_id}"],
    "enforcement:plan_edit": ["PUT /api/v1/inspections/plans/{plan_id}"],
    "enforcement:plan_publish": ["POST /api/v1/inspections/plans/{plan_id}/publication"],
    "enforcement:inspection": ["GET /api/v1/inspections/{inspection_id}",
                               "POST /api/v1/inspections/{inspection_id}/record", "POST /api/v1/evidence"],
    "enforcement:inspection_raise": ["POST /api/v1/inspections/{inspection_id}/events"],
    "emergency:plans": ["GET /api/v1/emergency/plans", "GET /api/v1/emergency/organisations"],
    "emergency:plan_new": ["POST /api/v1/emergency/plans", "POST /api/v1/evidence"],
    "emergency:plan": ["GET /api/v1/emergency/plans/{emplan_id}"],
    "emergency:plan_review": ["POST /api/v1/emergency/plans/{emplan_id}/transitions"],
    "emergency:organisation": ["PUT /api/v1/emergency/organisation"],
    "emergency:drills": ["GET /api/v1/emergency/drills"],
    "emergency:drill_new": ["POST /api/v1/emergency/drills"],
    "emergency:drill": ["GET /api/v1/emergency/drills/{drill_id}", "POST /api/v1/emergency/drills/{drill_id}/record",
                        "POST /api/v1/emergency/drills/{drill_id}/evaluation"],
    "emergency:incidents": ["GET /api/v1/emergency/incidents"],
    "emergency:incident_new": ["POST /api/v1/emergency/incidents", "POST /api/v1/evidence"],
    "emergency:incident": ["GET /api/v1/emergency/incidents/{incident_id}",
                           "POST /api/v1/emergency/incidents/{incident_id}/updates"],
    "public:report": ["GET /api/v1/public/reports/challenge", "POST /api/v1/public/reports"],
    "public:track": ["GET /api/v1/public/reports/{code}"],
    "tipoffs:list": ["GET /api/v1/tips"],
    "tipoffs:detail": ["GET /api/v1/tips/{tip_id}", "POST /api/v1/tips/{tip_id}/substantiation",
                       "POST /api/v1/tips/{tip_id}/dismissal", "POST /api/v1/evidence"],
    "tipoffs:identity": ["POST /api/v1/tips/{tip_id}/identity"],
    "tipoffs:rewards": ["GET /api/v1/rewards", "GET /api/v1/rewards/totals"],
    "tipoffs:reward_propose": ["POST /api/v1/rewards"],
    "tipoffs:reward": ["GET /api/v1/rewards/{reward_id}"],
    "tipoffs:reward_decide": ["POST /api/v1/rewards/{reward_id}/decision"],
    "tipoffs:reward_pay": ["POST /api/v1/rewards/{reward_id}/payment"],
    "collaboration:overview": ["GET /api/v1/collab/departments", "GET /api/v1/collab/shares",
                               "GET /api/v1/collab/referrals", "GET /api/v1/collab/tasks"],
    "collaboration:memoranda": ["GET /api/v1/collab/memoranda"],
    "collaboration:memorandum_new": ["POST /api/v1/collab/memoranda", "POST /api/v1/evidence"],
    "collaboration:memorandum": ["GET /api/v1/collab/memoranda/{memorandum_id}"],
    "collaboration:meetings": ["GET /api/v1/collab/meetings"],
    "collaboration:meeting_new": ["POST /api/v1/collab/meetings", "POST /api/v1/evidence"],
    "collaboration:meeting": ["GET /api/v1/collab/meetings/{meeting_id}",
                              "POST /api/v1/collab/meetings/{meeting_id}/decisions"],
    "collaboration:meeting_edit": ["PUT /api/v1/collab/meetings/{meeting_id}"],
    "collaboration:tasks": ["GET /api/v1/collab/tasks"],
    "collaboration:task": ["GET /api/v1/collab/tasks/{task_id}", "POST /api/v1/collab/tasks/{task_id}/updates"],
    "collaboration:shares": ["GET /api/v1/collab/shares"],
    "collaboration:share_new": ["POST /api/v1/collab/shares"],
    "collaboration:share": ["GET /api/v1/collab/shares/{share_id}", "POST /api/v1/collab/shares/{share_id}/comments",
                            "GET /api/v1/evidence/{attachment_id}/file"],
    "collaboration:share_withdraw": ["POST /api/v1/collab/shares/{share_id}/withdrawal"],
    "collaboration:referrals": ["GET /api/v1/collab/referrals"],
    "collaboration:referral_new": ["POST /api/v1/collab/referrals", "POST /api/v1/evidence"],
    "collaboration:referral": ["GET /api/v1/collab/referrals/{referral_id}"],
    "collaboration:referral_act": ["POST /api/v1/collab/referrals/{referral_id}/transitions"],
    "public:inspections": ["GET /api/v1/public/inspection-plans"],
    "public:inspection_plan": ["GET /api/v1/public/inspection-plans/{plan_id}"],
    "public:inspection_draw": ["GET /api/v1/public/inspection-plans/{plan_id}"],
}

ALLOWED_WITHOUT_API = {
    "set_language": "chooses the language of the pages; the API has no pages",
    "api-v1": "the API itself",
    "accounts:two_factor": "an authenticator app is set up by a person, scanning a QR code on the screen",
    "health": "the deployment's health for load balancers and monitoring: JSON already, without a token",
    "admin": "configuration by the system administrator, not a role's work",
    "video:zlm_on_play": "ZLMediaKit's on_play hook, called by the media server, not by a person",
}


def _web_names(resolver=None, namespace=""):
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            yield from _web_names(p, p.namespace or namespace)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}:{p.name}" if namespace else p.name, namespace


def _api_operations() -> set[str]:
    schema = api.get_openapi_schema()
    return {f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops}


def test_every_web_action_has_an_api_counterpart():
    operations = _api_operations()
    missing = []
    for name, namespace in _web_names():
        if name in ALLOWED_WITHOUT_API or namespace in ALLOWED_WITHOUT_API:
            continue
        if name not in WEB_TO_API:
            missing.append(f"{name}: no API counterpart listed")
            continue
        missing += [f"{name}: {op} is not in the API" for op in WEB_TO_API[name] if op not in operations]
    assert missing == []


def test_the_mapping_names_only_pages_that_exist():
    names = {name for name, _ns in _web_names()}
    assert set(WEB_TO_API) <= names
