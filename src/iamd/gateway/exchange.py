"""One forwarded request's facts, and what has been learnt of it so far: the decision and the refusal's
shape read them, the audit event records them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Exchange:
    """One request's facts, and what has been learnt of it so far (for the refusal's shape and the audit)."""

    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    client_ip: str
    secure: bool
    request_id: str
    signing_name: str | None
    service: str = "unknown"
    operation: str = "unknown"
    protocol: str = "rest-xml"
    params: Any = field(default_factory=dict)
    answered: bool = False
    status: int = 0
    source: Any = None  # the _Receiver of the body

    @property
    def host(self) -> str:
        return self.headers.get("host", "")

