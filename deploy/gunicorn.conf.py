"""gunicorn settings for Ponte's web processes (``gunicorn -c deploy/gunicorn.conf.py wsgi:app``).

Only what every deployment needs; bind address, workers and threads stay on the command line
(docs/scaling.md). With PROMETHEUS_MULTIPROC_DIR set, a worker that exits is marked dead so its
live gauges stop counting (its counters stay summed, as Prometheus expects).
"""

import os

timeout = 60
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "").lower() in ("1", "true", "yes") else None


def child_exit(server, worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
