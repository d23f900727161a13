"""One row of a workflow's table of allowed actions (`TRANSITIONS` next to a model): pages, the API and tests read
the same rows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    permission: str
    label: object
    needs_reason: bool = False
    style: str = "primary"
