"""``*`` and ``?`` matching for actions, ARNs and StringLike values, compiled once.

* Actions (``iam:Get*``) match case-insensitively; ``*`` may cross the ``:`` (``*`` alone is every action).
* ARNs (Resource, NotResource, ArnLike/ArnEquals) match case-sensitively and field by field: the
  first five ``:``-separated fields (``arn``, partition, service, region, account) are matched
  separately, so a ``*`` there never swallows a ``:``; the sixth field, the resource, runs to the end
  of the ARN and may itself contain ``:``. A pattern that is exactly ``*`` matches everything.
* StringLike: ``*`` is any run of characters, ``?`` exactly one, case-sensitive.

A pattern is turned into a :class:`Matcher` whose ``match(text)`` is the cheapest test that is right:
a constant, an equality, or a compiled regular expression.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

__all__ = [
    "Matcher",
    "ANY",
    "NOTHING",
    "glob_regex",
    "segments_regex",
    "compile_segments",
    "arn_regex",
    "compile_action",
    "compile_arn",
    "compile_like",
    "has_wildcard",
    "Segments",
]

# Rendered text as (text, is_pattern) pieces: wildcards count only where is_pattern is True.
Segments = tuple[tuple[str, bool], ...]


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


class Matcher:
    """A compiled pattern: ``match(text) -> bool``."""

    __slots__ = ("pattern", "match")

    def __init__(self, pattern: str, match: Callable[[str], bool]) -> None:
        self.pattern = pattern
        self.match = match

    def __repr__(self) -> str:
        return f"Matcher({self.pattern!r})"


ANY = Matcher("*", lambda _text: True)
NOTHING = Matcher("", lambda _text: False)


_WILD_SPLIT = re.compile(r"([*?])")


def segments_regex(segments: Iterable[tuple[str, bool]], arn: bool = False) -> str:
    """Regex source for a sequence of (text, is_pattern) segments.

    In a pattern segment ``*`` and ``?`` are wildcards; other segments (policy-variable values,
    ``${*}``-style escapes) are literal. With ``arn``, a wildcard standing before the fifth ``:``
    of the whole string stays inside its field.
    """
    out = []
    colons = 0
    for text, is_pattern in segments:
        if not is_pattern:
            out.append(re.escape(text))
            colons += text.count(":")
            continue
        for piece in _WILD_SPLIT.split(text):
            if piece == "*":
                out.append("[^:]*" if arn and colons < 5 else ".*")
            elif piece == "?":
                out.append("[^:]" if arn and colons < 5 else ".")
            elif piece:
                out.append(re.escape(piece))
                colons += piece.count(":")
    return "".join(out)


def glob_regex(pattern: str) -> str:
    """Regex source for a glob: ``*`` any run of characters, ``?`` one character."""
    return segments_regex(((pattern, True),))


def arn_regex(pattern: str) -> str:
    """Regex source matching ARNs field by field (see the module docstring)."""
    return segments_regex(((pattern, True),), arn=True)


def _regex_matcher(pattern: str, source: str, flags: int = 0) -> Matcher:
    compiled = re.compile(source + r"\Z", flags | re.DOTALL)

    def match(text: str, _m: Callable[[str], re.Match[str] | None] = compiled.match) -> bool:
        return _m(text) is not None

    return Matcher(pattern, match)


@functools.lru_cache(maxsize=8192)
def compile_action(pattern: str) -> Matcher:
    """An action pattern; ``match`` expects the action already lower-cased."""
    lowered = pattern.lower()
    if lowered == "*":
        return ANY
    if not has_wildcard(lowered):
        return Matcher(pattern, lowered.__eq__)
    return _regex_matcher(pattern, glob_regex(lowered))


@functools.lru_cache(maxsize=8192)
def compile_arn(pattern: str) -> Matcher:
    """A Resource/NotResource/ArnLike pattern (case-sensitive, field by field)."""
    if pattern == "*":
        return ANY
    if not has_wildcard(pattern):
        return Matcher(pattern, pattern.__eq__)
    return _regex_matcher(pattern, arn_regex(pattern))


@functools.lru_cache(maxsize=8192)
def compile_like(pattern: str) -> Matcher:
    """A StringLike pattern (case-sensitive, ``*`` and ``?`` anywhere)."""
    if pattern == "*":
        return ANY
    if not has_wildcard(pattern):
        return Matcher(pattern, pattern.__eq__)
    return _regex_matcher(pattern, glob_regex(pattern))


@functools.lru_cache(maxsize=4096)
def compile_segments(segments: Segments, arn: bool = False, ignore_case: bool = False) -> Matcher:
    """A matcher for rendered segments (policy variables substituted); cached, as values repeat."""
    if all(not is_pattern for _text, is_pattern in segments) or not any(
        has_wildcard(text) for text, is_pattern in segments if is_pattern
    ):
        whole = "".join(text for text, _p in segments)
        return Matcher(whole, whole.__eq__)
    source = segments_regex(segments, arn=arn)
    return _regex_matcher(source, source, re.IGNORECASE if ignore_case else 0)


def clear_caches() -> None:
    """Forget every compiled pattern (for benchmarks and tests of cold compiles)."""
    for cached in (compile_action, compile_arn, compile_like, compile_segments):
        cached.cache_clear()
    re.purge()
