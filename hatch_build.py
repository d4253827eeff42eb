"""Build hook that runs before hatch-jupyter-builder's npm build: without Node.js, one clear sentence.

Wheels and sdists carry the front-end bundle (rai_widget/static/widget.js and widget.css, built by
`npm run build`). Building from a source checkout that lacks it needs node and npm; without them the
npm builder would end in a long traceback (npm not found, or `npm install` exit 127). This hook says
what is missing and how to get it instead, and exits. An editable install that already has a bundle
keeps it when node is missing (the npm builder, which always rebuilds for editable installs, is skipped).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE = ("rai_widget/static/widget.js", "rai_widget/static/widget.css")


def missing_tools() -> list[str]:
    return [tool for tool in ("node", "npm") if shutil.which(tool) is None]


def no_node_message(missing: list[str]) -> str:
    what = " and ".join(missing)
    return (
        f"rai-widget: building it from source needs Node.js 20+ and npm to build the front end "
        f"(rai_widget/static/widget.js), but {what} {'is' if len(missing) == 1 else 'are'} not on PATH: "
        "install Node.js (https://nodejs.org/en/download, or e.g. `apt install nodejs npm`, "
        "`conda install -c conda-forge nodejs`) and run this again, or install a built wheel instead, which "
        "carries the front end and needs no Node.js (`pip install rai_widget-*.whl`, made by `python -m build` "
        "on a machine with Node.js)."
    )


class NodeCheckHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name not in ("wheel", "sdist") or os.environ.get("SKIP_JUPYTER_BUILDER"):
            return
        missing = missing_tools()
        if not missing:
            return  # the npm builder builds the bundle (or finds it already built)
        if all((Path(self.root) / f).is_file() for f in BUNDLE):
            if version == "editable":
                # hatch-jupyter-builder rebuilds on every editable install; without node, keep the bundle there is
                self.app.display_info("rai-widget: Node.js not found; the editable install uses the existing bundle")
                os.environ["SKIP_JUPYTER_BUILDER"] = "1"
            return
        raise SystemExit(no_node_message(missing))
