"""gunicorn's configuration for production (bin/serve; README « Mise en production »).

Every value can be changed from the environment without editing this file.
"""

import multiprocessing
import os

from gunicorn.glogging import Logger

# Where to listen: 127.0.0.1:8000 behind a reverse proxy on the same machine; 0.0.0.0:8000 in a
# container or behind a load balancer (firewall the port to it).
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]

# Sync workers, each one request at a time (the app is CPU-bound: PDF checks, WeasyPrint).
# Twice the cores plus one, the usual rule; WEB_CONCURRENCY overrides it (2 in the smoke run).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"

# A request slower than this is killed (the slowest page, a signed mandate's PDF, takes < 2 s).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30  # on SIGTERM, requests under way get this long to finish
keepalive = 5  # behind a load balancer that keeps connections open

# Each worker is replaced after about 1000 requests (the jitter keeps them from all restarting
# together): a slow memory growth in a library cannot take the machine down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 1000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 100))

# A heartbeat file per worker in memory, not on a container's overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# One JSON line per request on the standard output. Neither the path nor the query string: a
# signing link carries its token in its path. The route (the URL's pattern) and the request id
# come from the app (core/requestid.py), already escaped for JSON; "-" when the request never
# reached it. "worker" is the pid of the worker that answered.
accesslog = "-"
access_log_format = (
    '{"type": "access", "time": "%(t)s", "request_id": "%({onboarding.request_id}e)s", '
    '"method": "%(m)s", "route": "%({onboarding.route}e)s", "status": %(s)s, "bytes": "%(b)s", '
    '"duration_ms": %(M)s, "remote": "%(h)s", "worker": "%(p)s"}'
)
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


class JsonErrorLogger(Logger):
    """gunicorn's own messages (workers booting, timeouts) as JSON lines too, like the app's."""

    def setup(self, cfg):
        super().setup(cfg)
        from core.logs import JsonFormatter  # the standard library only: safe before Django starts

        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())


logger_class = JsonErrorLogger
