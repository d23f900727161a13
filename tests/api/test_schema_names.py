"""Every request and response shape of the API has its own name: two classes under one name would share one
entry of the OpenAPI schema, and the documentation (and any client generated from it) would describe one
endpoint with the other's fields."""

from ninja import Schema

import parcelwatch.api  # noqa: F401 - imports every router and its shapes


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_api_shapes_have_unique_names():
    seen: dict[str, list[str]] = {}
    for cls in set(_subclasses(Schema)):
        if cls.__module__.startswith("parcelwatch.") and "." not in cls.__qualname__:
            seen.setdefault(cls.__name__, []).append(cls.__module__)
    assert {name: modules for name, modules in seen.items() if len(modules) > 1} == {}

