"""Report jobs: documents made outside the request, watched with a progress bar.

A job is a row (:class:`~evalplatform.models.Job`); whichever process runs it writes its
progress there, so any web worker can show it. How it gets run is configuration
(``JOBS_BACKEND``):

- ``thread`` (default): a small thread pool in the web process — nothing else to run,
  right for one machine;
- ``rq``: the job id is put on a Redis queue (``REDIS_URL``) and ``rq worker`` processes
  run it (see docs/deploy.md) — for several web hosts or big report days;
- ``inline``: run at once in the caller (the command line).

Running is claimed with one conditional UPDATE, so a job runs once even if it is
dispatched twice. A running job touches ``heartbeat_at`` at every step; one whose
heartbeat stops (its worker died) is shown as interrupted and can be started again.
"""

from __future__ import annotations

import atexit
import logging
import re
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Lock

from flask import Flask, current_app
from sqlalchemy import select, update

from ..database import write_intent
from ..extensions import db
from ..i18n import N_
from ..i18n import gettext as _
from ..models import Campaign, Job, User
from ..util import utcnow
from . import ServiceError, audit
from .documents import store_all
from .reports import RUNNERS, UNIT_STEP

log = logging.getLogger(__name__)

#: A running job whose heartbeat is older than this is taken for dead; so is a queued job
#: no worker has picked up for QUEUED_STALE_AFTER.
STALE_AFTER = timedelta(minutes=3)
QUEUED_STALE_AFTER = timedelta(minutes=30)
#: A job's progress messages and errors are stored as written, in Chinese (the process that
#: runs a job has no reader), and translated when shown (:func:`shown`). Messages with values
#: are recognised by these patterns; the last two are the layout steps of reports.official.render.
INTERRUPTED = N_("任务中断（处理它的进程已停止），请重新生成。")
FAILED = N_("生成失败：服务器内部错误（已记入日志）。请稍后重试，或联系管理员。")
PATTERNS = (UNIT_STEP, N_("排版"), N_("写入 PDF（%(pages)s 页）"))

def is_stale(job: Job) -> bool:
    limit = {"running": STALE_AFTER, "queued": QUEUED_STALE_AFTER}.get(job.status)
    return (limit is not None and job.heartbeat_at is not None
            and utcnow() - job.heartbeat_at > limit)


def active(campaign: Campaign, kind_name: str) -> Job | None:
    """The campaign's job of this kind that is queued or running, if any."""
    jobs = db.session.scalars(select(Job).where(
        Job.campaign_id == campaign.id, Job.kind == kind_name,
        Job.status.in_(("queued", "running")))).all()
    return next((j for j in jobs if not is_stale(j)), None)


def recent(campaign: Campaign, limit: int = 10) -> list[Job]:
    return list(db.session.scalars(select(Job).where(Job.campaign_id == campaign.id)
                                   .order_by(Job.created_at.desc()).limit(limit)))


def start(campaign: Campaign, kind_name: str, user, **params) -> tuple[Job, bool]:
    """A new job (the caller commits, then calls :func:`dispatch`), or the one of this
    kind already under way for the campaign; the flag says whether it is new."""
    if kind_name not in RUNNERS:
        raise ServiceError(_("未知的任务类型：%(kind)s", kind=kind_name))
    running = active(campaign, kind_name)
    if running is not None:
        return running, False
    for stale in db.session.scalars(select(Job).where(
            Job.campaign_id == campaign.id, Job.kind == kind_name,
            Job.status.in_(("queued", "running")))):
        if is_stale(stale):
            stale.status, stale.error = "failed", INTERRUPTED
            stale.finished_at = utcnow()
    job = Job(id=uuid.uuid4().hex, campaign_id=campaign.id, kind=kind_name, params=params,
              created_by_id=getattr(user, "id", None), heartbeat_at=utcnow(),
              message=N_("排队等候"))
    db.session.add(job)
    audit(user, f"job.{kind_name}", f"campaign:{campaign.id}", job=job.id)
    db.session.flush()
    return job, True


# -- running -------------------------------------------------------------------------------

_executor: ThreadPoolExecutor | None = None
_executor_lock = Lock()


def _thread_pool(app: Flask) -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=app.config["JOB_THREADS"],
                                           thread_name_prefix="evalplatform-job")
            atexit.register(_executor.shutdown, wait=False, cancel_futures=True)
        return _executor


def dispatch(job_id: str) -> None:
    """Hand a committed job to the configured backend."""
    app = current_app._get_current_object()
    backend = app.config["JOBS_BACKEND"]
    if backend == "inline":
        run(job_id)
    elif backend == "rq":
        from .queue import enqueue

        enqueue(app, job_id)
    else:
        _thread_pool(app).submit(_run_in_app, app, job_id)


def _run_in_app(app: Flask, job_id: str) -> None:
    with app.app_context():
        try:
            run(job_id)
        finally:
            db.session.remove()


def _write(statement) -> None:
    """One short write transaction of its own (BEGIN IMMEDIATE on SQLite), apart from the
    session, whose long read must not hold the write lock."""
    with write_intent(), db.engine.begin() as connection:
        connection.execute(statement)


def progress_reporter(job_id: str) -> Callable[[int, int, str], None]:
    def report(done: int, total: int, message: str) -> None:
        _write(update(Job).where(Job.id == job_id).values(
            done=done, total=max(total, 1), message=message[:200], heartbeat_at=utcnow()))
    return report


def run(job_id: str) -> bool:
    """Run a queued job to the end (in an app context). False if it was not queued (run
    already, or claimed by another worker)."""
    with write_intent(), db.engine.begin() as connection:
        claimed = connection.execute(
            update(Job).where(Job.id == job_id, Job.status == "queued")
            .values(status="running", started_at=utcnow(), heartbeat_at=utcnow(),
                    message=N_("开始")).returning(Job.id)).first()
    if claimed is None:
        return False
    with write_intent(False):  # reading and rendering: never hold the write lock
        try:
            job = db.session.get(Job, job_id)
            campaign = db.session.get(Campaign, job.campaign_id)
            results, made = RUNNERS[job.kind](job, campaign, progress_reporter(job_id))
            user = db.session.get(User, job.created_by_id) if job.created_by_id else None
            db.session.commit()
            with write_intent():
                document_id = store_all(campaign, results, made, user)[0].id
                db.session.commit()
            _write(update(Job).where(Job.id == job_id).values(
                status="done", document_id=document_id, done=Job.total, message=N_("已完成"),
                heartbeat_at=utcnow(), finished_at=utcnow()))
        except Exception as error:  # noqa: BLE001 - a failed job is reported, never lost
            db.session.rollback()
            if isinstance(error, ServiceError):
                message = error.message
            else:
                log.exception("job %s failed", job_id)
                message = FAILED
            _write(update(Job).where(Job.id == job_id).values(
                status="failed", error=message, message=N_("失败"), finished_at=utcnow(),
                heartbeat_at=utcnow()))
    return True


def view(job: Job) -> dict:
    """The job as the progress bar sees it (JSON), in the reader's language."""
    status = "failed" if is_stale(job) else job.status
    error = INTERRUPTED if is_stale(job) else job.error
    return {
        "id": job.id,
        "kind": job.kind,
        "label": job.kind_label,
        "status": status,
        "done": job.done,
        "total": job.total,
        "percent": round(100 * (1.0 if status == "done" else job.fraction)),
        "message": shown(job.message),
        "error": shown(error) or None,
        "document": job.document_id,
    }


def _pattern(message_id: str) -> re.Pattern:
    parts = re.split(r"%\((\w+)\)s", message_id)  # text, name, text, name …, text
    return re.compile("".join(re.escape(part) if k % 2 == 0 else f"(?P<{part}>.+?)"
                              for k, part in enumerate(parts)), re.S)


_PATTERNS = [(message_id, _pattern(message_id)) for message_id in PATTERNS]


def shown(message: str | None) -> str | None:
    """A stored progress message or error in the reader's language."""
    if not message:
        return message
    for message_id, pattern in _PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            return _(message_id, **match.groupdict())
    return _(message)
