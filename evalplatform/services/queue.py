"""Report jobs on a Redis queue (RQ), for deployments with several web hosts.

The queue carries only the job's id; the job's state stays in the database. Workers run
``flask --app wsgi jobs worker`` (an RQ worker inside the application, so it has the
same configuration and plugins as the web processes).
"""

from __future__ import annotations

from functools import cache

from flask import Flask, current_app, has_app_context

#: Longest a report job may run in a worker before RQ stops it.
JOB_TIMEOUT = 30 * 60


def _queue(app: Flask):
    from redis import Redis
    from rq import Queue

    return Queue(app.config["JOBS_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"]))


def enqueue(app: Flask, job_id: str) -> None:
    _queue(app).enqueue(run_job, job_id, job_timeout=JOB_TIMEOUT, result_ttl=0,
                        description=f"evalplatform report job {job_id}")


@cache
def _worker_app() -> Flask:
    from .. import create_app

    return create_app()


def run_job(job_id: str) -> None:
    """What a worker runs: the job, in the application's context."""
    from ..extensions import db
    from .jobs import run

    if not has_app_context():
        with _worker_app().app_context():
            run_job(job_id)
        return
    try:
        run(job_id)
    finally:
        db.session.remove()


def work(app: Flask, burst: bool = False) -> bool:
    """Run an RQ worker for the report queue in this process (``jobs worker``)."""
    from rq import SimpleWorker

    queue = _queue(app)
    worker = SimpleWorker([queue], connection=queue.connection)
    return worker.work(burst=burst, logging_level="INFO")


def ping(app: Flask | None = None) -> bool:
    app = app or current_app._get_current_object()
    return bool(_queue(app).connection.ping())
