"""Pages of public reports: the public form and tracking page (no login), the officers' checking of reports, and
the rewards ledger."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcelwatch.accounts.access import covers, has_permission
from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.accounts.permissions import (
    EVENTS_REPORT,
    REWARDS_APPROVE,
    REWARDS_PAY,
    REWARDS_VIEW,
    TIPS_HANDLE,
    TIPS_IDENTITY,
)
from parcelwatch.accounts.services import rate_limited
from parcelwatch.events.models import EventCategory
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.evidence.kept import kept_files, store_files
from parcelwatch.evidence.models import Attachment
from parcelwatch.lib.forms import add_service_errors, form_errors_text, posted, posted_files
from parcelwatch.lib.net import client_ip
from parcelwatch.lib.pagination import paged
from parcelwatch.lib.params import text, year
from parcelwatch.registry.models import Site

from . import challenge, services
from . import selectors as sel
from .forms import DecisionForm, DismissForm, PaymentForm, PublicReportForm, SubstantiateForm
from .models import Reward, RewardRuleSet, TipOff

KEPT_SALT = "parcelwatch.tipoffs.kept"
MAX_PHOTOS = 3


def _public_districts():
    return Jurisdiction.objects.filter(level__in=("district", "zone")).order_by("sort_order", "code")


def _public_categories():
    return EventCategory.objects.filter(active=True).order_by("code")


def _kept_public_photos(request: HttpRequest) -> list[Attachment]:
    """Photos sent with an earlier, refused submission, named by a signed list (they have no owner to check)."""
    try:
        ids = signing.loads(request.POST.get("kept", ""), salt=KEPT_SALT, max_age=3600)
    except signing.BadSignature:
        return []
    if not isinstance(ids, list):
        return []
    return list(Attachment.objects.filter(pk__in=[i for i in ids if isinstance(i, int)][:MAX_PHOTOS],
                                          uploaded_by__isnull=True, kind=Attachment.Kind.IMAGE))


def public_report(request: HttpRequest) -> HttpResponse:
    """Report a violation, without login, from a phone."""
    form = PublicReportForm(posted(request), posted_files(request), districts=_public_districts(),
                            categories=_public_categories())
    photos: list[Attachment] = []
    if request.method == "POST":
        photos = _kept_public_photos(request)
        valid = form.is_valid()
        post = request.POST
        token, answer, honeypot = post.get("token", ""), post.get("answer", ""), post.get("website", "")
        earlier = services.sent_with(challenge.nonce(token))
        if earlier is not None:  # the same form sent twice (a double tap): the report is in, show its code
            return render(request, "tipoffs/public_received.html", {"tip": earlier})
        # Files are stored only for a form a person filled (our signed challenge, not too fast, the hidden field
        # empty), and at most PUBLIC_REPORT_PHOTOS_PER_HOUR per address: a wrong sum does not lose the photos, a bot
        # cannot fill the disk.
        uploads = request.FILES.getlist("attachments")[: MAX_PHOTOS - len(photos)]
        if uploads and not challenge.plausible(token, honeypot):
            form.add_error("attachments", _("The photos were not received: choose them again."))
            valid = False
            uploads = []
        for upload in uploads:
            if rate_limited(f"tipoff-photo:{client_ip(request)}", window_seconds=3600,
                            limit=settings.PUBLIC_REPORT_PHOTOS_PER_HOUR):
                form.add_error("attachments", _("Too many photos from this connection. Try again in an hour."))
                valid = False
                break
            try:
                photo = store_attachment(upload, name=upload.name, actor=None)
            except ValidationError as exc:
                form.add_error("attachments", exc.messages)
                valid = False
                continue
            if photo.kind != Attachment.Kind.IMAGE:
                form.add_error("attachments", _("Attach photos only."))
                valid = False
                continue
            photos.append(photo)
        # The token is used up by this attempt, right or wrong: sums cannot be tried one by one.
        if not challenge.use(token, answer, honeypot):
            form.add_error("answer", _("The answer is not right, or came too fast. Work out the new sum."))
            valid = False
        # Only reports that are received count towards the limit: people sharing an address are not locked out
        # by each other's mistakes.
        if valid and rate_limited(f"tipoff:{client_ip(request)}", limit=settings.PUBLIC_REPORTS_PER_HOUR,
                                  window_seconds=3600):
            form.add_error(None, _("Too many reports from this connection. Try again in an hour, or call 12305."))
            valid = False
        if valid:
            d = form.cleaned_data
            district = _public_districts().filter(pk=d["district"]).first()
            category = _public_categories().filter(code=d["category"]).first() if d["category"] else None
            try:
                tip = services.submit_tipoff(district=district, place=d["place"], description=d["description"],
                                             category=category, reporter_name=d["reporter_name"],
                                             reporter_phone=d["reporter_phone"], insider=d["insider"],
                                             attachments=photos, challenge=challenge.nonce(token))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return render(request, "tipoffs/public_received.html", {"tip": tip})
    question, token = challenge.new_challenge()
    if form.is_bound:
        form.data = form.data.copy()
        form.data["token"], form.data["answer"] = token, ""
    else:
        form.initial["token"] = token
    return render(request, "tipoffs/public_report.html", {
        "form": form, "question": question, "photos": photos,
        "kept": signing.dumps([p.pk for p in photos], salt=KEPT_SALT) if photos else ""})


def public_track(request: HttpRequest) -> HttpResponse:
    code = text(request.GET, "code", 40)
    tip = services.track(code) if code else None
    return render(request, "tipoffs/public_track.html", {"code": code, "tip": tip, "searched": bool(code)})


# --- officers -------------------------------------------------------------------------------------------------


def _require(request: HttpRequest, perm: str) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


@login_required
def tipoff_list(request: HttpRequest) -> HttpResponse:
    _require(request, TIPS_HANDLE)
    qs = sel.tipoffs_visible_to(request.user)
    state = text(request.GET, "state", 16)
    if state in TipOff.State.values:
        qs = qs.filter(state=state)
    page, querystring = paged(request, qs.order_by("-received_at", "-pk"))
    return render(request, "tipoffs/tipoff_list.html", {
        "page": page, "count": qs.count(), "state": state, "states": TipOff.State.choices,
        "querystring": querystring})


@login_required
def tipoff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    tip = sel.get_tipoff_for_user(request.user, pk)
    open_ = tip.state == TipOff.State.RECEIVED and sel.can_on(request.user, TIPS_HANDLE, tip)
    # Handling it as an event is reporting one: the district safety centre's work (the city may only dismiss).
    can_substantiate = open_ and covers(request.user, EVENTS_REPORT, tip.district.path)
    sites = list(Site.objects.filter(district=tip.district).exclude(status=Site.Status.CLOSED).order_by("name"))
    categories = list(_public_categories())
    action = request.POST.get("do") if request.method == "POST" else ""
    substantiate = SubstantiateForm(posted(request) if action == "substantiate" else None,
                                    posted_files(request) if action == "substantiate" else None, sites=sites,
                                    categories=categories, initial={
                                        "category": tip.category.code if tip.category else "",
                                        "version": tip.version})
    dismiss = DismissForm(posted(request) if action == "dismiss" else None, initial={"version": tip.version})
    files: list = []
    if request.method == "POST":
        if not sel.can_on(request.user, TIPS_HANDLE, tip):
            raise PermissionDenied
        if not open_:
            messages.error(request, _("This report has been handled already."))
            return redirect("tipoffs:detail", pk=tip.pk)
        if action == "substantiate":
            if not can_substantiate:
                raise PermissionDenied
            files = kept_files(request, substantiate)
            valid = substantiate.is_valid()
            valid = store_files(request, substantiate, files) and valid
            if valid:
                d = substantiate.cleaned_data
                try:
                    services.substantiate_tipoff(
                        tip, actor=request.user, site=next((s for s in sites if str(s.pk) == d["site"]), None),
                        category=next((c for c in categories if c.code == d["category"]), None),
                        description=d["description"], outcome=d["outcome"], photos=files,
                        expected_version=d["version"])
                except ValidationError as exc:
                    add_service_errors(substantiate, exc)
                else:
                    messages.success(request, _("Substantiated: the report is now an event."))
                    return redirect("tipoffs:detail", pk=tip.pk)
        elif action == "dismiss":
            if dismiss.is_valid():
                try:
                    services.dismiss_tipoff(tip, actor=request.user, outcome=dismiss.cleaned_data["outcome"],
                                            expected_version=dismiss.cleaned_data["version"])
                except ValidationError as exc:
                    add_service_errors(dismiss, exc)
                else:
                    messages.success(request, _("Recorded as not substantiated."))
                    return redirect("tipoffs:detail", pk=tip.pk)
    return render(request, "tipoffs/tipoff_detail.html", {
        "tip": tip, "open": open_, "can_substantiate": can_substantiate, "substantiate": substantiate, "dismiss": dismiss, "files": files,
        "file_ids": ",".join(str(f.pk) for f in files), "attachments": tip.attachments.order_by("pk"),
        "can_reveal": not tip.anonymous and sel.can_on(request.user, TIPS_IDENTITY, tip),
        "identity": request.session.pop(f"tip-identity-{tip.pk}", None),
        "views": tip.identity_views.select_related("viewer")[:20] if has_permission(request.user, TIPS_IDENTITY)
        else [], "reward": Reward.objects.filter(tipoff=tip).first()})


@login_required
@require_POST
def tipoff_identity(request: HttpRequest, pk: int) -> HttpResponse:
    tip = sel.get_tipoff_for_user(request.user, pk)
    name, phone = services.reveal_identity(tip, actor=request.user)
    request.session[f"tip-identity-{tip.pk}"] = {"name": name, "phone": phone}
    return redirect("tipoffs:detail", pk=tip.pk)


# --- rewards --------------------------------------------------------------------------------------------------


@login_required
def reward_list(request: HttpRequest) -> HttpResponse:
    _require(request, REWARDS_VIEW)
    visible = sel.rewards_visible_to(request.user)
    qs = visible
    state, audience, y = text(request.GET, "state", 16), text(request.GET, "for", 8), year(request.GET)
    if state in Reward.State.values:
        qs = qs.filter(state=state)
    if audience in RewardRuleSet.Audience.values:
        qs = qs.filter(rule_set__audience=audience)
    if y:
        qs = qs.filter(proposed_at__year=y) if state != Reward.State.PAID else qs.filter(paid_at__year=y)
    page, querystring = paged(request, qs.order_by("-proposed_at", "-pk"))
    return render(request, "tipoffs/reward_list.html", {
        "page": page, "count": qs.count(), "state": state, "audience": audience, "year": y, "querystring": querystring,
        "states": Reward.State.choices, "audiences": RewardRuleSet.Audience.choices,
        "totals": sel.yearly_totals(visible), "years": range(timezone.localdate().year, 2017, -1)})


@login_required
def reward_detail(request: HttpRequest, pk: int) -> HttpResponse:
    reward = sel.get_reward_for_user(request.user, pk)
    return render(request, "tipoffs/reward_detail.html", {
        "reward": reward,
        "can_decide": reward.state == Reward.State.PROPOSED and sel.can_on(request.user, REWARDS_APPROVE, reward),
        "can_pay": reward.state == Reward.State.APPROVED and sel.can_on(request.user, REWARDS_PAY, reward),
        "payment_form": PaymentForm(initial={"version": reward.version})})


@login_required
@require_POST
def reward_decide(request: HttpRequest, pk: int) -> HttpResponse:
    reward = sel.get_reward_for_user(request.user, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("tipoffs:reward", pk=reward.pk)
    d = form.cleaned_data
    try:
        services.decide_reward(reward, actor=request.user, approve=d["decision"] == "approve", reason=d["reason"],
                               expected_version=d["version"])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("tipoffs:reward", pk=reward.pk)


@login_required
@require_POST
def reward_pay(request: HttpRequest, pk: int) -> HttpResponse:
    reward = sel.get_reward_for_user(request.user, pk)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("tipoffs:reward", pk=reward.pk)
    try:
        services.pay_reward(reward, actor=request.user, voucher=form.cleaned_data["voucher"],
                            expected_version=form.cleaned_data["version"])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("Payment recorded."))
    return redirect("tipoffs:reward", pk=reward.pk)


@login_required
@require_POST
def reward_propose(request: HttpRequest) -> HttpResponse:
    """A reward for the grid worker who reported an event, proposed from the event's page."""
    from parcelwatch.events.selectors import get_event_for_user

    event = get_event_for_user(request.user, request.POST.get("event"))
    try:
        reward = services.propose_grid_reward(event, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("events:detail", pk=event.pk)
    messages.success(request, _("Reward of %(amount)s yuan proposed for the leader's approval.") % {
        "amount": reward.amount})
    return redirect("tipoffs:reward", pk=reward.pk)
