"""Video patrols (视频巡查): a 双随机 draw of sites and inspectors, the patrol checklist, and a finding
raised as an event with the patrol's snapshots as evidence.

The draw is a pure function of its recorded inputs — the seed, the candidate sites (id, kind, place) and
the candidate inspectors (id, the places their patrol role covers) — so anyone can re-run it later and
get the same list, whatever has changed in the registry since.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from parcelwatch.accounts.access import covers
from parcelwatch.accounts.models import Jurisdiction, Membership, Role, User
from parcelwatch.accounts.permissions import EVENTS_REPORT, VIDEO_PATROL, permissions_for_role
from parcelwatch.events.models import Event, EventCategory
from parcelwatch.lib.text import clean_text
from parcelwatch.registry.models import Site

from .models import PATROL_CHECKLIST, Camera, PatrolDraw, VideoPatrol

CHECKLIST = {code: (label, category) for code, label, category in PATROL_CHECKLIST}
NOTE_MAX = 2000


@dataclass(frozen=True)
class Drawn:
    pairs: list[tuple[int, int]]  # (site id, inspector id), in the order drawn
    unassigned: list[int]  # drawn sites no candidate inspector covers


def draw(seed: str, sites: list[list], inspectors: list[list], outlet_percent: int) -> Drawn:
    """Every sorting centre, plus ⌈share × outlets⌉ outlets at random; each drawn site goes to the least-loaded
    inspector covering it, the inspectors' order itself drawn at random. `sites`: [id, kind, path];
    `inspectors`: [id, [paths]]."""
    rng = random.Random(seed)
    centres = [s for s in sites if s[1] == Site.Kind.SORTING_CENTER]
    outlets = [s for s in sites if s[1] != Site.Kind.SORTING_CENTER]
    count = min(len(outlets), math.ceil(len(outlets) * outlet_percent / 100))
    chosen = centres + rng.sample(outlets, count)
    order = list(inspectors)
    rng.shuffle(order)
    load = {inspector[0]: 0 for inspector in order}
    pairs, unassigned = [], []
    for site_id, _kind, path in chosen:
        eligible = [i for i, inspector in enumerate(order) if any(path.startswith(p) for p in inspector[1])]
        if not eligible:
            unassigned.append(site_id)
            continue
        best = min(eligible, key=lambda i: (load[order[i][0]], i))
        load[order[best][0]] += 1
        pairs.append((site_id, order[best][0]))
    return Drawn(pairs=pairs, unassigned=unassigned)


def _candidates(area: Jurisdiction) -> tuple[list[list], list[list]]:
    with_camera = Exists(Camera.objects.filter(site=OuterRef("pk"), enabled=True))
    sites = [[pk, kind, path] for pk, kind, path in
             Site.objects.filter(with_camera, status=Site.Status.OPERATING, jurisdiction__path__startswith=area.path)
             .order_by("pk").values_list("pk", "kind", "jurisdiction__path")]
    # Inspectors raise what they find as events, so they are those who may both patrol and report.
    patrol_roles = [role for role in Role.values
                    if {VIDEO_PATROL, EVENTS_REPORT} <= permissions_for_role(role)]
    places: dict[int, list[str]] = {}
    for user_id, path in (Membership.objects.filter(role__in=patrol_roles, user__is_active=True)
                          .values_list("user_id", "jurisdiction__path").order_by("user_id", "jurisdiction__path")):
        # Inspectors of the area: a patrol role at its level or inside it (a district's draw goes to that
        # district's safety centre; a city draw to every district's, each patrolling its own sites).
        if path.startswith(area.path):
            places.setdefault(user_id, []).append(path)
    return sites, [[user_id, paths] for user_id, paths in sorted(places.items())]


@transaction.atomic
def draw_patrols(*, actor: User, area: Jurisdiction, outlet_percent: int, seed: str = "") -> PatrolDraw:
    if not covers(actor, VIDEO_PATROL, area.path):
        raise PermissionDenied
    if not 0 <= outlet_percent <= 100:
        raise ValidationError({"outlet_percent": _("The share of outlets is a percentage from 0 to 100.")})
    seed = clean_text(seed, multiline=False)[:40] or f"{timezone.localdate():%Y%m%d}-{secrets.token_hex(6)}"
    sites, inspectors = _candidates(area)
    if not sites:
        raise ValidationError(_("No operating site in %(area)s has an enabled camera.") % {"area": area.name})
    drawn = draw(seed, sites, inspectors, outlet_percent)
    if not drawn.pairs:
        raise ValidationError(_("No inspector with the video-patrol role covers the drawn sites."))
    record = PatrolDraw.objects.create(area=area, drawn_at=timezone.now(), drawn_by=actor, seed=seed,
                                       outlet_percent=outlet_percent, candidate_sites=sites,
                                       candidate_inspectors=inspectors)
    VideoPatrol.objects.bulk_create([VideoPatrol(draw=record, site_id=site_id, inspector_id=inspector_id)
                                     for site_id, inspector_id in drawn.pairs])
    from parcelwatch.notifications.services import notify

    for inspector_id in {i for _s, i in drawn.pairs}:
        mine = sum(1 for _s, i in drawn.pairs if i == inspector_id)
        notify(User.objects.filter(pk=inspector_id), kind="video_patrol", url="/video/patrols/", exclude=actor,
               count=mine, area=area.name)
    return record


def recheck(record: PatrolDraw) -> bool:
    """Run the draw again from its seed and recorded lists: True when it gives exactly the recorded patrols."""
    drawn = draw(record.seed, record.candidate_sites, record.candidate_inspectors, record.outlet_percent)
    recorded = list(record.patrols.order_by("pk").values_list("site_id", "inspector_id"))
    return drawn.pairs == recorded


def _require_inspector(patrol: VideoPatrol, actor: User) -> None:
    if patrol.inspector_id != actor.pk:
        raise PermissionDenied


@transaction.atomic
def record_patrol(patrol: VideoPatrol, *, actor: User, results: dict[str, str], note: str = "") -> VideoPatrol:
    """The inspector's findings on every checklist point; the patrol is done."""
    patrol = VideoPatrol.objects.select_for_update(of=("self",)).get(pk=patrol.pk)
    _require_inspector(patrol, actor)
    missing = [str(label) for code, (label, _c) in CHECKLIST.items() if results.get(code) not in
               VideoPatrol.Result.values]
    if missing:
        raise ValidationError(_("Give a finding for every point: %(points)s.") % {"points": "、".join(missing)})
    raised = [str(CHECKLIST[code][0]) for code in patrol.events if results.get(code) != VideoPatrol.Result.PROBLEM]
    if raised:
        raise ValidationError(_("A point raised as an event stays a problem: %(points)s.") % {
            "points": "、".join(raised)})
    note = clean_text(note)
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("At most %(n)d characters.") % {"n": NOTE_MAX}})
    patrol.results = {code: results[code] for code in CHECKLIST}
    patrol.note = note
    patrol.state = VideoPatrol.State.DONE
    patrol.patrolled_at = patrol.patrolled_at or timezone.now()  # corrections keep the time of the patrol
    patrol.save(update_fields=["results", "note", "state", "patrolled_at"])
    return patrol


@transaction.atomic
def raise_event(patrol: VideoPatrol, item: str, *, actor: User) -> Event:
    """One click: the problem found on a checklist point becomes an event (source: video patrol) with the
    patrol's snapshots as its evidence. Raising it twice gives the same event."""
    from parcelwatch.events.services import TransitionError, report_event

    patrol = VideoPatrol.objects.select_for_update(of=("self",)).select_related("site").get(pk=patrol.pk)
    _require_inspector(patrol, actor)
    if item not in CHECKLIST or patrol.results.get(item) != VideoPatrol.Result.PROBLEM:
        raise ValidationError(_("Only a point recorded as a problem can be raised as an event."))
    if item in patrol.events:
        existing = Event.objects.filter(pk=patrol.events[item]).first()
        if existing is not None:
            return existing
    shots = [s.attachment for s in patrol.snapshots.select_related("attachment").order_by("-taken_at")[:3]]
    if not shots:
        raise ValidationError(_("Take a snapshot of the problem first: it is the event's evidence."))
    label, code = CHECKLIST[item]
    category = EventCategory.objects.filter(code=code, active=True).first()
    if category is None:
        raise ValidationError(_("The event category %(code)s is not in use.") % {"code": code})
    description = _("Video patrol: %(point)s — not complied with.") % {"point": label}
    if patrol.note:
        description += "\n" + patrol.note
    try:
        # Seen by video, not on site: the event is placed at the site.
        event = report_event(actor=actor, site=patrol.site, category=category, description=description[:2000],
                             photos=shots, source=Event.Source.VIDEO_PATROL, lng=patrol.site.lng,
                             lat=patrol.site.lat)
    except TransitionError as exc:
        raise ValidationError(str(exc)) from None
    patrol.events = {**patrol.events, item: event.pk}
    patrol.save(update_fields=["events"])
    return event
