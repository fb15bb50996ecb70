"""The ``gonghui`` command: Django's management commands plus the platform's own
(demo, serve, worker, backup, restore, audit ...). Configuration errors end in one line."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonghui.settings")
    from gonghui.common.config import ConfigError

    try:
        from django.core.management import execute_from_command_line

        argv[0] = "gonghui"
        execute_from_command_line(argv)
    except ConfigError as exc:
        print(f"gonghui: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
