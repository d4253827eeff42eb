"""The dashboard's comm messages stay under the cap (rai_widget._transport): every message the widget sends is
captured by a stand-in comm and measured (JSON + buffers), and the chunks, joined as the view joins them,
give back the payload bit for bit."""

from __future__ import annotations

import base64
import json
import math
import time

import comm
import numpy as np
import pandas as pd
import pytest

import rai_widget as rw
from rai_widget import _transport
from rai_widget.explanations import TabularExplanation

# What a Jupyter message adds around the comm's data (header, parent header, ids, signature): under 2 KB.
ENVELOPE = 2048


class RecordingComm:
    """A comm that records what the widget sends: ("open" | "send", data, buffers)."""

    log: list = []

    def __init__(self, target_name=None, data=None, metadata=None, buffers=None, comm_id=None, **kwargs):
        self.comm_id = comm_id or f"comm-{len(self.log)}"
        self.kernel = object()
        self._on_msg = None
        self.log.append(("open", data, list(buffers or [])))

    def send(self, data=None, metadata=None, buffers=None):
        self.log.append(("send", data, list(buffers or [])))

    def on_msg(self, callback):
        self._on_msg = callback

    def on_close(self, callback):
        pass

    def close(self, *args, **kwargs):
        pass


@pytest.fixture
def messages(monkeypatch):
    """The list every message of every widget made in the test lands in."""
    log: list = []
    monkeypatch.setattr(RecordingComm, "log", log)
    monkeypatch.setattr(comm, "create_comm", RecordingComm)
    return log


def size(message) -> int:
    _, data, buffers = message
    return len(json.dumps(data).encode("utf-8")) + sum(memoryview(b).nbytes for b in buffers)


def size_as_text(message) -> int:
    """The size of a message whose buffers travel as base64 text (marimo's front end)."""
    _, data, buffers = message
    return len(json.dumps(data).encode("utf-8")) + sum(4 * math.ceil(memoryview(b).nbytes / 3) for b in buffers)


def custom(log) -> list:
    """The custom messages (the chunk protocol's) among those sent."""
    return [m for m in log if m[0] == "send" and m[1].get("method") == "custom"]


def binary(n: int, f: int, seed: int = 0, data: pd.DataFrame | None = None) -> TabularExplanation:
    """A binary classification explanation of n rows x f features, from plain arrays (no model)."""
    rng = np.random.default_rng(seed)
    if data is None:
        data = pd.DataFrame(rng.normal(size=(n, f)), columns=[f"feature_{i}" for i in range(f)])
    f = data.shape[1]
    v1 = rng.normal(size=(n, f)) * 0.1
    values = np.stack([-v1, v1], axis=2)
    surrogate = np.array([0.2, -0.2]) + values.sum(axis=1)
    p1 = 1 / (1 + np.exp(-surrogate[:, 1]))
    return TabularExplanation(
        data=data,
        feature_names=[str(c) for c in data.columns],
        feature_kinds=["category" if isinstance(data[c].dtype, pd.CategoricalDtype) else "numeric" for c in data],
        values=values,
        base_values=np.array([0.2, -0.2]),
        surrogate_output=surrogate,
        model_output=surrogate,
        output_names=["no", "yes"],
        task="classification",
        units="log-odds",
        y_pred=np.where(p1 > 0.5, "yes", "no"),
        y_true=np.where(rng.random(n) < p1, "yes", "no"),
        probabilities=np.column_stack([1 - p1, p1]),
        fidelity={"r2": 1.0, "agreement": 1.0},
    )


def synced(log, trait: str):
    """The last value of `trait` the comm carried (open or update), with its buffers put back in place."""
    from ipywidgets.widgets.widget import _put_buffers

    value = None
    for kind, data, buffers in log:
        state = data.get("state", {}) if kind == "open" or data.get("method") == "update" else {}
        if trait in state:
            state = json.loads(json.dumps(state))
            _put_buffers(state, data["buffer_paths"], buffers)
            value = state[trait]
    return value


def reassemble(log, descriptor, request=None):
    """What js/core/transport.ts does: join the chunks of the descriptor's stream, then put the parts in."""
    d = descriptor[_transport.KEY]
    stream = bytearray(d["total_bytes"])
    got = set()
    ended = False
    for kind, data, buffers in log:
        content = data.get("content", {}) if kind == "send" and data.get("method") == "custom" else {}
        if content.get("id") != d["id"] or content.get("request") != request:
            continue
        if content["rw_transport"] == "chunk":
            k = content["index"]
            joined = b"".join(bytes(b) for b in buffers)
            assert len(joined) == min(d["chunk_bytes"], d["total_bytes"] - k * d["chunk_bytes"])
            stream[k * d["chunk_bytes"] : k * d["chunk_bytes"] + len(joined)] = joined
            got.add(k)
        elif content["rw_transport"] == "end":
            ended = True
    assert ended and got == set(range(math.ceil(d["total_bytes"] / d["chunk_bytes"])))
    parts = [bytes(stream[o : o + n]) for o, n in d["parts"]]
    skeleton = d["skeleton"] if d["skeleton_part"] is None else json.loads(parts[d["skeleton_part"]].decode())

    def fill(v):
        if isinstance(v, dict):
            return parts[v[_transport.PART]] if set(v) == {_transport.PART} else {k: fill(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fill(x) for x in v]
        return v

    return fill(skeleton)


def plain(value):
    """A payload with every buffer as bytes, to compare bit for bit."""
    if isinstance(value, (memoryview, bytes, bytearray)):
        return bytes(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def test_small_explanation_is_synced_whole_as_before(messages):
    dash = rw.ExplanationDashboard(binary(200, 5))
    arrays = synced(messages, "arrays")
    assert _transport.KEY not in arrays
    assert plain(arrays) == plain(dash.arrays)
    dash._repr_mimebundle_()
    assert not custom(messages)


def test_every_message_is_under_a_1_mb_cap_and_the_chunks_give_the_payload_back(messages):
    cap = 1_000_000
    dash = rw.ExplanationDashboard(binary(30_000, 12), max_message_bytes=cap)
    assert not custom(messages)  # nothing is sent before the dashboard is displayed
    dash._repr_mimebundle_()
    payload_bytes = sum(memoryview(b).nbytes for _, b in _transport._buffers(dash.arrays))
    assert payload_bytes > 3 * cap  # the test means something: the data is several caps
    assert max(size(m) for m in messages) <= cap - ENVELOPE
    assert max(size_as_text(m) for m in messages) <= cap - ENVELOPE  # buffers as base64 (marimo) too
    descriptor = synced(messages, "arrays")
    assert set(descriptor) == {_transport.KEY}
    assert plain(reassemble(messages, descriptor)) == plain(dash.arrays)
    # the meta was small: synced whole
    assert synced(messages, "meta") == json.loads(json.dumps(dash.meta))


def test_a_view_that_asks_gets_every_chunk_again_under_the_cap(messages):
    cap = 1_000_000
    dash = rw.ExplanationDashboard(binary(30_000, 12), max_message_bytes=cap)
    descriptor = synced(messages, "arrays")
    before = len(messages)
    dash._handle_custom_msg({"rw_transport": "request", "id": descriptor[_transport.KEY]["id"], "request": 7}, [])
    answer = messages[before:]
    assert len(answer) >= 4 and max(size(m) for m in answer) <= cap - ENVELOPE
    assert plain(reassemble(messages, descriptor, request=7)) == plain(dash.arrays)
    # a view holding an id the kernel no longer has is told so, in words
    dash._handle_custom_msg({"rw_transport": "request", "id": "gone", "request": 8}, [])
    content = messages[-1][1]["content"]
    assert content["rw_transport"] == "error" and content["request"] == 8 and "no longer holds" in content["message"]


def test_large_json_travels_as_a_part_too(messages):
    # a category feature with 60,000 distinct values: its category names alone are over the inline budget
    n = 60_000
    data = pd.DataFrame(
        {"id": pd.Categorical([f"customer <{i:06d}>" for i in range(n)]), "x": np.arange(n, dtype=float)}
    )
    dash = rw.ExplanationDashboard(binary(n, 2, data=data), max_message_bytes=1_000_000)
    dash._repr_mimebundle_()
    assert max(size(m) for m in messages) <= 1_000_000 - ENVELOPE
    descriptor = synced(messages, "arrays")
    assert descriptor[_transport.KEY]["skeleton"] is None
    assert plain(reassemble(messages, descriptor)) == plain(dash.arrays)


def test_the_saved_widget_state_is_bounded(messages):
    # what the notebook saves (JupyterLab's widget state: every trait, buffers in base64) holds no chunk
    cap = 1_000_000
    dash = rw.ExplanationDashboard(binary(30_000, 12), max_message_bytes=cap)
    saved = json.dumps(dash.get_manager_state(widgets=[dash]))
    assert len(saved) < cap
    assert _transport.KEY in saved


def test_the_offline_report_embeds_the_data_whole(messages, tmp_path):
    # the report has no comm: widget_state (what save_html embeds) holds every row, not the descriptor
    from rai_widget.report import widget_state

    dash = rw.ExplanationDashboard(binary(30_000, 12), max_message_bytes=1_000_000)
    assert _transport.KEY in synced(messages, "arrays")
    state = widget_state(dash)
    assert _transport.KEY not in json.dumps(state)
    values = state["arrays"]["values"]
    assert base64.b64decode(values["view"]["__b64__"]) == bytes(dash.arrays["values"]["view"])
    page = dash.save_html(tmp_path / "report.html").read_text()
    assert _transport.KEY not in page


def test_the_default_cap_is_the_class_attribute(messages, monkeypatch):
    dash = rw.ExplanationDashboard(binary(50, 3))
    assert dash._transport.cap == 5_000_000 == rw.ExplanationDashboard.default_max_message_bytes
    monkeypatch.setattr(rw.ExplanationDashboard, "default_max_message_bytes", 2_000_000)
    assert rw.ExplanationDashboard(binary(50, 3))._transport.cap == 2_000_000
    monkeypatch.setattr(rw.ExplanationDashboard, "default_max_message_bytes", 10)
    with pytest.raises(ValueError, match="default_max_message_bytes=10 is too small"):
        rw.ExplanationDashboard(binary(50, 3))


@pytest.mark.parametrize(
    ("cap", "error", "words"),
    [
        (0, ValueError, "max_message_bytes=0 is too small.*at least 1,000,000"),
        (-5, ValueError, "too small"),
        (999_999, ValueError, "too small"),
        (5.5e6, TypeError, "whole number of bytes"),
        ("5MB", TypeError, "whole number of bytes, e.g. 5_000_000"),
        (True, TypeError, "whole number"),
    ],
)
def test_bad_caps_are_refused(cap, error, words, messages):
    with pytest.raises(error, match=words):
        rw.ExplanationDashboard(binary(50, 3), max_message_bytes=cap)


def test_plan_of_a_large_meta():
    # meta is a data trait like arrays: a long JSON (e.g. many texts) becomes one part
    meta = {"texts": [f"text number {i} with <b>markup</b> and ünïcode" for i in range(40_000)], "n_rows": 40_000}
    plan = _transport.Plan("meta", meta, chunk_bytes=300_000, inline_bytes=200_000)
    d = plan.synced[_transport.KEY]
    assert d["skeleton"] is None and d["skeleton_part"] == 0 and plan.n_chunks >= 5
    stream = b"".join(b"".join(bytes(b) for b in plan.chunk(k)) for k in range(plan.n_chunks))
    assert len(stream) == d["total_bytes"]
    assert json.loads(stream.decode("utf-8")) == meta


def test_100k_rows_by_30_every_message_under_5_mb(messages):
    exp = binary(100_000, 30)
    t0 = time.perf_counter()
    dash = rw.ExplanationDashboard(exp)
    dash._repr_mimebundle_()
    made = time.perf_counter() - t0
    sizes = [size(m) for m in messages]
    total = sum(sizes)
    assert total > 20_000_000  # the payload is ~26 MB
    assert max(sizes) <= 5_000_000 - ENVELOPE
    assert max(size_as_text(m) for m in messages) <= 5_000_000 - ENVELOPE
    assert plain(reassemble(messages, synced(messages, "arrays"))) == plain(dash.arrays)
    print(f"100k x 30: {len(sizes)} messages, largest {max(sizes) / 1e6:.2f} MB, {total / 1e6:.1f} MB, {made:.2f} s")


def test_in_ipython_the_chunks_follow_the_cell_that_displays_the_dashboard(messages, monkeypatch):
    # "coming" goes out with the display (before the output, so the view waits rather than asks); the chunks after
    # the cell (post_execute), when the view is on screen to show its progress; a second display sends nothing
    import types

    import IPython
    from IPython.core.events import EventManager, available_events

    shell = types.SimpleNamespace(events=EventManager(None, available_events))
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    dash = rw.ExplanationDashboard(binary(30_000, 12), max_message_bytes=1_000_000)
    dash._repr_mimebundle_()
    kinds = [m[1]["content"]["rw_transport"] for m in custom(messages)]
    assert kinds == ["coming"]
    shell.events.trigger("post_execute")
    kinds = [m[1]["content"]["rw_transport"] for m in custom(messages)]
    assert kinds[0] == "coming" and kinds[-1] == "end" and set(kinds[1:-1]) == {"chunk"} and len(kinds) > 4
    shell.events.trigger("post_execute")
    dash._repr_mimebundle_()
    shell.events.trigger("post_execute")
    assert len(custom(messages)) == len(kinds)
    assert plain(reassemble(messages, synced(messages, "arrays"))) == plain(dash.arrays)
