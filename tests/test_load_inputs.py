"""rw.load on files that are not explanations, or damaged or tampered ones: always rw.ExplanationFileError
(a ValueError) saying so, never a raw numpy / zipfile / JSON error, never a file handle left open; and
what save() writes comes back character for character (NUL characters included)."""

import gc
import json
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from payload_cases import CASES

import rai_widget as rw

BY_NAME = {c.name: c for c in CASES}
DAMAGED = r"is not a file written by rai_widget's exp\.save\(\), or it is damaged"


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def assert_refused(path, match=DAMAGED):
    """rw.load(path) raises ExplanationFileError matching `match` and leaves no file open (counted while the
    error and its traceback, which would hold a leaked handle, are still alive)."""
    before = _open_files()
    with pytest.raises(rw.ExplanationFileError, match=match) as info:
        rw.load(path)
    assert _open_files() == before
    assert isinstance(info.value, ValueError)
    assert str(Path(path).name) in str(info.value)
    return info.value


@pytest.fixture(scope="module", params=[c.name for c in CASES])
def saved(request, tmp_path_factory):
    """(path, arrays, header) of each shared case, saved."""
    path = BY_NAME[request.param].build().save(tmp_path_factory.mktemp("saved") / request.param)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return path, arrays, json.loads(str(arrays.pop("__meta__")))


def write(path, arrays, meta):
    np.savez_compressed(path, __meta__=np.array(json.dumps(meta)), **arrays)
    return path


# --- not an explanation file at all --------------------------------------------------------------


@pytest.mark.parametrize("cut", [0, 1, 30, 0.1, 0.5, 0.9, -22, -1])
def test_truncated_files(saved, tmp_path, cut):
    raw = saved[0].read_bytes()
    end = int(len(raw) * cut) if isinstance(cut, float) else cut % len(raw) if cut < 0 else cut
    path = tmp_path / "cut.npz"
    path.write_bytes(raw[:end])
    assert_refused(path)


@pytest.mark.parametrize("seed", range(4))
def test_corrupted_bytes_inside_the_archive(saved, tmp_path, seed):
    raw = bytearray(saved[0].read_bytes())
    rng = np.random.default_rng(seed)
    for at in rng.integers(40, len(raw) - 40, 8):  # inside members and the central directory
        raw[at] ^= 0xA5
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(raw))
    try:
        rw.load(path)  # a flip that lands in slack space may leave a readable, consistent file
    except rw.ExplanationFileError:
        pass
    assert_refused(_with_random(tmp_path, seed))


def _with_random(tmp_path, seed):
    path = tmp_path / "random.npz"
    path.write_bytes(np.random.default_rng(seed).bytes(64 + 500 * seed))
    return path


@pytest.mark.parametrize(
    "content",
    [b"", b"hello\n", b"a,b\n1,2\n", b'{"format": "rai-widget"}', b"PK\x03\x04", b"\x93NUMPY", bytes(range(256))],
    ids=["empty", "text", "csv", "json", "zip-magic", "npy-magic", "bytes"],
)
def test_files_that_are_not_archives(tmp_path, content):
    path = tmp_path / "x.npz"
    path.write_bytes(content)
    assert_refused(path)


def test_an_npy_file_a_folder_and_a_zip_of_other_things(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(3))
    assert_refused(tmp_path / "a.npy", match="it holds one array, not the .npz archive")
    assert_refused(tmp_path, match="it is a folder")
    with zipfile.ZipFile(tmp_path / "z.npz", "w") as z:
        z.writestr("notes.txt", "not an array")
    assert_refused(tmp_path / "z.npz")
    np.savez(tmp_path / "o.npz", __meta__=np.array([{"a": 1}], dtype=object))  # needs pickle to read
    assert_refused(tmp_path / "o.npz", match="pickle")
    with pytest.raises(FileNotFoundError, match="no saved explanation"):
        rw.load(tmp_path / "missing.npz")


def test_no_resource_warning_once_collected(saved, tmp_path):
    raw = saved[0].read_bytes()
    (tmp_path / "cut.npz").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "text.npz").write_bytes(b"hello")
    np.save(tmp_path / "one.npy", np.arange(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        for name in ("cut.npz", "text.npz", "one.npy"):
            with pytest.raises(rw.ExplanationFileError):
                rw.load(tmp_path / name)
        gc.collect()


# --- the header ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, match",
    [
        (None, "it has no header"),
        ("{not json", "its header is not JSON"),
        ("[1, 2]", "does not say format 'rai-widget'"),
        ("3", "does not say format 'rai-widget'"),
        ('{"kind": "text"}', "does not say format 'rai-widget'"),
        ('{"format": "other", "version": 1}', "does not say format 'rai-widget'"),
    ],
)
def test_headers_that_are_not_ours(saved, tmp_path, header, match):
    _, arrays, _ = saved
    if header is None:
        np.savez(tmp_path / "h.npz", **arrays)
    else:
        np.savez(tmp_path / "h.npz", __meta__=np.array(header), **arrays)
    assert_refused(tmp_path / "h.npz", match=match)


HEADER_CHANGES = [
    ({"version": 99}, "written by a newer rai-widget \\(format 99\\); upgrade"),
    ({"version": "1"}, "format version is '1'"),
    ({"version": True}, "format version is True"),
    ({"version": 0}, "format version is 0"),
    ({"version": None}, "format version is None"),
    ({"kind": "spreadsheet"}, "unknown kind 'spreadsheet'"),
    ({"kind": None}, "unknown kind None"),
    ({"kind": ["text"]}, "unknown kind"),
    ({"output_names": "ab"}, "output_names is str, not list"),
    ({"output_names": 5}, "output_names"),
    ({"output_names": {"a": 1}}, "output_names"),
    ({"output_names": []}, "output_names is empty"),
    ({"output_names": ["a", "a"]}, "output_names names 'a' more than once"),
    ({"output_names": [[1], [2]]}, "output_names must hold strings"),
    ({"task": 3}, "task is int, not str"),
    ({"task": "ranking"}, "task is 'ranking'"),
    ({"units": None}, "units is NoneType, not str"),
]

# A detection's task and units are fixed (its header has neither): those changes apply to the other kinds.
HEADER_CASES = [
    pytest.param(case.name, change, match, id=f"{case.name}-{'-'.join(change)}={change[next(iter(change))]!r}")
    for case in CASES
    for change, match in HEADER_CHANGES
    if not (case.build().kind == "detection" and ("task" in change or "units" in change))
]


@pytest.mark.parametrize("name, change, match", HEADER_CASES)
def test_headers_with_wrong_fields(tmp_path, name, change, match):
    path = BY_NAME[name].build().save(tmp_path / name)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays.pop("__meta__")))
    if meta["kind"] == "detection" and "output_names" in change:
        match = DAMAGED  # its names are checked against its detections' labels and its model_output instead
    assert_refused(write(tmp_path / "m.npz", arrays, {**meta, **change}), match=match)


def test_output_names_of_the_wrong_length(saved, tmp_path):
    _, arrays, meta = saved
    names = meta["output_names"]
    for wrong in (names[:-1] or ["only"] + names, names + ["extra"]):
        assert_refused(write(tmp_path / "n.npz", arrays, {**meta, "output_names": wrong}))


# --- the arrays ---------------------------------------------------------------------------------------

OPTIONAL = {"y_true", "probabilities"}


def test_every_array_that_is_not_optional_is_needed(saved, tmp_path):
    _, arrays, meta = saved
    for name in arrays:
        if name in OPTIONAL:
            continue
        rest = {k: v for k, v in arrays.items() if k != name}
        error = assert_refused(write(tmp_path / "a.npz", rest, meta))
        assert name in str(error) or meta["kind"] != "text", str(error)


def test_outcome_arrays_of_the_wrong_length_or_shape(saved, tmp_path):
    _, arrays, meta = saved
    for name in ("model_output", "y_pred", "y_true", "probabilities"):
        if name not in arrays or arrays[name].ndim == 0:
            continue
        a = arrays[name]
        for wrong in (a[:1], a[:-1], np.concatenate([a, a[:1]]), a.reshape(len(a), -1)[:, :1].reshape(-1, 1, 1)):
            if wrong.shape == a.shape:
                continue
            assert_refused(write(tmp_path / "s.npz", {**arrays, name: wrong}, meta))


def test_outcome_values_that_make_no_sense(saved, tmp_path):
    _, arrays, meta = saved
    bad = dict(arrays)
    bad["model_output"] = np.where(np.arange(arrays["model_output"].size) == 0, np.nan, 1.0).reshape(
        arrays["model_output"].shape
    )
    assert_refused(write(tmp_path / "v.npz", bad, meta), match="NaN or infinite")
    if "probabilities" in arrays:
        assert_refused(write(tmp_path / "p.npz", {**arrays, "probabilities": arrays["probabilities"] + 2}, meta))


# --- text files: every array, and what it must agree with ----------------------------------------------


@pytest.fixture(params=["text_classification", "text_multilabel"])
def text_file(request, tmp_path):
    exp = BY_NAME[request.param].build()
    path = exp.save(tmp_path / "t")
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return exp, arrays, json.loads(str(arrays.pop("__meta__")))


def _tampered(arrays, name, fn):
    return {**arrays, name: fn(arrays[name].copy())}


def _bump(a, at=0, by=1):
    a.reshape(-1)[at] += by
    return a


@pytest.mark.parametrize(
    "name, fn, match",
    [
        ("values", lambda a: a + 1.0, "differs from model_output"),
        ("values", lambda a: _bump(a, 3, 0.5), "differs from model_output for texts \\[0\\]"),
        ("base_values", lambda a: _bump(a, 0, 1e-3), "differs from model_output"),
        ("values", lambda a: a[:-1], "spans and .* values for .* tokens"),
        ("values", lambda a: a[:, :1], "values\\[0\\] has shape"),
        ("values", lambda a: np.where(a > 0, np.inf, a), "NaN or infinite"),
        ("spans", lambda a: a[:-2], "spans and"),
        ("spans", lambda a: a + 1, "does not give token"),
        ("spans", lambda a: a[:, :1], "offsets\\[0\\] has shape"),
        ("spans", lambda a: a.astype(float), "offsets\\[0\\] has shape"),
        ("token_offsets", lambda a: a[::-1].copy(), "token_offsets do not cut"),
        ("token_offsets", lambda a: a[:-1], "token_offsets cover"),
        ("token_offsets", lambda a: _bump(a, 2), "does not give token"),
        ("token_offsets", lambda a: a.astype(float), "token_offsets do not cut"),
        ("tokens_utf8", lambda a: np.where(a == ord("e"), ord("x"), a).astype(np.uint8), "does not give token"),
        ("tokens_utf8", lambda a: a[:-3], "text offsets that do not cut"),
        ("texts_utf8", lambda a: a[5:], "text offsets that do not cut"),
        ("texts_utf8", lambda a: np.concatenate([[0xFF], a[1:]]).astype(np.uint8), "utf-8"),
        ("texts_utf8", lambda a: a.astype(np.int64), "text arrays of the wrong type"),
        ("text_bytes", lambda a: a[:-1], "token_offsets cover|text offsets"),
        ("truncated", lambda a: a[:-1], "truncated must be"),
        ("base_values", lambda a: a[:-1], "base_values must be finite numbers of shape"),
        ("y_pred", lambda a: a[:3], "y_pred has 3 values for 8"),
    ],
)
def test_tampered_text_files(text_file, tmp_path, name, fn, match):
    _, arrays, meta = text_file
    assert_refused(write(tmp_path / "x.npz", _tampered(arrays, name, fn), meta), match=match)


@pytest.mark.parametrize(
    "change, match",
    [
        ({"threshold": "high"}, "threshold must be None or a number in \\(0, 1\\)"),
        ({"threshold": 1.5}, "threshold"),
        ({"params": [1]}, "params must be a dict"),
        ({"task": "regression"}, "regression y_pred holds numbers|boolean|shape"),
    ],
)
def test_tampered_text_headers(text_file, tmp_path, change, match):
    _, arrays, meta = text_file
    assert_refused(write(tmp_path / "x.npz", arrays, {**meta, **change}), match=match)


def test_labels_must_be_outputs(tmp_path):
    exp = BY_NAME["text_classification"].build()
    path = exp.save(tmp_path / "t")
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays.pop("__meta__")))
    arrays["y_true"] = np.array(["neg", "maybe"] * 4)
    assert_refused(
        write(tmp_path / "x.npz", arrays, meta), match="y_true holds labels \\['maybe'\\] that are not outputs"
    )


# --- every character survives, and old files still load -------------------------------------------------


def test_texts_and_tokens_keep_every_character(tmp_path):
    base = BY_NAME["text_classification"].build()
    texts = ["end\x00", "\x00start", "mid\x00dle", "", "   ", "emoji \U0001f600 \u202eRTL", "tab\tnew\nline", "\x00"]
    tokens = [
        ["end\x00"],
        ["\x00start"],
        ["mid\x00dle"],
        [],
        [],
        ["\U0001f600", "\u202eRTL"],
        ["tab", "line"],
        ["\x00"],
    ]
    offsets = [np.array([(0, 4)]), np.array([(0, 6)]), np.array([(0, 7)]), np.zeros((0, 2), int), np.zeros((0, 2), int),
               np.array([(6, 7), (8, 12)]), np.array([(0, 3), (-1, -1)]), np.array([(0, 1)])]  # fmt: skip
    values = [np.full((len(t), 2), 0.1) for t in tokens]
    out = base.base_values + np.stack([v.sum(axis=0) for v in values])
    exp = rw.TextExplanation(
        texts=texts, tokens=tokens, offsets=offsets, values=values, base_values=base.base_values, model_output=out,
        output_names=["neg", "pos"], task="classification", units="output", y_pred=np.array(["neg"] * 8),
    )  # fmt: skip
    back = rw.load(exp.save(tmp_path / "nul"))
    assert back.texts == texts and back.tokens == tokens
    for a, b in zip(back.offsets, offsets, strict=True):
        np.testing.assert_array_equal(a, b)
    assert rw.Cohort("c", [rw.Filter("tokens", "contains", "end\x00")]).mask(back).tolist() == [True] + [False] * 7


def test_format_1_text_files_keep_loading(tmp_path):
    """Format 1 (rai-widget 0.1.0) stored texts and tokens as numpy string arrays."""
    exp = BY_NAME["text_multilabel"].build()
    path = exp.save(tmp_path / "v2")
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays.pop("__meta__")))
    assert meta["version"] == 2
    for name in ("texts_utf8", "text_bytes", "tokens_utf8", "token_bytes"):
        del arrays[name]
    arrays["texts"] = np.array(exp.texts)
    arrays["tokens"] = np.array([w for t in exp.tokens for w in t])
    old = rw.load(write(tmp_path / "v1.npz", arrays, {**meta, "version": 1}))
    assert old.texts == exp.texts and old.tokens == exp.tokens
    for name in ("texts", "tokens"):  # and the 0.1.0 files of tests/saved_v1 (see test_columns.py)
        assert name in np.load(Path(__file__).parent / "saved_v1" / "text_classification.npz").files
    assert (
        rw.load(Path(__file__).parent / "saved_v1" / "text_classification.npz").texts
        == BY_NAME["text_classification"].build().texts
    )
