"""What the browser tests share: Debian's Chromium driven by Playwright, the registry over real HTTP, screenshots.

The fixtures `browser` (one Chromium for a test file) and `page` (a fresh desktop page)
are in tests/conftest.py, which builds them with `chromium()`.
Screenshots are saved as test artifacts (REGISTRY_ARTIFACTS, by default artifacts/ in
the repository, which git ignores).
"""
import os
import threading
from contextlib import contextmanager
from pathlib import Path

from . import ROOT
from .apps import need

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(os.environ.get("REGISTRY_ARTIFACTS") or ROOT / "artifacts") / "screenshots"
PHONE = {"width": 390, "height": 844}
NARROWEST = {"width": 320, "height": 640}  # the narrowest phone screen in use, in CSS pixels
DESKTOP = {"width": 1280, "height": 900}
WAIT_MS = 15_000  # the longest any page may take to load here
SERVER_STOP_S = 5  # seconds to wait for the server's thread after closing it


@contextmanager
def chromium():
    """Chromium, headless, for the `browser` fixture; skips (fails in CI) where it is not installed."""
    if not os.path.exists(CHROMIUM):
        need(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def served(app):
    """The application served by waitress on 127.0.0.1 and a free port; yields its base URL."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    stopping = threading.Event()

    def run():
        try:
            server.run()
        except OSError:
            # Closing the sockets under the loop's select() is how it stops: only then is this expected.
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stopping.set()
        server.close()
        for channel in list(server._map.values()):
            channel.close()
        server.task_dispatcher.shutdown()
        thread.join(timeout=SERVER_STOP_S)


SCREENSHOT_MS = 60_000  # a full page of the API reference, every schema open, on a busy machine took over 15 s


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, timeout=SCREENSHOT_MS)
