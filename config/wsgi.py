from __future__ import annotations

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, the settings) lives as long as the process: out
# of the collector's reach, a full collection no longer walks it. Without this, one request in
# about eighty paid a full collection of about 55 ms (docs/benchmarks.md "Search: the stored
# vector"). Under gunicorn's fork it also keeps those pages shared between workers.
gc.freeze()
