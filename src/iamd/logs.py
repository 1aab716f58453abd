"""Log lines: plain text, or one JSON object a line (``IAMD_LOG_FORMAT=json``) for log collectors.

Every line written while a request is served carries its request id (the ``x-amzn-RequestId`` the
client saw). Log calls never pass a secret; this formatter adds nothing but time, level, logger,
message, request id and an exception's traceback.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from iamd import telemetry


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        request_id = telemetry.current_request_id()
        if request_id:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = telemetry.current_request_id()
        return f"{text} [request {request_id}]" if request_id else text


ACCESS = logging.getLogger("iamd.access")


def configure(level: str, log_format: str, access_log: bool = False) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # A line per request is opt-in: it costs time on every request and fills disks.
    ACCESS.setLevel(logging.INFO if access_log else logging.WARNING)
