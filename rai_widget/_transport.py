"""Comm messages under a cap: a dashboard's large data travels in chunks, each message under the cap.

Some front ends refuse a comm message over a few MB (Databricks: 5 MB), and a notebook saves its widgets'
state with it. So the two data traits (`meta`, `arrays`) are synced whole only while small; past a share of
the cap, the trait's value is synced as a descriptor, and its large binary buffers (and, when the JSON
itself is large, that JSON as UTF-8) travel as *parts*, cut in chunks sent as custom messages
(docs/architecture.md, "The wire format": the chunk protocol). Python keeps the full value in the trait
(`dash.arrays` is what it always was); only what crosses the comm changes.

    synced value  {"__rw_transport__": {"version": 1, "id", "trait", "chunk_bytes", "total_bytes",
                   "parts": [[offset, bytes]] in one byte stream (offsets multiples of 8, zeros between),
                   "skeleton": the value with each chunked buffer as {"__rw_part__": i} (small buffers stay
                   in it), or null when the JSON is a part too, "skeleton_part": i | null}}
    kernel -> view {"rw_transport": "chunk", "id", "index", "request"} + buffers that, joined, are bytes
                   [index * chunk_bytes, (index + 1) * chunk_bytes) of the stream;
                   {"rw_transport": "end", "id", "request"} after a transfer's last chunk;
                   {"rw_transport": "coming", "id"}: sent as the dashboard is displayed, before its output, so
                   the view waits for the chunks that follow the cell rather than asking for them;
                   {"rw_transport": "error", "id", "request", "message"}: the kernel cannot send that id.
    view -> kernel {"rw_transport": "request", "id", "request": a number the answer repeats}

When the dashboard is displayed, the kernel says the data is coming and sends the chunks right after the cell
(IPython's post_execute): the view is on screen by then and shows its progress, and a view of a notebook
whose later cells keep the kernel busy still gets its data. Any view that finds no data coming asks for it
(a reloaded page, a dashboard inside another widget, marimo); the kernel answers when it is free.
js/core/transport.ts reassembles the chunks.
"""

from __future__ import annotations

import json
import math
import numbers
import uuid
from typing import Any

KEY = "__rw_transport__"
PART = "__rw_part__"
VERSION = 1
DEFAULT_MAX_MESSAGE_BYTES = 5_000_000
# The comm's first message carries the view's code and styles (~0.3 MB, anywidget's `_esm` and `_css`):
# a cap below this could not be met by any split of the data.
MIN_MESSAGE_BYTES = 1_000_000
# A chunk message's JSON (its content and the Jupyter envelope: header, parent header, ids) stays far under this.
HEADER_RESERVE = 64 * 1024
# A chunk carries at most 3/4 of (cap - HEADER_RESERVE) bytes, so its base64 text is under the cap too.
# Each data trait stays whole in the state while it takes at most this share of the cap, so the full state
# (the view's code, both data traits, cohorts and job results) stays under the cap when a page asks for it.
INLINE_SHARE = 0.2
ALIGN = 8  # each part starts at a multiple of 8 bytes of the stream


def check_cap(value: Any, name: str = "max_message_bytes") -> int:
    """The cap on one comm message in bytes, checked: a whole number >= MIN_MESSAGE_BYTES."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number of bytes, e.g. 5_000_000 for 5 MB; got {value!r}.")
    if value < MIN_MESSAGE_BYTES:
        raise ValueError(
            f"{name}={int(value):,} is too small: the view's own code (about 0.3 MB) travels in the widget's "
            f"first message, so the cap must be at least {MIN_MESSAGE_BYTES:,} bytes (1 MB)."
        )
    return int(value)


def _flat(buf) -> memoryview:
    view = memoryview(buf)
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


def _buffers(value, path=()):
    """(path, buffer) of every binary buffer in a JSON-like value, in walk order."""
    if isinstance(value, (memoryview, bytes, bytearray)):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _buffers(v, (*path, k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _buffers(v, (*path, i))


def _replace(value, parts: dict, path=()):
    """A copy of `value` with the buffer at each path of `parts` as {"__rw_part__": index}."""
    if path in parts:
        return {PART: parts[path]}
    if isinstance(value, dict):
        return {k: _replace(v, parts, (*path, k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_replace(v, parts, (*path, i)) for i, v in enumerate(value)]
    return value


def _json_ready(value):
    """For JSON text (the skeleton as a part): non-finite floats as null, as the comm's JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value


def _json_bytes(value) -> int:
    """The size of `value`'s JSON with its buffers taken out (as ipywidgets sends them, beside the JSON)."""
    return len(json.dumps(_json_ready(value), default=lambda _: 0, ensure_ascii=False).encode("utf-8"))


def _align(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


class Plan:
    """How one value of a data trait crosses the comm: whole (`parts` empty) or as a descriptor and parts.

    The parts lie one after another in one byte stream, each at a multiple of 8 bytes (so the view's typed
    arrays sit on them without a copy), and the stream is cut in chunks of `chunk_bytes`."""

    def __init__(self, trait: str, value, chunk_bytes: int, inline_bytes: int):
        self.trait, self.value, self.chunk_bytes = trait, value, chunk_bytes
        self.id = uuid.uuid4().hex
        self.parts: list[memoryview] = []
        self.offsets: list[int] = []
        self.total_bytes = 0
        found = [(path, _flat(buf)) for path, buf in _buffers(value)]
        json_size = _json_bytes(value)
        if json_size + sum(b.nbytes for _, b in found) <= inline_bytes:
            self.synced = value  # small: synced as it always was
            return
        chosen: dict = {}
        inline = json_size + sum(b.nbytes for _, b in found)
        for path, buf in sorted(found, key=lambda pb: -pb[1].nbytes):  # the largest leave first
            if inline <= inline_bytes:
                break
            chosen[path] = len(self.parts)
            self.parts.append(buf)
            inline -= buf.nbytes
        skeleton = _replace(value, chosen)
        skeleton_part = None
        if _json_bytes(skeleton) > inline_bytes:  # the JSON itself is large (many categories, texts): a part too
            for path, buf in found:
                if path not in chosen:
                    chosen[path] = len(self.parts)
                    self.parts.append(buf)
            text = json.dumps(_json_ready(_replace(value, chosen)), ensure_ascii=False, allow_nan=False)
            skeleton_part = len(self.parts)
            self.parts.append(memoryview(text.encode("utf-8")))
            skeleton = None
        for part in self.parts:
            self.offsets.append(_align(self.total_bytes))
            self.total_bytes = self.offsets[-1] + part.nbytes
        self.synced = {
            KEY: {
                "version": VERSION,
                "id": self.id,
                "trait": trait,
                "chunk_bytes": chunk_bytes,
                "total_bytes": self.total_bytes,
                "parts": [[o, p.nbytes] for o, p in zip(self.offsets, self.parts, strict=True)],
                "skeleton": skeleton,
                "skeleton_part": skeleton_part,
            }
        }

    @property
    def n_chunks(self) -> int:
        return math.ceil(self.total_bytes / self.chunk_bytes)

    def chunk(self, k: int) -> list[memoryview]:
        """Bytes [k * chunk_bytes, (k + 1) * chunk_bytes) of the stream, as slices of the parts (no copy) and the
        zero bytes between them."""
        start, end = k * self.chunk_bytes, min((k + 1) * self.chunk_bytes, self.total_bytes)
        pieces, at = [], start
        for offset, part in zip(self.offsets, self.parts, strict=True):
            lo, hi = max(offset, start), min(offset + part.nbytes, end)
            if lo >= hi:
                continue
            if lo > at:
                pieces.append(memoryview(bytes(lo - at)))
            pieces.append(part[lo - offset : hi - offset])
            at = hi
        if at < end:
            pieces.append(memoryview(bytes(end - at)))
        return pieces

    def messages(self, request=None):
        """(content, buffers) of every chunk, then the end marker."""
        for k in range(self.n_chunks):
            yield {"rw_transport": "chunk", "id": self.id, "index": k, "request": request}, self.chunk(k)
        yield {"rw_transport": "end", "id": self.id, "request": request}, []


class Transport:
    """The chunked transport of one widget's data traits: what `to_json` syncs, the chunks, the answers."""

    def __init__(self, widget, cap: int):
        self.widget = widget
        self.cap = cap
        # 3/4: a front end that sends buffers as base64 text (marimo) makes 4 bytes of 3; Jupyter sends them as is
        self.chunk_bytes = (cap - HEADER_RESERVE) * 3 // 4
        self.inline_bytes = int(cap * INLINE_SHARE)
        self.plans: dict[str, Plan] = {}
        self.pushed: set[str] = set()  # the ids whose chunks go (or went) out after a display
        widget.on_msg(self._on_msg)
        widget.observe(self._changed, names=["meta", "arrays"])

    def _changed(self, change) -> None:
        """A data trait was set (its synced form already sent): check the whole state is under the cap."""
        self.synced(change["name"], change["new"])
        self.check_state()

    def displayed(self) -> None:
        """The dashboard is being displayed: say its chunks are coming, and send them after the cell (at once
        outside IPython). Only the first display sends: later views of the model already hold the data."""
        plans = [p for p in self.plans.values() if p.total_bytes and p.id not in self.pushed]
        if not plans:
            return
        for plan in plans:
            self.pushed.add(plan.id)
            self.widget.send({"rw_transport": "coming", "id": plan.id})
        from IPython import get_ipython  # ipywidgets depends on IPython

        shell = get_ipython()
        if shell is None:
            for plan in plans:
                self._send(plan, None)
            return

        def after_cell(*args) -> None:
            shell.events.unregister("post_execute", after_cell)
            for plan in plans:
                if self.plans.get(plan.trait) is plan:  # not replaced since
                    self._send(plan, None)

        shell.events.register("post_execute", after_cell)

    def synced(self, trait: str, value):
        """What the comm carries for `trait` holding `value` (planned once per value)."""
        plan = self.plans.get(trait)
        if plan is None or plan.value is not value:
            plan = self.plans[trait] = Plan(trait, value, self.chunk_bytes, self.inline_bytes)
        return plan.synced

    def _send(self, plan: Plan, request) -> None:
        for content, buffers in plan.messages(request):
            self.widget.send(content, buffers)

    def _on_msg(self, widget, content, buffers) -> None:
        if not isinstance(content, dict) or content.get("rw_transport") != "request":
            return
        wanted, request = content.get("id"), content.get("request")
        for plan in self.plans.values():
            if plan.total_bytes and plan.id == wanted:
                self._send(plan, request)
                return
        self.widget.send(
            {
                "rw_transport": "error",
                "id": wanted,
                "request": request,
                "message": "the kernel no longer holds this view's data (the dashboard was changed or made again)",
            }
        )

    def check_state(self) -> None:
        """Raise a ValueError when the widget's whole state (what a page that asks for it gets in one message)
        is over the cap even with its data chunked."""
        from ipywidgets.widgets.widget import _remove_buffers

        state, paths, buffers = _remove_buffers(self.widget.get_state())
        size = len(json.dumps({"state": state, "buffer_paths": paths}, default=str)) + sum(
            memoryview(b).nbytes for b in buffers
        )
        if size > self.cap:
            self.widget.close()
            raise ValueError(
                f"the dashboard's state is {size:,} bytes with its data in chunks, over max_message_bytes="
                f"{self.cap:,}: raise max_message_bytes."
            )


def to_json(trait: str):
    """The traitlets `to_json` of a data trait: the value itself while small, else its descriptor."""

    def serialize(value, widget):
        transport = getattr(widget, "_transport", None)
        return value if transport is None else transport.synced(trait, value)

    return serialize
