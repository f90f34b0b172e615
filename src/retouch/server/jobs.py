"""Long work off the request thread: a worker pool, with progress a client can poll or stream.

A job is a function ``work(progress) -> dict`` run on a thread of a bounded
pool; ``progress(done, total, stage)`` is the engine's progress callback, so
the steps of a plan show up as they run. Clients poll ``GET /api/jobs/{id}``
or listen to ``GET /api/jobs/{id}/events`` (server-sent events). Finished
jobs are kept in memory for a while (the newest ``keep`` of them); their
results (images, history) live in the store, so nothing is lost when a job
record is dropped.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from retouch.server.storage import new_id

Progress = Callable[[int, int, str], None]
Work = Callable[[Progress], dict[str, Any]]
#: Turns an exception raised by a job into (HTTP status, message for the client).
ErrorMapper = Callable[[BaseException], tuple[int, str]]

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "error"


@dataclass
class Job:
    """The state of one job, as clients see it."""

    id: str
    kind: str
    status: str = QUEUED
    done: int = 0
    total: int = 0
    stage: str = ""
    result: dict[str, Any] | None = None
    error: str | None = None
    code: int | None = None
    created: float = field(default_factory=time.time)
    version: int = 0
    future: Future | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "done": self.done,
            "total": self.total,
            "stage": self.stage,
        }
        if self.status == DONE:
            data["result"] = self.result
        if self.status == FAILED:
            data["error"] = self.error
            data["code"] = self.code
        return data


class Jobs:
    """A bounded worker pool and the jobs it has run.

    Parameters
    ----------
    workers : int
        Threads running jobs at once; more jobs wait in a queue.
    map_error : callable
        ``map_error(exc) -> (status, message)`` for jobs that raise.
    keep : int
        Finished jobs remembered for polling.
    """

    def __init__(self, workers: int, map_error: ErrorMapper, keep: int = 1000) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="retouch-job")
        self._map_error = map_error
        self._keep = keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, kind: str, work: Work) -> Job:
        """Queue ``work`` and return its job at once."""
        job = Job(new_id(), kind)
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        job.future = self._pool.submit(self._run, job, work)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    async def wait(self, job: Job) -> Job:
        """Wait (without blocking the event loop) until ``job`` has finished."""
        assert job.future is not None
        await asyncio.wrap_future(job.future)
        return job

    async def events(self, job: Job, interval: float = 0.1) -> AsyncIterator[str]:
        """Server-sent events: the job's state each time it changes, until it finishes."""
        seen = -1
        while True:
            version, finished = job.version, job.finished
            if version != seen:
                seen = version
                yield f"event: {job.status}\ndata: {json.dumps(job.to_dict())}\n\n"
            if finished:
                return
            await asyncio.sleep(interval)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, job: Job, work: Work) -> None:
        def progress(done: int, total: int, stage: str) -> None:
            job.done, job.total, job.stage = done, total, stage
            job.version += 1

        job.status = RUNNING
        job.version += 1
        try:
            result = work(progress)
        except Exception as exc:  # reported to the client; the worker must survive any job
            job.code, job.error = self._map_error(exc)
            job.status = FAILED
        else:
            job.result = result
            job.status = DONE
        job.version += 1

    def _forget_old(self) -> None:
        finished = [key for key, job in self._jobs.items() if job.finished]
        for key in finished[: max(0, len(finished) - self._keep)]:
            del self._jobs[key]
