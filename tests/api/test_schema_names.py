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
    import sys
    from enum import Enum

    seen: dict[str, set[str]] = {}
    for cls in set(_subclasses(Schema)):
        if cls.__module__.startswith("parcelwatch.") and "." not in cls.__qualname__:
            seen.setdefault(cls.__name__, set()).add(cls.__module__)
    # Enums of the API modules become schema components too (made with Enum("Name", …), so found by module).
    for name, module in list(sys.modules.items()):
        if name.startswith("parcelwatch.") and name.endswith("api") and module is not None:
            for value in vars(module).values():
                if isinstance(value, type) and issubclass(value, Enum) and value.__module__ == name:
                    seen.setdefault(value.__name__, set()).add(name)
    assert {name: modules for name, modules in seen.items() if len(modules) > 1} == {}

