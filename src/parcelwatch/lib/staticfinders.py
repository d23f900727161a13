"""Serve selected front-end files straight from node_modules.

Libraries come from their npm packages at install time and are never copied
into the repository. Only the files named in settings.NPM_STATIC_FILES
(glob patterns relative to node_modules) are published, under "npm/".
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage

PREFIX = "npm"


class NpmFinder(BaseFinder):
    def __init__(self, *args, **kwargs) -> None:
        self.root = Path(settings.NODE_MODULES)
        self.storage = FileSystemStorage(location=str(self.root))
        self.storage.prefix = PREFIX

    def _files(self) -> list[str]:
        found: list[str] = []
        for pattern in settings.NPM_STATIC_FILES:
            found.extend(str(p.relative_to(self.root)) for p in sorted(self.root.glob(pattern)) if p.is_file())
        return found

    def check(self, **kwargs):
        missing = [p for p in settings.NPM_STATIC_FILES if not any(self.root.glob(p))]
        if missing:
            return [Error(f"Front-end files missing from node_modules: {missing}. Run `npm ci`.", id="parcelwatch.E001")]
        return []

    def find(self, path: str, find_all: bool = False, **kwargs):
        # Like Django's own finders: a path on a miss is [], never None (callers wrap None in a list).
        find_all = find_all or kwargs.get("all", False)
        if not path.startswith(PREFIX + "/"):
            return []
        rel = path[len(PREFIX) + 1 :]
        candidate = self.root / rel
        allowed = any(candidate.match(str(self.root / p)) for p in settings.NPM_STATIC_FILES)
        if allowed and candidate.is_file():
            return [str(candidate)] if find_all else str(candidate)
        return []

    def list(self, ignore_patterns):
        for rel in self._files():
            yield rel, self.storage
