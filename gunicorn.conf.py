"""Gunicorn settings for evalplatform (``gunicorn -c gunicorn.conf.py wsgi:app``).

Every setting can be overridden from the environment, e.g. ``GUNICORN_WORKERS=8``.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
# Each worker builds its own app and database connections after the fork: no
# connection opened in the master is ever shared by two processes.
preload_app = False
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
logger_class = "evalplatform.accesslog.AnonymousAccessLogger"
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Gunicorn's runtime control socket (gunicornc) is off unless a path is given.
_control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET")
control_socket_disable = not _control_socket
if _control_socket:
    control_socket = _control_socket



def post_worker_init(worker):
    """Each worker seals ballots in the background from the moment it starts, so that
    ballots stored just before a reload or a crash are sealed within SEAL_INTERVAL
    (services/seal.py). (Another app served with this file, such as bench/bare_app.py,
    is left alone.)"""
    from evalplatform.services.seal import start_sealer

    if "SEAL_INTERVAL" in getattr(worker.wsgi, "config", {}):
        start_sealer(worker.wsgi)
