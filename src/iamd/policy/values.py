"""Request-context values: single-valued keys and multivalued ones, told apart once.

A request context maps a key (lower-cased) to a tuple of strings. A single-valued key holds a plain
1-tuple; a multivalued key (aws:TagKeys, aws:CalledVia, aws:PrincipalServiceNamesList, a simulator
ContextEntry of a ``...List`` type) holds a :class:`MultiValue`, even with one member: the IAM User
Guide ("Single-valued vs. multivalued context keys") classes each key by how many values a request
can carry for it, not by how many this one does. Callers mark a key multivalued by giving a list or
tuple, single-valued by giving a scalar.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["MultiValue", "Context", "normalise_context"]


class MultiValue(tuple[str, ...]):
    """The values of a multivalued key: only ForAllValues:/ForAnyValue: operators compare them."""

    __slots__ = ()


# A normalised request context: lower-cased key -> its values (a MultiValue when multivalued).
Context = Mapping[str, tuple[str, ...]]


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def normalise_context(context: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
    """Keys lower-cased; a list or tuple becomes a MultiValue, anything else a 1-tuple of text.
    Two spellings of one key merge, and the merge holds several values, so it is multivalued."""
    out: dict[str, tuple[str, ...]] = {}
    for key, value in context.items():
        lowered = key.lower()
        if isinstance(value, (list, tuple)):
            values: tuple[str, ...] = MultiValue(_text(v) for v in value)
        else:
            values = (_text(value),)
        if lowered in out:
            values = MultiValue(out[lowered] + values)
        out[lowered] = values
    return out
