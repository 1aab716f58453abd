"""errors.py's docstring draws every error class iamd answers with: a class added without a line there
fails here, so the tree cannot drift from the code again."""

from __future__ import annotations

import inspect
import re

from iamd import errors


def test_the_tree_names_every_error_class():
    classes = {name for name, value in inspect.getmembers(errors, inspect.isclass)
               if issubclass(value, errors.AwsError)}
    drawn = set(re.findall(r"\b[A-Z][A-Za-z]+\b", errors.__doc__ or ""))
    assert sorted(classes - drawn) == []
