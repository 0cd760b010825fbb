"""Report jobs on a Redis queue (RQ), for deployments with several web hosts.

The queue carries only the job's id; the job's state stays in the database. Workers run
``flask --app wsgi jobs worker`` (an RQ worker inside the application, so it has the
same configuration and plugins as the web processes).
"""

from __future__ import annotations

from flask import Flask, current_app

#: Longest a report job may run in a worker before RQ stops it.
JOB_TIMEOUT = 30 * 60


def _queue(app: Flask):
    from redis import Redis
    from rq import Queue

    return Queue(app.config["JOBS_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"]))


#: What a worker runs for a job, named rather than imported: it builds the application
#: when it runs outside one, so it lives above every layer (evalplatform.commands).
RUN_JOB = "evalplatform.commands.reports.run_job"


def enqueue(app: Flask, job_id: str) -> None:
    _queue(app).enqueue(RUN_JOB, job_id, job_timeout=JOB_TIMEOUT, result_ttl=0,
                        description=f"evalplatform report job {job_id}")


def work(app: Flask, burst: bool = False) -> bool:
    """Run an RQ worker for the report queue in this process (``jobs worker``)."""
    from rq import SimpleWorker

    queue = _queue(app)
    worker = SimpleWorker([queue], connection=queue.connection)
    return worker.work(burst=burst, logging_level="INFO")


def ping(app: Flask | None = None) -> bool:
    app = app or current_app._get_current_object()
    return bool(_queue(app).connection.ping())
