"""Role → permission names. Roles are memberships; what a role may do lives here, in code."""

from __future__ import annotations

from .models import Role

REGISTRY_VIEW = "registry.view"
REGISTRY_VIEW_SENSITIVE = "registry.view_sensitive"
# The safety officers of an area (people, not the public register of sites): names, contacts masked by role,
# trainings. Not for partner departments or IT administration.
REGISTRY_VIEW_PEOPLE = "registry.view_people"
REGISTRY_EDIT = "registry.edit"
REGISTRY_IMPORT = "registry.import"
REGISTRY_EXPORT = "registry.export"
REGISTRY_FILE_CHANGE = "registry.file_change"  # an enterprise files a change of its own site (备案变更)
EVENTS_VIEW = "events.view"
EVENTS_REPORT = "events.report"
EVENTS_DISTRICT = "events.district"  # accept, remind, verify, escalate: the district safety centre's work
EVENTS_CITY = "events.city"  # take escalated events: the city bureau's work
EVENTS_ENTERPRISE = "events.enterprise"  # acknowledge letters, submit rectification
EVENTS_CONFIRM = "events.confirm"  # confirm or dispute a fix on site
STATS_VIEW = "stats.view"  # the statistics, performance tables, yearly report and wall screen of an area
CASES_VIEW = "cases.view"
CASES_HANDLE = "cases.handle"  # propose, investigate, notify, serve, record payment
CASES_APPROVE = "cases.approve"  # approve filing and penalty decisions
VIDEO_VIEW = "video.view"  # live view, snapshots and health of the cameras of an area
VIDEO_MANAGE = "video.manage"  # register, edit and import cameras
VIDEO_PATROL = "video.patrol"  # draw video patrols and patrol by video (district safety centres, city bureau)
SELFCHECK_VIEW = "selfcheck.view"  # officer filings, monthly duty reports, spot checks and circulars of an area
SELFCHECK_SUBMIT = "selfcheck.submit"  # an enterprise files its safety officers and submits its duty reports
SELFCHECK_REVIEW = "selfcheck.review"  # decide filings, review reports, run spot checks, draft circulars
CIRCULARS_APPROVE = "circulars.approve"  # approve a circular before it is published
INSPECTIONS_VIEW = "inspections.view"  # inspection plans, their 双随机 draws and inspection records of an area
INSPECTIONS_MANAGE = "inspections.manage"  # plan inspections, publish their draws, record them as an inspector
EMERGENCY_VIEW = "emergency.view"  # emergency organisations, plans, drills and incidents of an area
EMERGENCY_SUBMIT = "emergency.submit"  # an enterprise files its emergency organisation and plans, records drills
EMERGENCY_REVIEW = "emergency.review"  # review plans, evaluate drills, close incidents
INCIDENT_REPORT = "emergency.incident"  # report an incident and add to its timeline
TIPS_HANDLE = "tips.handle"  # check public reports of an area and handle them as events
TIPS_IDENTITY = "tips.identity"  # see who made a public report (every look is logged)
REWARDS_VIEW = "rewards.view"  # the rewards ledger of an area
REWARDS_PROPOSE = "rewards.propose"  # propose a reward for a grid worker's report
REWARDS_APPROVE = "rewards.approve"  # approve or refuse a proposed reward
REWARDS_PAY = "rewards.pay"  # record that an approved reward was paid
COLLAB_VIEW = "collab.view"  # partner departments, memoranda, joint meetings, their tasks, shares and referrals
COLLAB_MANAGE = "collab.manage"  # record memoranda and meetings, share records with a department, refer matters
COLLAB_RESPOND = "collab.respond"  # a partner department's part: comment, report on its tasks, refer and answer
ACCOUNTS_MANAGE = "accounts.manage"
API_USE = "api.use"  # holds bearer tokens for the REST API (partner systems, mobile clients)
CONFIG_MANAGE = "config.manage"

_REGULATOR = frozenset(
    {REGISTRY_VIEW, REGISTRY_VIEW_PEOPLE, REGISTRY_VIEW_SENSITIVE, REGISTRY_EDIT, REGISTRY_IMPORT, REGISTRY_EXPORT,
     API_USE}
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.GRID_WORKER: frozenset({REGISTRY_VIEW, REGISTRY_VIEW_PEOPLE, EVENTS_VIEW, EVENTS_REPORT, EVENTS_CONFIRM, API_USE,
                                 VIDEO_VIEW}),
    Role.DISTRICT_OFFICER: _REGULATOR | {EVENTS_VIEW, EVENTS_REPORT, EVENTS_DISTRICT, CASES_VIEW, STATS_VIEW,
                                         VIDEO_VIEW, VIDEO_MANAGE, VIDEO_PATROL, SELFCHECK_VIEW, SELFCHECK_REVIEW,
                                         INSPECTIONS_VIEW, INSPECTIONS_MANAGE, EMERGENCY_VIEW, EMERGENCY_REVIEW,
                                         INCIDENT_REPORT, TIPS_HANDLE, REWARDS_VIEW, REWARDS_PROPOSE, COLLAB_VIEW,
                                         COLLAB_MANAGE},
    Role.CITY_OFFICER: _REGULATOR | {EVENTS_VIEW, EVENTS_CITY, CASES_VIEW, CASES_HANDLE, STATS_VIEW, VIDEO_VIEW,
                                     VIDEO_MANAGE, VIDEO_PATROL, SELFCHECK_VIEW, SELFCHECK_REVIEW, INSPECTIONS_VIEW,
                                     INSPECTIONS_MANAGE, EMERGENCY_VIEW, EMERGENCY_REVIEW, INCIDENT_REPORT,
                                     TIPS_HANDLE, TIPS_IDENTITY, REWARDS_VIEW, REWARDS_PROPOSE, REWARDS_PAY,
                                     COLLAB_VIEW, COLLAB_MANAGE},
    Role.CITY_LEADER: frozenset(
        {REGISTRY_VIEW, REGISTRY_VIEW_PEOPLE, REGISTRY_VIEW_SENSITIVE, REGISTRY_EXPORT, EVENTS_VIEW, CASES_VIEW,
         CASES_APPROVE, API_USE, STATS_VIEW, VIDEO_VIEW, SELFCHECK_VIEW, CIRCULARS_APPROVE, INSPECTIONS_VIEW,
         EMERGENCY_VIEW, TIPS_IDENTITY, REWARDS_VIEW, REWARDS_APPROVE, COLLAB_VIEW}
    ),
    # Enterprise staff see their own enterprise's records, including their own staff's details and cameras.
    Role.ENTERPRISE_SAFETY: frozenset({REGISTRY_VIEW, REGISTRY_VIEW_PEOPLE, REGISTRY_VIEW_SENSITIVE, REGISTRY_FILE_CHANGE,
                                       EVENTS_VIEW, EVENTS_ENTERPRISE, CASES_VIEW, API_USE, VIDEO_VIEW, SELFCHECK_VIEW,
                                       SELFCHECK_SUBMIT, INSPECTIONS_VIEW, EMERGENCY_VIEW, EMERGENCY_SUBMIT,
                                       INCIDENT_REPORT}),
    # Partner departments see the public register of legal sites in their area, nothing private, and, through
    # their department (never through an area), what is shared with it, referred to or by it, or agreed with it.
    Role.PARTNER: frozenset({REGISTRY_VIEW, API_USE, COLLAB_VIEW, COLLAB_RESPOND}),
    # IT administration: configuration only, no workflow actions.
    Role.ADMIN: frozenset({REGISTRY_VIEW, ACCOUNTS_MANAGE, CONFIG_MANAGE}),
}


def permissions_for_role(role: str) -> frozenset[str]:
    return ROLE_PERMISSIONS.get(role, frozenset())
