"""Opening an HTML page of the flow from ``file://`` in headless Chromium (playwright).

Test support, not a test: tests in tests/flow import it (``import browser_check``; pytest puts
the test file's directory on ``sys.path``); tests elsewhere load it by path
(``runpy.run_path(".../tests/flow/browser_check.py")``). :func:`check_page` opens a page, records
console errors, page errors and any request that leaves the file system, measures every figure
(``.ef-figure``: plotly's ``.main-svg`` inside it), saves a full-page screenshot and returns what
it saw; :func:`problems` turns that into one line per failure.

Chromium is Debian's (``/usr/bin/chromium``), never playwright's download. Without it a test
skips on a developer machine and fails in CI (``CI`` set), where .ci/run installs it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1500, "height": 1000}
TIMEOUT_MS = 30_000

# every figure of the page rendered by plotly, with its size
_FIGURES_JS = """() => Array.from(document.querySelectorAll('.ef-figure'), (div) => {
  const svg = div.querySelector('.main-svg');
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  return {id: div.id, plotted: div.classList.contains('js-plotly-plot') && svg !== null,
          width: box.width, height: box.height};
})"""
_READY_JS = """() => Array.from(document.querySelectorAll('.ef-figure')).every(
  (div) => div.classList.contains('js-plotly-plot') && div.querySelector('.main-svg'))"""


def chromium_path() -> str | None:
    """Debian's chromium, or None when it is not installed."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.access(path, os.X_OK) else None


def need_chromium() -> str:
    """Chromium's path; skips the test without it, or fails it when ``CI`` is set."""
    path = chromium_path()
    if path is None:
        message = "chromium is not installed (Debian package chromium; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: the browser test must run in CI")
        pytest.skip(message)
    return path


@contextlib.contextmanager
def browser() -> Iterator[Browser]:
    """Headless Chromium (Debian's), closed on exit."""
    path = need_chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _figures(page: Page) -> list[dict]:
    with contextlib.suppress(Exception):  # a figure that never renders is reported below
        page.wait_for_function(_READY_JS, timeout=TIMEOUT_MS)
    return page.evaluate(_FIGURES_JS)


def check_page(path: str | os.PathLike, screenshot: str | os.PathLike,
               interact: Callable[[Page], object] | None = None) -> dict:
    """Open ``path`` from ``file://`` in headless Chromium and report what it saw.

    Parameters
    ----------
    path
        The HTML file.
    screenshot
        The PNG to write (a full-page screenshot, after ``interact``); its directory is made.
    interact
        Called with the playwright page once every figure rendered; its return value is kept
        as ``"interaction"`` (the page is measured again after it).

    Returns
    -------
    dict
        ``url``, ``title``; ``errors`` (console errors and uncaught page errors, as text);
        ``requests`` (URLs the page asked for outside ``file:``/``data:``/``blob:``);
        ``figures`` (one dict per ``.ef-figure``: ``id``, ``plotted``, ``width``, ``height``);
        ``tables`` (the number of ``<table>``); ``interaction``; ``screenshot`` (its path).
    """
    url = Path(path).resolve().as_uri()
    errors: list[str] = []
    requests: list[str] = []
    with browser() as b:
        page = b.new_page(viewport=VIEWPORT)
        page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.on("request", lambda r: requests.append(r.url)
                if not r.url.startswith(("file:", "data:", "blob:")) else None)
        page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
        figures = _figures(page)
        interaction = None
        if interact is not None:
            interaction = interact(page)
            figures = _figures(page)
        shot = Path(screenshot)
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        result = {"url": url, "title": page.title(), "errors": errors, "requests": requests,
                  "figures": figures, "tables": page.locator("table").count(),
                  "interaction": interaction, "screenshot": str(shot)}
        page.close()
    return result


def problems(result: dict) -> list[str]:
    """One line per failure in a :func:`check_page` result (empty: the page is fine)."""
    out = list(result["errors"])
    out += [f"network request from an offline page: {u}" for u in result["requests"]]
    for f in result["figures"]:
        if not f["plotted"] or f["width"] <= 0 or f["height"] <= 0:
            out.append(f"figure {f['id']!r} not rendered (plotted={f['plotted']}, "
                       f"{f['width']}x{f['height']} px)")
    return out
