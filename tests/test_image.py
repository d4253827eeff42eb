"""ImageExplainer: correctness against captum and ground truth, the inputs people have, clear errors."""

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")
pytest.importorskip("skimage")
from PIL import Image  # noqa: E402
from tiny_models import tiny_cnn  # noqa: E402

import rai_widget as rw  # noqa: E402
from rai_widget.explainers._xrai import segment_masks  # noqa: E402

torch.set_num_threads(1)
GRADIENT_METHODS = ["integrated_gradients", "guided_backprop", "gradcam", "guided_gradcam", "xrai"]


class TopLeft(torch.nn.Module):
    """Sees only the top-left quadrant: the input is zeroed elsewhere; no biases, so nothing leaks."""

    def __init__(self, size=32):
        super().__init__()
        torch.manual_seed(1)
        mask = torch.zeros(1, 1, size, size)
        mask[..., : size // 2, : size // 2] = 1
        self.register_buffer("mask", mask)
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.relu1 = torch.nn.ReLU()
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.relu2 = torch.nn.ReLU()
        self.head = torch.nn.Linear(8, 2, bias=False)
        with torch.no_grad():
            self.head.weight[0] = self.head.weight[0].abs() + 0.1
            self.head.weight[1] = -self.head.weight[0]

    def forward(self, x):
        h = self.relu2(self.conv2(self.relu1(self.conv1(x * self.mask))))
        return self.head(h.mean(dim=(2, 3)))


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    from scipy.ndimage import gaussian_filter

    raw = rng.random((3, 32, 32, 3))
    smooth = np.stack([gaussian_filter(im, sigma=(2, 2, 0)) for im in raw])
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    return (smooth * 255).astype(np.uint8)


def model_input(images):
    return torch.as_tensor(images.transpose(0, 3, 1, 2).astype(np.float32) / 255)


def test_import_is_torch_free():
    code = "import rai_widget, sys; assert 'torch' not in sys.modules and 'captum' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_integrated_gradients_completeness(images):
    model = tiny_cnn()
    exp = rw.ImageExplainer(model, n_steps=200).explain(images)
    x = model_input(images)
    with torch.no_grad():
        fx = model(x).numpy()[np.arange(3), exp.targets]
        f0 = model(torch.zeros_like(x)).numpy()[np.arange(3), exp.targets]
    sums = exp.attributions.sum(axis=(1, 2))
    np.testing.assert_allclose(sums, fx - f0, rtol=0.01)
    assert exp.units == "logit" and exp.task == "classification"
    np.testing.assert_array_equal(exp.targets, exp.model_output.argmax(1))
    np.testing.assert_allclose(exp.probabilities.sum(1), 1)


@pytest.mark.parametrize("method", ["integrated_gradients", "guided_backprop", "gradcam", "guided_gradcam"])
def test_agrees_with_captum(images, method):
    model = tiny_cnn()
    exp = (
        rw.ImageExplainer(model, method, n_steps=20, classes=list("abcd")).explain(images, targets="c")
        if method == "integrated_gradients"
        else rw.ImageExplainer(model, method).explain(images, targets=2)
    )
    x = model_input(images)
    layer = model[2]
    if method == "integrated_gradients":
        ref = captum_attr.IntegratedGradients(model).attribute(x, target=2, n_steps=20).sum(1)
    elif method == "guided_backprop":
        ref = captum_attr.GuidedBackprop(model).attribute(x, target=2).sum(1)
    elif method == "gradcam":
        cam = captum_attr.LayerGradCam(model, layer).attribute(x, target=2, relu_attributions=True)
        ref = captum_attr.LayerAttribution.interpolate(cam, (32, 32), interpolate_mode="bilinear")[:, 0]
    else:
        ref = captum_attr.GuidedGradCam(model, layer).attribute(x, target=2).sum(1)
    ref = ref.detach().numpy()
    assert np.abs(ref).max() > 0
    np.testing.assert_allclose(exp.attributions, ref, rtol=1e-4, atol=1e-6 * np.abs(ref).max())
    assert exp.params.get("target_layer", "2") == "2"  # the last Conv2d, found automatically


def relu6_cnn(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1),
        torch.nn.ReLU6(),
        torch.nn.Conv2d(8, 8, 3, padding=1),
        torch.nn.ReLU6(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(8, 4),
    ).eval()


@pytest.mark.parametrize("method", ["guided_backprop", "guided_gradcam"])
def test_guided_methods_guide_relu6_too(images, method):
    """captum hooks only nn.ReLU, so a ReLU6 model would get plain gradients. Below 6 the two
    activations are equal, so the ReLU6 model must get exactly captum's answer for its ReLU twin."""
    model = relu6_cnn()
    twin = relu6_cnn()
    twin[1], twin[3] = torch.nn.ReLU(), torch.nn.ReLU()
    x = model_input(images)
    with torch.no_grad():
        assert model[1](model[0](x)).max() < 6  # nothing saturates: the twin computes the same function
    exp = rw.ImageExplainer(model, method).explain(images, targets=1)
    if method == "guided_backprop":
        ref = captum_attr.GuidedBackprop(twin).attribute(x, target=1).sum(1).detach().numpy()
    else:
        ref = captum_attr.GuidedGradCam(twin, twin[2]).attribute(x, target=1).sum(1).detach().numpy()
    np.testing.assert_allclose(exp.attributions, ref, rtol=1e-4, atol=1e-6 * np.abs(ref).max())
    plain = captum_attr.Saliency(model).attribute(x, target=1, abs=False).sum(1).detach().numpy()
    if method == "guided_backprop":
        assert np.abs(exp.attributions - plain).max() > 0.1 * np.abs(plain).max()  # really guided


@pytest.mark.parametrize("method", ["integrated_gradients", "xrai", "guided_backprop"])
def test_explaining_leaves_the_model_as_it_was(images, method):
    model = tiny_cnn()
    before = {name: (t.data_ptr(), t.stride(), t.requires_grad) for name, t in model.named_parameters()}
    rw.ImageExplainer(model, method, **({"n_steps": 4} if method != "guided_backprop" else {})).explain(images[:1])
    after = {name: (t.data_ptr(), t.stride(), t.requires_grad) for name, t in model.named_parameters()}
    assert after == before
    assert not any(m._backward_hooks or m._backward_pre_hooks for m in model.modules())


@pytest.mark.parametrize("method", [*GRADIENT_METHODS, "shap"])
def test_known_answer_top_left(images, method):
    params = {"max_evals": 300, "baseline": "black"} if method == "shap" else {}
    exp = rw.ImageExplainer(TopLeft(), method, **params).explain(images, targets=0)
    inside = np.zeros((32, 32), dtype=bool)
    inside[:16, :16] = True
    a = np.abs(exp.attributions)
    mean_in, mean_out = a[:, inside].mean(), a[:, ~inside].mean()
    assert mean_in > 5 * mean_out, (method, mean_in, mean_out)


def test_xrai_regions_cover_image_and_rank_like_ig(images):
    model = tiny_cnn()
    from rai_widget.explainers._xrai import xrai

    ig = rw.ImageExplainer(model, "xrai", n_steps=20).explain(images[:1])
    heat = ig.attributions[0]
    assert np.isfinite(heat).all()
    # the same IG map XRAI ranks (black and white baselines, max over channels), ranked by hand
    x = model_input(images[:1])
    target = int(ig.targets[0])
    base = [torch.zeros_like(x), torch.ones_like(x)]
    attr = np.mean(
        [
            captum_attr.IntegratedGradients(model).attribute(x, b, target=target, n_steps=20).detach().numpy()[0]
            for b in base
        ],
        axis=0,
    ).max(0)
    masks = segment_masks(images[0])
    for algorithm in ("full", "fast"):
        out, ranks = xrai(attr, masks, algorithm)
        assert ranks.min() == 1 and (ranks > 0).all()  # every pixel belongs to a region
        assert len(np.unique(ranks)) > 2
        top, bottom = ranks == 1, ranks == ranks.max()
        assert attr[top].mean() > attr[bottom].mean()
        np.testing.assert_allclose(out.sum(), attr.sum(), rtol=1e-6)  # region gains keep IG's total
        if algorithm == "full":
            np.testing.assert_allclose(out, heat, rtol=1e-3, atol=1e-6 * np.abs(out).max())
        means = [out[ranks == r].mean() for r in range(1, ranks.max() + 1)]
        assert np.all(np.diff(means[:-1]) <= 1e-12)  # region values fall with rank (the last: leftovers)


def test_shap_for_a_numpy_callable(images):
    w = np.random.default_rng(3).normal(size=(3, 2))

    def f(batch):  # (N, C, H, W) float32 numpy -> (N, 2) probabilities; only the left half matters
        z = batch[:, :, :, :16].mean(axis=(2, 3)) @ w
        e = np.exp(z - z.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    exp = rw.ImageExplainer(f, "shap", classes=["no", "yes"], max_evals=200, baseline="black").explain(
        images, y_true=[0, 1, 1]
    )
    assert exp.units == "probability" and exp.attributions.shape == (3, 32, 32)
    np.testing.assert_allclose(exp.probabilities, exp.model_output)
    assert np.abs(exp.attributions[:, :, 16:]).max() < 1e-9 < np.abs(exp.attributions[:, :, :16]).max()
    # efficiency: the values sum to f(image) - f(baseline)
    fx = exp.model_output[np.arange(3), exp.targets]
    f0 = f(np.zeros((1, 3, 32, 32), np.float32))[0, exp.targets]
    np.testing.assert_allclose(exp.attributions.sum(axis=(1, 2)), fx - f0, atol=1e-6)
    assert list(exp.y_true) == ["no", "yes", "yes"]
    assert "torch" not in exp.params


def test_multilabel_targets(images):
    model = tiny_cnn(k=3)
    with torch.no_grad():
        model[-1].bias[:] = torch.tensor([10.0, -10.0, 10.0])
    exp = rw.ImageExplainer(model, "gradcam", multilabel=True, classes=["cat", "dog", "sky"]).explain(images)
    assert exp.task == "multilabel" and exp.units == "log-odds" and exp.multi_target
    assert exp.attributions.shape == (3, 2, 32, 32)
    np.testing.assert_array_equal(exp.targets, [[0, 2]] * 3)
    np.testing.assert_array_equal(exp.y_pred, [[True, False, True]] * 3)
    single = rw.ImageExplainer(model, "gradcam", multilabel=True).explain(images, targets=2)
    np.testing.assert_allclose(exp.attribution(1, "sky"), single.attributions[1], rtol=1e-5)
    assert list(exp.cohort_columns()["y_pred"]) == ["cat, sky"] * 3


def test_several_targets_per_image(images):
    model = tiny_cnn()
    exp = rw.ImageExplainer(model, "guided_backprop").explain(images[:2], targets=[[0, 3], [1]])
    assert isinstance(exp.attributions, list) and [a.shape for a in exp.attributions] == [(2, 32, 32), (1, 32, 32)]
    one = rw.ImageExplainer(model, "guided_backprop").explain(images[:1], targets=3)
    np.testing.assert_allclose(exp.attribution(0, 3), one.attributions[0], rtol=1e-5)


def test_pil_images_of_different_sizes():
    model = tiny_cnn()
    rng = np.random.default_rng(2)
    pil = [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for h, w in [(20, 30), (40, 24)]]

    def preprocess(im):  # resize to the model's 16 x 16
        return torch.as_tensor(np.asarray(Image.fromarray(im).resize((16, 16)), np.float32) / 255).permute(2, 0, 1)

    for method in ("integrated_gradients", "gradcam"):
        exp = (
            rw.ImageExplainer(model, method, preprocess=preprocess, n_steps=100).explain(pil)
            if method == "integrated_gradients"
            else rw.ImageExplainer(model, method, preprocess=preprocess).explain(pil)
        )
        assert [a.shape for a in exp.attributions] == [(20, 30), (40, 24)]
        assert [im.shape for im in exp.images] == [(20, 30, 3), (40, 24, 3)]
    # resizing keeps IG's sum: f(x) - f(black), at each image's own resolution
    x = torch.stack([preprocess(np.asarray(p)) for p in pil])
    with torch.no_grad():
        gap = (model(x) - model(torch.zeros_like(x))).numpy()[np.arange(2), exp.targets]
    ig = rw.ImageExplainer(model, preprocess=preprocess, n_steps=100).explain(pil)
    np.testing.assert_allclose([a.sum() for a in ig.attributions], gap, rtol=0.01)


def test_float_and_gray_inputs(images):
    model = tiny_cnn(channels=1)
    gray = images[..., 0]
    a = rw.ImageExplainer(model, "gradcam").explain(gray)
    b = rw.ImageExplainer(model, "gradcam").explain(gray[..., None].astype(np.float32) / 255)
    np.testing.assert_allclose(a.attributions, b.attributions, rtol=1e-5)
    assert a.images.shape == (3, 32, 32, 1) and a.images.dtype == np.uint8


def test_save_load_round_trip(images, tmp_path):
    model = tiny_cnn()
    exp = rw.ImageExplainer(model, "gradcam", classes=list("abcd")).explain(images, y_true=["a", "b", "c"])
    back = rw.load(exp.save(tmp_path / "img"))
    assert isinstance(back, rw.ImageExplanation)
    for name in ("images", "attributions", "targets", "model_output", "probabilities", "y_pred", "y_true"):
        np.testing.assert_array_equal(getattr(back, name), getattr(exp, name))
    assert back.method == "gradcam" and back.params == exp.params and back.output_names == list("abcd")
    assert back.units == exp.units and back.task == exp.task
    assert back.cohort_columns().equals(exp.cohort_columns())

    ragged = rw.ImageExplainer(model, "guided_backprop").explain([images[0], images[1, :20]], targets=[[0, 1], [2]])
    back = rw.load(ragged.save(tmp_path / "ragged.npz"))
    assert [a.shape for a in back.attributions] == [(2, 32, 32), (1, 20, 32)]
    np.testing.assert_array_equal(back.targets[0], [0, 1])
    np.testing.assert_array_equal(back.attributions[1], ragged.attributions[1])


def test_errors(images):
    model = tiny_cnn()
    with pytest.raises(ValueError, match=r"unknown method 'gradcamm'\. Did you mean 'gradcam'\?.*xrai"):
        rw.ImageExplainer(model, "gradcamm")
    with pytest.raises(ValueError, match=r"no layer named 'conv9'.*'0', '2'"):
        rw.ImageExplainer(model, "gradcam", target_layer="conv9")
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['steps'\].*n_steps"):
        rw.ImageExplainer(model, steps=10)
    with pytest.raises(ValueError, match=r"4 channel\(s\) but the model's first Conv2d expects 3"):
        rw.ImageExplainer(model, "gradcam").explain(np.zeros((2, 32, 32, 4), np.uint8))
    with pytest.raises(ValueError, match=r"looks channels-first"):
        rw.ImageExplainer(model, "gradcam").explain(np.zeros((2, 3, 32, 32), np.uint8))
    with pytest.raises(ValueError, match=r"must return an \(N, k\) array.*shape \(\d, 4, 1\)"):
        rw.ImageExplainer(torch.nn.Sequential(model, torch.nn.Unflatten(1, (4, 1))), "gradcam").explain(images[:2])
    with pytest.raises(ValueError, match=r"must return an \(N, k\) array.*shape \(\d, 4, 1\)"):
        rw.ImageExplainer(torch.nn.Sequential(model, torch.nn.Unflatten(1, (4, 1))), "guided_backprop").explain(
            images[:2], targets=0
        )  # targets given: the outputs come from the attribution's own pass
    for targets in (None, 1):
        with pytest.raises(ValueError, match=r"returns 4 scores per image but 3 classes"):
            rw.ImageExplainer(model, "gradcam", classes=["a", "b", "c"]).explain(images, targets=targets)
    with pytest.raises(ValueError, match=r"target 7 is out of range: targets are output indices 0..3"):
        rw.ImageExplainer(model, "gradcam").explain(images, targets=7)
    with pytest.raises(TypeError, match=r"needs gradients.*method='shap' works with any callable"):
        rw.ImageExplainer(lambda x: x, "gradcam")
    with pytest.raises(ValueError, match=r"float images must be in \[0, 1\]"):
        rw.ImageExplainer(model, "gradcam").explain(images.astype(np.float32))
    with pytest.raises(ValueError, match=r"unknown target 'zebra'"):
        rw.ImageExplainer(model, "gradcam").explain(images, targets="zebra")
    with pytest.raises(ValueError, match=r"targets has 2 entries for 3 images"):
        rw.ImageExplainer(model, "gradcam").explain(images, targets=[0, 1])
    with pytest.raises(ValueError, match=r"'full' or 'fast'"):
        rw.ImageExplainer(model, "xrai", algorithm="fastest")


# --- glibc malloc: buffers reused during explain(), no setting changed --------------------------------------

MALLOC_PROBE = r"""
import ctypes, sys
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_size_t], [ctypes.c_void_p]
FIELDS = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
class Info(ctypes.Structure):  # glibc's struct mallinfo2
    _fields_ = [(n, ctypes.c_size_t) for n in FIELDS.split()]
libc.mallinfo2.restype = Info

def mapped(size):  # does glibc serve a block of this size with its own mapping (above the mmap threshold)?
    before = libc.mallinfo2().hblks
    p = libc.malloc(size)
    now = libc.mallinfo2().hblks
    libc.free(p)
    return now > before

import numpy as np, torch
import rai_widget as rw
from rai_widget.explainers._malloc import reuse_large_buffers
torch.set_num_threads(1)
if sys.argv[1] == "user":  # the user's own setting (it turns glibc's dynamic threshold off)
    assert libc.mallopt(-3, 1 << 20) == 1  # M_MMAP_THRESHOLD: 1 MB
    assert mapped(4 << 20)
else:
    assert mapped(16 << 20)  # a fresh process: 16 MB blocks are mapped (the threshold starts at 128 KB)
def rss():  # resident memory, bytes
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * __import__("os").sysconf("SC_PAGE_SIZE")

before = rss()
with reuse_large_buffers():
    if sys.argv[1] != "user":
        assert not mapped(16 << 20)  # within the block, large buffers come from the heap ...
        blocks = [libc.malloc(20 << 20) for _ in range(10)]
        for p in blocks:
            ctypes.memset(p, 1, 20 << 20)  # (pages are resident once written)
        size = libc.mallinfo2().arena
        for p in blocks:
            libc.free(p)
        assert libc.mallinfo2().arena == size  # ... and stay there when freed, for the next pass
        assert rss() > before + (150 << 20)
assert rss() < before + (50 << 20), "the memory is given back after the block"
model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(), torch.nn.LazyLinear(2))
model(torch.zeros(1, 3, 8, 8))
rw.ImageExplainer(model, n_steps=4).explain(np.zeros((1, 8, 8, 3), np.uint8))  # IG runs in such a block
if sys.argv[1] == "user":
    assert mapped(4 << 20), "the user's threshold of 1 MB holds"
print("ok")
"""


@pytest.mark.parametrize("setting", ["default", "user"])
def test_buffer_reuse_changes_no_malloc_setting(setting):
    """explain() keeps large buffers for reuse while it runs, then gives the memory back; glibc's settings (its
    dynamic thresholds, or the user's own mallopt) are as they were: mallopt is never called."""
    import ctypes
    import ctypes.util

    if not sys.platform.startswith("linux") or not hasattr(ctypes.CDLL(ctypes.util.find_library("c")), "mallinfo2"):
        pytest.skip("glibc >= 2.33 only")
    out = subprocess.run([sys.executable, "-c", MALLOC_PROBE, setting], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_buffer_reuse_only_allocates(monkeypatch):
    """No mallopt (a process-wide setting nothing can read back or undo): the block only allocates and frees."""
    from rai_widget.explainers import _malloc

    libc = _malloc._glibc()
    if libc is None:
        pytest.skip("glibc only")
    used = []

    class Recording:
        def __getattr__(self, name):
            used.append(name)
            return getattr(libc, name)

    monkeypatch.setattr(_malloc, "_glibc", Recording)
    with _malloc.reuse_large_buffers():
        pass
    assert set(used) == {"malloc", "free", "malloc_trim"}, used


@pytest.mark.parametrize("method", ["integrated_gradients", "gradcam"])  # unbatched and batched paths
def test_progress_bar_on_request_off_on_request(images, method, capsys):
    params = {"n_steps": 4} if method == "integrated_gradients" else {}
    explainer = rw.ImageExplainer(tiny_cnn(), method, **params)
    explainer.explain(images[:1], progress=True)
    assert method in capsys.readouterr().err
    explainer.explain(images, progress=False)
    assert method not in capsys.readouterr().err
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        explainer.explain(images, progress="no")
