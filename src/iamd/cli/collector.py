"""The garbage collector held off while a process builds what it keeps for its lifetime.

A server's start makes ~75,000 objects (modules, classes, SQLAlchemy's and botocore's tables, the API
model, compiled statements) that live as long as the process, and under a thousand that are garbage.
The collector, run every few hundred allocations, would walk the survivors again and again (a tenth of
a start), and a full collection before freezing them costs ~40 ms more. So it is off while they are
made, then everything made is frozen out of its sight (``gc.freeze``): later collections walk only
what requests make. The little garbage of the start is frozen with the rest.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def held_off() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
