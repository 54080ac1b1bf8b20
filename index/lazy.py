"""Package names imported on first use (PEP 562), so that importing a package loads only what is used."""

from collections.abc import Callable
from importlib import import_module
from typing import Any


def lazy_exports(package: str, home: dict[str, str], namespace: dict[str, Any]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for a package whose names live in the modules `home` gives."""

    def getattr_(name: str) -> Any:
        if name in home:
            value = getattr(import_module(home[name]), name)
            namespace[name] = value  # found directly next time
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def dir_() -> list[str]:
        return sorted([*namespace, *home])

    return getattr_, dir_
