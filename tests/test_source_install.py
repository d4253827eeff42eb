"""Installing from source on a machine without Node.js (node and npm off PATH).

A checkout without the built front end cannot be installed there: pip must stop with hatch_build.py's
one sentence (what is missing, how to get it, or to install a wheel instead), not hatch-jupyter-builder's
traceback ending at npm. The sdist carries the bundle, so it installs there.
"""

from __future__ import annotations

import sys
import tarfile

import pytest
from no_node import BUNDLE, ROOT, env_without_node, path_without_node, require_bundle, run, source_copy

pytestmark = pytest.mark.slow

SENTENCE = (
    "rai-widget: building it from source needs Node.js 20+ and npm to build the front end "
    "(rai_widget/static/widget.js), but node and npm are not on PATH: install Node.js"
)


def test_pip_install_from_a_checkout_without_node_says_in_one_sentence_what_to_install(tmp_path):
    src = source_copy(tmp_path / "src", with_bundle=False)
    assert not (src / "rai_widget/static").exists() and (src / "pyproject.toml").is_file()
    env = env_without_node(path_without_node(tmp_path / "bin"))
    # With build isolation, as a user's `pip install .` runs (hatchling and hatch-jupyter-builder come from
    # pip's cache: a few seconds); --target so that nothing could reach this environment.
    done, seconds = run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", tmp_path / "site", "."], env, cwd=src
    )
    print(f"pip install . without node: {seconds:.1f} s\n{done.stdout}")
    assert done.returncode != 0
    assert SENTENCE in done.stdout
    assert "or install a built wheel instead, which carries the front end and needs no Node.js" in done.stdout
    for noise in ("Traceback", "exit status 127", "exit code: 127", "npm ERR", "Could not find cmd"):
        assert noise not in done.stdout
    assert not (tmp_path / "site" / "rai_widget").exists()


def test_the_sdist_carries_the_bundle_and_installs_without_node(tmp_path):
    require_bundle()
    src = source_copy(tmp_path / "src", with_bundle=True)
    env = env_without_node(path_without_node(tmp_path / "bin"))
    done, build_s = run([sys.executable, "-m", "build", "--sdist", "--outdir", tmp_path / "dist", "."], env, cwd=src)
    assert done.returncode == 0, done.stdout
    (sdist,) = (tmp_path / "dist").glob("rai_widget-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    top = names[0].split("/")[0]
    for name in BUNDLE:
        assert f"{top}/{name}" in names
    assert not [n for n in names if "/node_modules/" in n]
    # Installed where node is not: the wheel pip builds from the sdist keeps the bundle it carries.
    done, install_s = run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", tmp_path / "site", sdist], env, cwd=tmp_path
    )
    print(f"sdist build {build_s:.1f} s, sdist install without node {install_s:.1f} s")
    assert done.returncode == 0, done.stdout
    for name in BUNDLE:
        assert (tmp_path / "site" / name).read_bytes() == (ROOT / name).read_bytes()


def test_an_editable_install_without_node_keeps_the_bundle_it_has(tmp_path):
    require_bundle()
    src = source_copy(tmp_path / "src", with_bundle=True)
    env = env_without_node(path_without_node(tmp_path / "bin"))
    # The venv sees this environment's packages, so only rai-widget itself is installed (--no-deps).
    done, _ = run([sys.executable, "-m", "venv", "--system-site-packages", tmp_path / "venv"], env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    python = tmp_path / "venv" / "bin" / "python"
    # hatch-jupyter-builder rebuilds the front end on every editable install: without node, that was npm's error.
    done, seconds = run([python, "-m", "pip", "install", "-v", "--no-deps", "-e", "."], env, cwd=src)
    print(f"editable install without node: {seconds:.1f} s")
    assert done.returncode == 0, done.stdout
    assert "rai-widget: Node.js not found; the editable install uses the existing bundle" in done.stdout
    done, _ = run([python, "-c", "import rai_widget; print(rai_widget.__file__)"], env, cwd=tmp_path)
    assert done.stdout.strip() == str(src / "rai_widget" / "__init__.py")
