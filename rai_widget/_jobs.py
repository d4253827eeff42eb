"""Kernel jobs: work the view asks of the model (ICE curves, what-if points), driven by traits.

For a job named ``name`` the dashboard has three synced traits (docs/architecture.md, "Kernel jobs"):

- ``<name>_request`` (view -> kernel): ``{"id": int, "params": {...}}`` starts a job; a later request
  supersedes it (the earlier one is cancelled); ``{"id": int, "cancel": True}`` cancels job ``id``.
- ``<name>_status`` (kernel -> view): ``{"id", "state", "progress", "message"}``, ``state`` one of
  ``running``, ``done``, ``error``, ``cancelled``; ``progress`` in [0, 1] or None; ``message`` is what
  the view shows (for an error, the model's own message).
- ``<name>_result`` (kernel -> view): ``{"id": int, ...}``, what the job returned.

A job runs on a thread of its own, so the kernel keeps reading the view's messages (a cancel among
them) while the model works; its handler checks ``ctx.check()`` between model calls. No RPC with a
timeout, no port: the traits are the channel, and what they hold is also what a saved notebook shows.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from rai_widget._errors import ModelPredictError

PROGRESS_INTERVAL = 0.1  # s between two progress updates sent to the view


class JobCancelled(Exception):
    """Raised by JobContext.check() when the view cancelled the job (or a newer request superseded it)."""


@dataclass
class JobContext:
    """What a handler gets besides its params: `progress(share)` reports how far it is (0 to 1, sent at
    most every PROGRESS_INTERVAL), `check()` raises JobCancelled once the job is cancelled."""

    _cancel: threading.Event
    _report: Callable[[float], None]
    _last: float = field(default=0.0)

    def check(self) -> None:
        if self._cancel.is_set():
            raise JobCancelled

    def progress(self, share: float) -> None:
        self.check()
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            self._report(min(max(float(share), 0.0), 1.0))

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


Handler = Callable[[dict, JobContext], dict]


class KernelJob:
    """One job of a widget: watches `<name>_request`, runs `handler(params, ctx) -> dict` on a thread and
    reports through `<name>_status` / `<name>_result`. A handler raises ValueError / TypeError /
    ModelPredictError with a message for people; anything else is shown as an internal error."""

    def __init__(self, widget, name: str, handler: Handler):
        self.widget, self.name, self.handler = widget, name, handler
        self._lock = threading.Lock()
        self._current: int | None = None
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        widget.observe(self._on_request, names=f"{name}_request")

    def _set(self, trait: str, value: dict) -> None:
        setattr(self.widget, f"{self.name}_{trait}", value)

    def _status(self, job_id: int, state: str, progress: float | None = None, message: str = "") -> None:
        with self._lock:
            if job_id != self._current:
                return  # a superseded job says nothing more
            self._set("status", {"id": job_id, "state": state, "progress": progress, "message": message})

    def _on_request(self, change) -> None:
        request = change["new"]
        if not isinstance(request, dict) or not isinstance(request.get("id"), int) or isinstance(request["id"], bool):
            return  # not a request (e.g. the trait's default, {})
        job_id = request["id"]
        if request.get("cancel"):
            if job_id == self._current:
                self._cancel.set()
            return
        params = request.get("params")
        self.start(job_id, params if isinstance(params, dict) else {})

    def start(self, job_id: int, params: dict) -> None:
        """Run the job (also callable from Python: what the view's request does)."""
        with self._lock:
            self._cancel.set()  # the running job, if any, stops at its next check
            self._cancel = cancel = threading.Event()
            self._current = job_id
        self._status(job_id, "running", 0.0)
        ctx = JobContext(cancel, lambda share: self._status(job_id, "running", share))
        self._thread = threading.Thread(
            target=self._run, args=(job_id, params, ctx), name=f"rai-widget {self.name} job", daemon=True
        )
        self._thread.start()

    def _run(self, job_id: int, params: dict, ctx: JobContext) -> None:
        try:
            result = self.handler(params, ctx)
            ctx.check()
        except JobCancelled:
            self._status(job_id, "cancelled", None, "cancelled")
            return
        except (ValueError, TypeError, KeyError, ModelPredictError) as err:
            message = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
            self._status(job_id, "error", None, str(message))
            return
        except Exception as err:  # the view shows it; the kernel's log keeps the traceback
            traceback.print_exc()
            self._status(job_id, "error", None, f"internal error ({type(err).__name__}: {err}); please report it.")
            return
        with self._lock:
            if job_id != self._current:
                return
            self._set("result", {"id": job_id, **result})
            self._set("status", {"id": job_id, "state": "done", "progress": 1.0, "message": ""})

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running job has finished (tests; the view never waits)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                raise TimeoutError(f"the {self.name} job is still running after {timeout} s")
