"""Structured logs: one JSON object per line, for a log shipper to read from stdout.

Used by settings.LOGGING (Django's own loggers and ours) and by gunicorn.conf.py (gunicorn's
error log, and its access log, whose fields become JSON keys).
"""

import datetime
import json
import logging
from collections.abc import Mapping

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged too.
STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}

# gunicorn's access-log atoms (see its documentation of access_log_format) and our names for them.
ACCESS_FIELDS = {
    "h": "remote_addr",
    "m": "method",
    "U": "path",
    "q": "query",
    "s": "status",
    "B": "bytes",
    "M": "duration_ms",
    "f": "referer",
    "a": "user_agent",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "process": record.process,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            entry["message"] = "request"
            for atom, key in ACCESS_FIELDS.items():
                value = record.args.get(atom)
                if value not in (None, "", "-"):
                    entry[key] = int(value) if atom == "s" and str(value).isdigit() else value
        else:
            entry["message"] = record.getMessage()
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "method"):
            # django.request and django.security put the request on the record.
            entry["method"], entry["path"] = request.method, request.path
        status = getattr(record, "status_code", None)
        if status is not None:
            entry["status"] = status
        for key, value in vars(record).items():
            if key not in STANDARD and key not in entry and key not in ("request", "status_code"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
