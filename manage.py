#!/usr/bin/env python
"""Management entry point: migrations, the `projections` CLI, demo data.

Uses ``workers.settings`` (the write API's settings plus the projection runtime), so that
``python manage.py projections status`` works next to ``migrate``.
"""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workers.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
