"""Policy variables: ``${aws:username}``, ``${aws:PrincipalTag/team}``, ``${*}``, defaults.

Grammar (policy version 2012-10-17 only; in 2008-10-17 a ``${`` is plain text):

* ``${key}``: the value of the context key ``key`` (matched case-insensitively) in the request.
* ``${key, 'default'}``: the same, or ``default`` when the request has no such key. Spaces around
  the key and the quoted default are ignored; ``''`` inside the quotes is one ``'``.
* ``${*}``, ``${?}``, ``${$}``: a literal ``*``, ``?`` or ``$`` (not a wildcard).

A variable resolves only to a single-valued key: a key that is absent (and has no default) or that
is multivalued (values.py; even with one member) leaves the whole element unresolved, and an
unresolved Resource or condition value matches nothing. Substituted values are literal text: a ``*``
in a user name is not a wildcard. Anything that does not follow the grammar (``${foo`` unterminated,
``${}``) stays text.

Variables are allowed in Resource/NotResource and in the values of String and Arn condition
operators; see conditions.py for the operator side.
"""

from __future__ import annotations

from .values import Context, MultiValue
from .wildcard import Segments

__all__ = ["Template", "parse_template", "variable_keys"]

# (kind, a, b): see Template.
Piece = tuple[str, str, str | None]

_SPECIAL = {"*": "*", "?": "?", "$": "$"}


class Template:
    """A text with variables, parsed once.

    ``pieces`` is a tuple of ``(kind, a, b)``: ("text", text, None) for pattern text as written,
    ("literal", char, None) for ``${*}``-style escapes, ("var", key_lower, default_or_None).
    ``keys`` are the variable keys as written in the policy (for GetContextKeysFor*Policy).
    """

    __slots__ = ("text", "pieces", "keys")

    def __init__(self, text: str, pieces: tuple[Piece, ...], keys: tuple[str, ...]) -> None:
        self.text = text
        self.pieces = pieces
        self.keys = keys

    def render(self, context: Context) -> Segments | None:
        """Segments ``((text, is_pattern), ...)`` with variables substituted, or None if unresolved."""
        out: list[tuple[str, bool]] = []
        for kind, first, default in self.pieces:
            if kind == "text":
                out.append((first, True))
            elif kind == "literal":
                out.append((first, False))
            else:
                values = context.get(first)
                if values is not None and len(values) == 1 and not isinstance(values, MultiValue):
                    out.append((values[0], False))
                elif default is not None:
                    out.append((default, False))
                else:
                    return None
        return tuple(out)

    def render_text(self, context: Context) -> str | None:
        segments = self.render(context)
        if segments is None:
            return None
        return "".join(text for text, _is_pattern in segments)

    def __repr__(self) -> str:
        return f"Template({self.text!r})"


def _parse_default(text: str, pos: int) -> tuple[str, int] | None:
    """Parse ``'...'`` starting at ``pos`` (the opening quote); return (value, pos after quote)."""
    out = []
    pos += 1
    while pos < len(text):
        char = text[pos]
        if char == "'":
            if text.startswith("''", pos):
                out.append("'")
                pos += 2
                continue
            return "".join(out), pos + 1
        out.append(char)
        pos += 1
    return None


def _parse_variable(text: str, start: int) -> tuple[Piece, str | None, int] | None:
    """Parse a variable whose ``${`` is at ``start``: (piece, key_as_written, end) or None."""
    pos = start + 2
    if text[pos : pos + 2] in ("*}", "?}", "$}"):
        return ("literal", _SPECIAL[text[pos]], None), None, pos + 2
    close = text.find("}", pos)
    comma = text.find(",", pos)
    if close < 0:
        return None
    if comma < 0 or comma > close:
        key = text[pos:close].strip()
        if not key or any(c.isspace() or c in "${'" for c in key):
            return None
        return ("var", key.lower(), None), key, close + 1
    key = text[pos:comma].strip()
    if not key or any(c.isspace() or c in "${'" for c in key):
        return None
    pos = comma + 1
    while pos < len(text) and text[pos] == " ":
        pos += 1
    if text[pos : pos + 1] != "'":
        return None
    parsed = _parse_default(text, pos)
    if parsed is None:
        return None
    default, pos = parsed
    while pos < len(text) and text[pos] == " ":
        pos += 1
    if text[pos : pos + 1] != "}":
        return None
    return ("var", key.lower(), default), key, pos + 1


def parse_template(text: str) -> Template | None:
    """The template for ``text``, or None when it holds no variable (the common case)."""
    if "${" not in text:
        return None
    pieces: list[Piece] = []
    keys: list[str] = []
    literal: list[str] = []
    pos = 0
    found = False
    while pos < len(text):
        at = text.find("${", pos)
        if at < 0:
            literal.append(text[pos:])
            break
        literal.append(text[pos:at])
        parsed = _parse_variable(text, at)
        if parsed is None:
            literal.append("$")
            pos = at + 1
            continue
        piece, key, pos = parsed
        found = True
        if literal and "".join(literal):
            pieces.append(("text", "".join(literal), None))
        literal = []
        pieces.append(piece)
        if key is not None:
            keys.append(key)
    if not found:
        return None
    if "".join(literal):
        pieces.append(("text", "".join(literal), None))
    return Template(text, tuple(pieces), tuple(keys))


def variable_keys(text: str) -> tuple[str, ...]:
    """The context keys named by variables in ``text``, as written."""
    template = parse_template(text)
    return template.keys if template is not None else ()
