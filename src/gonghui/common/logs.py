"""JSON log lines. Messages are the code's own text: no request bodies, no query strings;
and whatever an exception's message or a traceback carries is masked by shape (a run of 11
or more digits keeps its first and last two: common.reporting)."""

import json
import logging
from datetime import UTC, datetime

from gonghui.common.reporting import mask_text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_text(record.getMessage()),
        }
        if record.exc_info:
            entry["exc"] = mask_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)
