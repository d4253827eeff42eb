"""Helpers for the packaging tests: a machine without Node.js, and the source tree as a checkout has it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ("rai_widget/static/widget.js", "rai_widget/static/widget.css")
NODE_TOOLS = ("node", "nodejs", "npm", "npx", "corepack")


def require_bundle() -> None:
    """The wheel and sdist tests package the built front end: without it they say so, and fail."""
    missing = [f for f in BUNDLE if not (ROOT / f).is_file()]
    if missing:
        raise AssertionError(
            f"the front-end bundle is missing ({', '.join(missing)}): run `npm run build` first "
            "(scripts/test.sh does, before pytest)"
        )


def path_without_node(folder: Path, first: list[Path] | tuple[Path, ...] = ()) -> str:
    """A PATH holding every command of this one except Node.js's (`first` folders ahead of it).

    `folder` gets a link to each command on PATH but node, npm, npx and corepack, so the build tools
    (sh, git, a compiler) stay while no folder on the result holds node or npm."""
    folder.mkdir(parents=True, exist_ok=True)
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not directory or not os.path.isdir(directory) or Path(directory).resolve() == folder.resolve():
            continue
        for entry in os.scandir(directory):
            link = folder / entry.name
            if entry.name in NODE_TOOLS or link.exists() or link.is_symlink():
                continue
            if entry.is_file() and os.access(entry.path, os.X_OK):
                link.symlink_to(entry.path)
    path = os.pathsep.join([*(str(p) for p in first), str(folder)])
    for tool in ("node", "npm"):
        assert shutil.which(tool, path=path) is None, f"{tool} is still on the test's PATH: {path}"
    return path


def env_without_node(path: str, **extra: str) -> dict[str, str]:
    """This environment with `path` as PATH, no virtualenv or PYTHONPATH leaking in, and pip's own cache."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    cache = subprocess.run(
        [sys.executable, "-m", "pip", "cache", "dir"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if cache:
        env["PIP_CACHE_DIR"] = cache  # the same cache whatever HOME the test sets
    env.update(PATH=path, PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def source_copy(dest: Path, with_bundle: bool) -> Path:
    """The files a checkout has (tracked, and new ones git does not ignore) copied to `dest`: never the
    built bundle, nor node_modules; with `with_bundle` the bundle of this tree is added."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in listed:
        name = raw.decode()
        if not name or name.startswith(("rai_widget/static/", "node_modules/")) or not (ROOT / name).is_file():
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    if with_bundle:
        for name in BUNDLE:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def run(
    cmd: list[str], env: dict[str, str], cwd: Path, timeout: float = 900
) -> tuple[subprocess.CompletedProcess, float]:
    """Run `cmd` (stdout and stderr together); returns the result and how many seconds it took."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(c) for c in cmd],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    return done, time.perf_counter() - start
