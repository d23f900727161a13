"""An export belongs to the person who asked for it."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from parcelwatch.accounts.access import valid_pk
from parcelwatch.accounts.models import User

from .models import ExportJob


def exports_of(user: User) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(owner=user)


def get_export_for_user(user: User, pk: object) -> ExportJob:
    job = exports_of(user).filter(pk=valid_pk(pk) or 0).first()
    if job is None:
        raise Http404
    return job
