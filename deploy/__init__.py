"""Deployment and demo tooling (run_demo.py, supervise.py, gunicorn and systemd files)."""
