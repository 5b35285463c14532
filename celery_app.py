"""The Celery worker's entry point (``EXECUTOR=celery``, docs/scaling.md)::

    celery -A celery_app worker --pool threads --concurrency 4 --queues ponte

Like wsgi.py, building the app here connects to nothing: the broker is reached when the worker
starts, the database when it executes its first task. Configuration comes from the environment
(DATABASE_URL, PONTE_VAULT_KEYS, CELERY_BROKER_URL, ...), as for the web processes; no Flask.
"""

import sys
from pathlib import Path

# `celery -A` puts the current folder on sys.path only while it imports this module (and takes it
# out again, even when it was there before); the engine imports connectors later, inside tasks.
sys.path.append(str(Path(__file__).resolve().parent))

from app.engine.celery_executor import worker_from_environment  # noqa: E402

celery, worker = worker_from_environment()
