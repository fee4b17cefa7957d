"""Headless Debian Chromium driven by Python playwright, with the network cut off.

Browser tests skip only when chromium is absent AND ``GEOPROSPECT_REQUIRE_BROWSER`` is unset;
with it set (CI) a missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _unavailable(reason: str):
    if os.environ.get("GEOPROSPECT_REQUIRE_BROWSER"):
        pytest.fail(f"GEOPROSPECT_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    """A launched headless Chromium (session-wide)."""
    exe = shutil.which("chromium")
    if exe is None:
        _unavailable("chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("python playwright is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Visit:
    """A page opened with every non-file request aborted, and what happened on it."""

    page: object
    aborted: list = field(default_factory=list)
    file_requests: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    dialogs: list = field(default_factory=list)


@pytest.fixture
def open_offline(chromium):
    """Open a local HTML file with the network unreachable; wait for the map runtime."""
    contexts = []

    def visit(path, timeout_ms: int = 60_000, viewport: tuple[int, int] = (1400, 900)) -> Visit:
        context = chromium.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        contexts.append(context)
        page = context.new_page()
        v = Visit(page)
        url = path.resolve().as_uri()

        def route(r):
            req_url = r.request.url
            if req_url.startswith("file:"):
                if req_url != url:
                    v.file_requests.append(req_url)
                r.continue_()
            else:
                v.aborted.append(req_url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: v.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: v.errors.append(f"pageerror: {e}"))
        page.on("dialog", lambda d: (v.dialogs.append(d.message), d.dismiss()))
        page.goto(url)
        page.wait_for_function("window.GP && window.GP.ready === true", timeout=timeout_ms)
        return v

    yield visit
    for c in contexts:
        c.close()
