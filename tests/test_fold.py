"""Batch-norm folding for integrated gradients' path points: the same function and attributions, faster,
and the user's model untouched; anything that cannot be folded safely runs as it is."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("captum")
pytest.importorskip("skimage")
nn, F = torch.nn, torch.nn.functional

import rai_widget as rw  # noqa: E402
from rai_widget.explainers import _fold  # noqa: E402
from rai_widget.explainers._fold import folded_twin  # noqa: E402

torch.set_num_threads(1)


class SamePadConv(nn.Conv2d):
    """A Conv2d subclass with its own forward (as EfficientNet's static-same-padding conv): fx traces into it."""

    def __init__(self, *args, pad=(0, 1, 0, 1), **kwargs):
        super().__init__(*args, **kwargs)
        self.static_padding = nn.ZeroPad2d(pad)

    def forward(self, x):
        return F.conv2d(self.static_padding(x), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class BNNet(nn.Module):
    """Every way a batch norm follows a convolution here, with smooth activations so gradients are too."""

    def __init__(self, k=3):
        super().__init__()
        torch.manual_seed(0)
        self.conv1, self.bn1 = nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.pad2, self.conv2, self.bn2 = nn.ZeroPad2d(1), nn.Conv2d(8, 8, 3, groups=8), nn.BatchNorm2d(8)
        self.conv3, self.bn3 = SamePadConv(8, 8, 3, stride=2, bias=False), nn.BatchNorm2d(8)  # asymmetric pad
        self.conv4, self.bn4 = SamePadConv(8, 8, 3, pad=(1, 1, 1, 1)), nn.BatchNorm2d(8)  # symmetric pad
        self.head = nn.Linear(8, k)
        with torch.no_grad():  # trained-looking statistics, so folding really changes the weights
            for bn in (self.bn1, self.bn2, self.bn3, self.bn4):
                bn.running_mean.uniform_(-0.5, 0.5)
                bn.running_var.uniform_(0.01, 0.2)
                bn.weight.uniform_(0.5, 2.0)
                bn.bias.uniform_(-0.3, 0.3)
        self.eval()

    def forward(self, x):
        h = torch.tanh(self.bn1(self.conv1(x)))
        h = F.softplus(self.bn2(self.conv2(self.pad2(h))))
        h = torch.tanh(self.bn3(self.conv3(h)))
        h = F.softplus(self.bn4(self.conv4(h)))
        return self.head(h.amax(dim=(2, 3)))


class ResBlock(nn.Module):
    """ResNet's basic block: a residual add, a downsample branch as Sequential(conv, bn), BN without affine."""

    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8)
        self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, padding="same", bias=False), nn.BatchNorm2d(8, affine=False)
        self.down = nn.Sequential(nn.Conv2d(3, 8, 1, stride=2, bias=False), nn.BatchNorm2d(8))
        self.head = nn.Linear(8, 3)
        torch.manual_seed(2)
        with torch.no_grad():
            for bn in (self.bn1, self.bn2, self.down[1]):
                bn.running_mean.uniform_(-0.5, 0.5)
                bn.running_var.uniform_(0.05, 0.5)
        self.eval()

    def forward(self, x):
        h = torch.tanh(self.bn1(self.conv1(x)))
        h = F.softplus(self.bn2(self.conv2(h)) + self.down(x))
        return self.head(h.amax(dim=(2, 3)))


def test_a_resnet_block_folds_too(images):
    model, x = ResBlock(), batch(images)
    twin = folded_twin(model, x[:1])
    assert "BatchNorm2d" not in module_types(twin)
    np.testing.assert_allclose(twin(x).detach(), model(x).detach(), rtol=1e-5, atol=1e-5)


class Untraceable(BNNet):
    def forward(self, x):
        if x.sum() > 0:  # control flow on a value: torch.fx cannot trace it
            x = x * 1.0
        return super().forward(x)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    return (rng.random((2, 24, 24, 3)) * 255).astype(np.uint8)


def batch(images):
    return torch.as_tensor(np.ascontiguousarray(images.transpose(0, 3, 1, 2), dtype=np.float32) / 255)


def module_types(twin):
    return [type(twin.get_submodule(n.target)).__name__ for n in twin.graph.nodes if n.op == "call_module"]


def test_folds_every_batch_norm_and_keeps_the_function_and_its_gradient(images):
    model, x = BNNet(), batch(images)
    twin = folded_twin(model, x[:1])
    assert twin is not model
    kinds = module_types(twin)
    assert "BatchNorm2d" not in kinds  # all four folded
    assert kinds.count("ZeroPad2d") == 1  # the symmetric pads became conv padding; the asymmetric one stays
    xg, tg = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    want, got = model(xg), twin(tg)
    np.testing.assert_allclose(got.detach(), want.detach(), rtol=1e-5, atol=1e-6)
    (gw,), (gt,) = torch.autograd.grad(want[:, 1].sum(), xg), torch.autograd.grad(got[:, 1].sum(), tg)
    np.testing.assert_allclose(gt, gw, rtol=1e-4, atol=1e-6 * float(gw.abs().max()))


@pytest.mark.parametrize("method", ["integrated_gradients", "xrai", "shap"])
def test_attributions_with_and_without_folding_agree(images, method):
    model = BNNet()
    params = {"max_evals": 200, "baseline": "black"} if method == "shap" else {"n_steps": 16}
    fast = rw.ImageExplainer(model, method, **params)
    exp = fast.explain(images, targets=1)
    plain = rw.ImageExplainer(model, method, fold_batchnorm=False, **params).explain(images, targets=1)
    assert fast._fast[0] is not model  # the folded twin really ran
    scale = np.abs(plain.attributions).max()
    np.testing.assert_allclose(exp.attributions, plain.attributions, rtol=1e-4, atol=1e-5 * scale)
    assert exp.params["fold_batchnorm"] is True


def test_the_users_model_is_untouched(images):
    model = BNNet()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    names = [n for n, _ in model.named_modules()]
    rw.ImageExplainer(model, n_steps=4).explain(images)
    assert [n for n, _ in model.named_modules()] == names
    after = model.state_dict()
    assert after.keys() == before.keys()
    for k, v in before.items():
        assert torch.equal(after[k], v), k
    assert all(p.requires_grad for p in model.parameters())


def test_weights_changed_between_calls_are_used(images):
    """The twin is cached across explain calls; changing the model's weights in place must rebuild it."""
    model = BNNet()
    ex = rw.ImageExplainer(model, n_steps=8)
    first = ex.explain(images, targets=0).attributions
    with torch.no_grad():
        model.bn2.running_mean.add_(0.7)
        model.conv1.weight.mul_(1.5)
    second = ex.explain(images, targets=0).attributions
    plain = rw.ImageExplainer(model, n_steps=8, fold_batchnorm=False).explain(images, targets=0).attributions
    assert np.abs(second - first).max() > 0.05 * np.abs(first).max()  # the change matters...
    np.testing.assert_allclose(second, plain, rtol=1e-4, atol=1e-5 * np.abs(plain).max())  # ...and is used


def test_models_that_cannot_be_folded_safely_run_as_they_are(images, monkeypatch):
    x = batch(images)[:1]
    untraceable = Untraceable()
    assert folded_twin(untraceable, x) is untraceable
    exp = rw.ImageExplainer(untraceable, n_steps=8).explain(images, targets=0)  # still explained
    assert np.isfinite(exp.attributions).all() and np.abs(exp.attributions).max() > 0

    training = BNNet().train()  # batch statistics: not an affine map to fold
    assert folded_twin(training, x) is training

    hooked = BNNet()
    hooked.bn1.register_forward_hook(lambda module, args, out: out * 2)  # a trace would skip the hook
    assert folded_twin(hooked, x) is hooked

    no_bn = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.LazyLinear(2))
    assert folded_twin(no_bn, x) is no_bn

    # a fold that would change the outputs is caught by the check on the real input
    wrong = BNNet()
    real = _fold.fuse_conv_bn_weights
    monkeypatch.setattr(_fold, "fuse_conv_bn_weights", lambda *a: tuple(t * 1.01 for t in real(*a)))
    assert folded_twin(wrong, x) is wrong


class Flat(nn.Module):
    """Views its input as rows, which a channels-last batch does not allow."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.head = nn.Linear(3 * 24 * 24, 3)

    def forward(self, x):
        return self.head(torch.tanh(x.view(x.shape[0], -1)))


@pytest.mark.parametrize("method", ["integrated_gradients", "xrai", "shap"])
def test_a_model_that_views_its_input_gets_contiguous_batches(images, method):
    model = Flat()
    params = {"max_evals": 100} if method == "shap" else {"n_steps": 8}
    ex = rw.ImageExplainer(model, method, **params)
    exp = ex.explain(images, targets=2)
    assert ex._fast == (model, False)  # no batch norm to fold, no channels-last
    if method == "integrated_gradients":
        import captum.attr

        ref = captum.attr.IntegratedGradients(model).attribute(batch(images), target=2, n_steps=8).sum(1)
        np.testing.assert_allclose(
            exp.attributions, ref.detach().numpy(), rtol=1e-4, atol=1e-6 * float(ref.abs().max())
        )
    assert np.abs(exp.attributions).max() > 0
