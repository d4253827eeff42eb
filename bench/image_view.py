"""Image view benchmark: hundreds of explained images in the offline report on headless Chromium.

    python bench/image_view.py [--images 500] [--side 224] [--repeat 5]

Builds an ImageExplanation of N photos (scikit-image's, shifted so each differs) with smooth random
float32 maps at full resolution (the view's cost does not depend on how the maps were computed), saves
the offline report and measures in Chromium:
- the report's size against the raw bytes it carries (uint8 images + float32 maps);
- open -> the first page of thumbnails decoded on screen;
- a page switch of the thumbnail grid (click "next" -> the next frame);
- a click on a thumbnail -> its overlay drawn;
- with the colour scale shared across images, a change of sign (a percentile over every map).
The reference dashboard has no figure to put beside these: it renders each image's explanation as a
server-side JPEG on request and caps its data at 5,000 rows. Targets: interactions < 100 ms.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCH))

import rai_widget as rw  # noqa: E402

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

NEXT_PAGE = """() => new Promise(res => { const t0 = performance.now();
  const grid = document.querySelectorAll('.rw-grid-section')[0];
  Array.from(grid.querySelectorAll('.rw-pager button')).find(b => b.textContent.includes('next')).click();
  requestAnimationFrame(() => setTimeout(() => res(performance.now() - t0), 0)); })"""

PICK = """(k) => new Promise(res => { const t0 = performance.now();
  const thumbs = document.querySelectorAll('[data-testid=image-thumb]'); const want = thumbs[k].dataset.index;
  thumbs[k].click();
  const tick = () => { const c = document.querySelector('[data-testid=image-overlay]');
    if (c && c.dataset.drawn === want) res(performance.now() - t0); else requestAnimationFrame(tick); }; tick(); })"""

SIGN = """(sign) => new Promise(res => { const t0 = performance.now();
  const s = document.querySelector('[data-testid=overlay-sign]'); s.value = sign; s.dispatchEvent(new Event('change'));
  requestAnimationFrame(() => setTimeout(() => res(performance.now() - t0), 0)); })"""

THUMBS_DECODED = """(n) => Array.from(document.querySelectorAll('.rw-grid-section img'))
  .filter(i => i.complete && i.naturalWidth > 0).length >= n"""


def explanation(n: int, side: int) -> rw.ImageExplanation:
    from scipy import ndimage
    from skimage import data
    from skimage.transform import resize

    rng = np.random.default_rng(0)
    photos = [
        (resize(getattr(data, k)(), (side, side), anti_aliasing=True) * 255).astype(np.uint8)
        for k in ("astronaut", "chelsea", "coffee", "rocket")
    ]
    images = np.stack([np.roll(photos[i % 4], i, axis=1) for i in range(n)])
    maps = ndimage.gaussian_filter(rng.standard_normal((n, side, side)).astype(np.float32), sigma=(0, 8, 8))
    classes = ["cat", "cup", "person"]
    probs = rng.dirichlet(np.ones(3), n)
    return rw.ImageExplanation(
        images=images,
        attributions=maps,
        targets=probs.argmax(1),
        method="integrated_gradients",
        params={},
        output_names=classes,
        task="classification",
        units="logit",
        y_pred=np.array(classes)[probs.argmax(1)],
        model_output=np.log(probs),
        probabilities=probs,
        y_true=np.array(classes)[np.arange(n) % 3],
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=500)
    ap.add_argument("--side", type=int, default=224)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"load average {os.getloadavg()[0]:.2f}; {args.images} images of {args.side} x {args.side}")
    exp = explanation(args.images, args.side)
    path = os.path.join(tempfile.mkdtemp(prefix="rw-bench-"), "images.html")
    t = time.perf_counter()
    exp.save_html(path)
    raw = exp.images.nbytes + sum(np.asarray(a, np.float32).nbytes for a in exp.attributions)
    size = os.path.getsize(path)
    print(
        f"{'save_html':44} {time.perf_counter() - t:8.2f} s   {size / 1e6:.0f} MB "
        f"({size / raw:.2f}x the {raw / 1e6:.0f} MB of raw uint8 images + float32 maps)"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        t = time.perf_counter()
        page.goto("file://" + path)
        page.wait_for_function(THUMBS_DECODED, arg=40, timeout=300_000)
        print(f"{'open -> first page of thumbnails decoded':44} {time.perf_counter() - t:8.2f} s")
        pages = [page.evaluate(NEXT_PAGE) for _ in range(args.repeat)]
        picks = [page.evaluate(PICK, 3 * k) for k in range(args.repeat)]
        page.locator('[data-testid="overlay-scale"]').select_option("shared")
        signs = [page.evaluate(SIGN, s) for s in ["absolute", "positive", "signed", "negative", "absolute"]]
        for name, ms in [
            ("thumbnail page switch", pages),
            ("click a thumbnail -> overlay drawn", picks),
            (f"shared scale: change sign ({args.images} maps)", signs),
        ]:
            print(f"{name:44} {statistics.median(ms):8.1f} ms median, {max(ms):.1f} ms max")
        browser.close()


if __name__ == "__main__":
    main()
