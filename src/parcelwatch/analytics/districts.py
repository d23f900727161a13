"""The city's assessment of its districts (市对县综治考评): the workflow's indicators per district over a period,
weighted as configured, scored out of 100 and ranked."""

from __future__ import annotations

from decimal import Decimal

from parcelwatch.accounts.models import Jurisdiction

from .models import DistrictIndicatorWeight
from .selectors import Reach, StatsFilter, aggregate, drill, with_rates

# The indicators a weight can be put on; rework counts against a district (its complement is scored).
ASSESSED = dict(DistrictIndicatorWeight.Indicator.choices)
LOWER_IS_BETTER = {DistrictIndicatorWeight.Indicator.REWORK}


def weights() -> list[tuple[str, Decimal]]:
    return [(w.indicator, w.weight) for w in DistrictIndicatorWeight.objects.filter(weight__gt=0)
            .order_by("sort_order", "indicator") if w.indicator in ASSESSED]


def score(values: dict, weighted: list[tuple[str, Decimal]]) -> Decimal | None:
    """Out of 100: the weighted mean of the indicators that have a value (a district with no event to judge an
    indicator by is neither rewarded nor punished for it); None when none has."""
    total = Decimal(0)
    counted = Decimal(0)
    for key, weight in weighted:
        value = values.get(key)
        if value is None:
            continue
        value = Decimal(str(value))
        total += weight * (1 - value if key in LOWER_IS_BETTER else value)
        counted += weight
    if not counted:
        return None
    return (total * 100 / counted).quantize(Decimal("0.1"))


def district_assessment(reach: Reach, f: StatsFilter, districts) -> tuple[list[dict], list[tuple[str, Decimal]]]:
    """One row per district (every district given, with or without events), ranked by score; equal scores share
    a rank, districts without a score come last, unranked."""
    weighted = weights()
    by_id = {r["district_id"]: with_rates(r) for r in aggregate(reach, f, ("district_id",))}
    rows = []
    for district in districts:
        values = by_id.get(district.pk, {})
        rows.append({"code": district.code, "label": district.name, "reported": values.get("reported", 0),
                     **{key: values.get(key) for key in ASSESSED}, "score": score(values, weighted),
                     "url": drill(f, district=district.code)})
    return ranked(rows), weighted


def ranked(rows: list[dict]) -> list[dict]:
    """Best score first; equal scores share a rank (1, 1, 3); rows without a score last, unranked."""
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["code"]))
    previous, rank = None, 0
    for position, row in enumerate(rows, start=1):
        if row["score"] is None:
            row["rank"] = None
            continue
        if row["score"] != previous:
            rank, previous = position, row["score"]
        row["rank"] = rank
    return rows


def assessed_districts(reach: Reach) -> list[Jurisdiction]:
    """The whole districts (and management zones) the user's statistics reach: a town's officer assesses none."""
    return list(Jurisdiction.objects.filter(pk__in=sorted(reach.district_ids), level__in=("district", "zone"))
                .order_by("sort_order", "code"))
