"""Open an offline report (a save_html file) in Chromium with every network request refused and counted.

One helper for every browser test that drives a report: the page, the dialogs it raised (an alert means
a string from data ran as code), its script errors, and the URLs it tried to fetch (a report must need none).
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOCAL = ("file:", "blob:", "data:")


@dataclass
class OfflinePage:
    page: Any
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def open_offline(
    browser, path: Path, *, scheme: str = "light", width: int = 1100, height: int = 900, **options
) -> OfflinePage:
    """`path` opened from disk; `options` go to the page's context (accept_downloads, bypass_csp, ...)."""
    page = browser.new_page(viewport={"width": width, "height": height}, color_scheme=scheme, **options)
    opened = OfflinePage(page)
    page.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: opened.errors.append(str(e)))

    def refuse_the_network(route):
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            opened.blocked.append(route.request.url)
            route.abort()

    page.route("**/*", refuse_the_network)
    page.goto(Path(path).as_uri())
    return opened
