"""Gunicorn settings for the web process (deploy/systemd/porte-voix-web.service).

Behind a reverse proxy that terminates TLS, serves ``/static/`` from ``DATA_DIR/static``
(``manage.py collectstatic``) and ``/media/`` from ``DATA_DIR/media``, and sets
``X-Forwarded-Proto`` (production settings trust it: ``SECURE_PROXY_SSL_HEADER``).
"""

from __future__ import annotations

import os

wsgi_app = "config.wsgi:application"
# Loopback only: the reverse proxy is the one listening on the network.
bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
# Synchronous workers: each request is a few database queries; nothing here waits on a social
# network (the workers do that), so a few processes per core are enough.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# Above EMAIL_TIMEOUT (10 s): a notification e-mail sent right after a change commits must not
# get its request killed mid-way.
timeout = 30
graceful_timeout = 30
# Recycle a worker now and then so that a slow leak in any library cannot grow for weeks.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
