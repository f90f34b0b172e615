"""The page in a real browser: Debian's chromium driven by Playwright against a real uvicorn server.

Screenshots go to ``tests/artifacts/``. Skipped, with the reason, when
chromium or the ``playwright`` package (extra ``web-test``) is missing.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from helpers import needs
from PIL import Image
from skimage import data

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists():
    needs("browser tests need Debian's chromium at /usr/bin/chromium", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need playwright (pip install -e '.[web-test]')"
)


@contextmanager
def running_server(data_dir: Path, token: str | None = None) -> Iterator[str]:
    """A real uvicorn server on a free loopback port; yields its base URL."""
    import uvicorn

    from retouch.server.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(data_dir, token=token, workers=2)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield browser
        browser.close()


def new_page(browser, url: str):
    # The page forbids eval (CSP); Playwright's wait_for_function needs it, so this context bypasses it.
    context = browser.new_context(
        viewport={"width": 1280, "height": 860}, accept_downloads=True, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    return page


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("data")) as url:
        page = new_page(browser, url)
        yield page
        page.context.close()


@pytest.fixture(scope="module")
def photo_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("photos") / "astronaut.png"
    Image.fromarray(data.astronaut()).resize((256, 256)).save(path)
    return path


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def history_labels(page) -> list[str]:
    return page.locator("#history li").all_inner_texts()


def current_label(page) -> str:
    return page.locator("#history li.current").inner_text()


def test_upload_plan_run_compare_brush_inpaint_undo_download(page, photo_file, tmp_path):
    page.set_input_files("#file-input", str(photo_file))
    page.wait_for_function("document.querySelectorAll('#history li').length === 1")
    page.wait_for_function("document.getElementById('after-image').naturalWidth === 256")
    assert history_labels(page) == ["original"]

    # Type an instruction: Enter shows the plan as editable steps before anything runs.
    page.fill("#instruction", "make it brighter and warmer")
    page.press("#instruction", "Enter")
    page.wait_for_selector("#plan-steps .step")
    ops = page.locator("#plan-steps .step select.op").evaluate_all("els => els.map(e => e.value)")
    assert ops == ["brightness", "temperature"]
    assert history_labels(page) == ["original"]
    # Edit a step: a stronger brightening from the slider.
    page.locator("#plan-steps .step input.amount").first.evaluate(
        "el => { el.value = el.max; el.dispatchEvent(new Event('input')); }"
    )
    shoot(page, "1-plan")

    # Enter again runs it, with progress, previews per step and a new history entry.
    page.press("#instruction", "Enter")
    page.wait_for_function("document.querySelectorAll('#history li').length === 2")
    assert page.locator("#previews figure").count() >= 1
    assert "brightness" in page.locator("#previews figcaption").first.inner_text()
    edited_src = page.get_attribute("#after-image", "src")
    assert edited_src != page.get_attribute("#before-image", "src")

    # Before/after slider moves the split.
    page.locator("#compare-slider").evaluate("el => { el.value = 25; el.dispatchEvent(new Event('input')); }")
    assert "25%" in page.get_attribute("#after-image", "style")
    page.wait_for_function("document.getElementById('after-image').complete")
    shoot(page, "2-before-after")

    # Paint a mask and inpaint it.
    page.check("#brush-toggle")
    box = page.locator("#mask-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.55, steps=8)
    page.mouse.up()
    shoot(page, "3-mask")
    inpaint_available = page.locator("#inpaint").is_enabled()
    if inpaint_available:
        page.click("#inpaint")
        page.wait_for_function("document.querySelectorAll('#history li').length === 3")
        assert current_label(page) == "inpaint (brush)"
        page.uncheck("#brush-toggle")
        page.wait_for_function("document.getElementById('after-image').complete")
        shoot(page, "4-inpainted")

    # Ctrl+Z undoes (focus outside the text boxes), Ctrl+Shift+Z redoes.
    page.locator("h1").click()
    latest = current_label(page)
    page.keyboard.press("Control+z")
    page.wait_for_function("!document.getElementById('redo').disabled")
    assert current_label(page) != latest
    page.keyboard.press("Control+Shift+z")
    page.wait_for_function("document.getElementById('redo').disabled")
    assert current_label(page) == latest
    page.keyboard.press("Control+z")
    page.wait_for_function("!document.getElementById('redo').disabled")
    undone_label = current_label(page)
    assert undone_label == "make it brighter and warmer"

    # Download gives the current (undone-to) image.
    with page.expect_download() as info:
        page.click("#download")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    downloaded = np.asarray(Image.open(saved))
    assert downloaded.shape == (256, 256, 3)
    original = np.asarray(Image.open(photo_file))
    assert downloaded.mean() > original.mean() + 5  # the brightened, not the original


def test_region_overlay_and_describe(page, photo_file):
    if not page.locator("#history li").count():
        page.set_input_files("#file-input", str(photo_file))
        page.wait_for_function("document.querySelectorAll('#history li').length >= 1")
    page.select_option("#region-select", "shadows")
    page.click("#show-region")
    page.wait_for_function("document.getElementById('status').textContent.includes('covers')")
    shoot(page, "5-region-overlay")
    page.click("#describe")
    page.wait_for_function(
        "document.getElementById('description').children.length > 0 || "
        "document.getElementById('status').classList.contains('error')"
    )
    status = page.inner_text("#status")
    assert "not available" not in status, status
    assert page.locator("#description details").count() == 1
    shoot(page, "6-describe")


def test_plan_refusal_is_shown_not_run(page):
    page.fill("#instruction", "order me a pizza")
    page.press("#instruction", "Enter")
    page.wait_for_function("document.getElementById('status').classList.contains('error')")
    assert "pizza" in page.inner_text("#status")
    assert page.locator("#plan-steps .step").count() == 0


def test_drag_and_drop_opens_an_image(page, photo_file):
    content = photo_file.read_bytes()
    page.evaluate(
        """async (bytes) => {
            const file = new File([new Uint8Array(bytes)], "dropped.png", {type: "image/png"});
            const transfer = new DataTransfer();
            transfer.items.add(file);
            document.getElementById("viewer").dispatchEvent(
                new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        }""",
        list(content),
    )
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Opened dropped.png')")
    assert history_labels(page) == ["original"]  # a new session starts with the dropped image


def test_page_works_with_a_token(browser, photo_file, tmp_path):
    with running_server(tmp_path / "data", token="tok-123") as url:
        page = new_page(browser, url + "/?token=tok-123")
        try:
            page.set_input_files("#file-input", str(photo_file))
            page.wait_for_function("document.getElementById('after-image').naturalWidth === 256")
            assert "token=tok-123" in page.get_attribute("#download", "href")
        finally:
            page.context.close()


def test_api_docs_render_offline(page):
    base = page.url.split("/?")[0].rstrip("/")
    page.goto(base + "/docs")
    page.wait_for_selector("[data-path='/api/edit']")  # Swagger UI from the package, no CDN
    shoot(page, "7-api-docs")
    page.goto(base + "/")
    page.wait_for_selector("body[data-ready=true]")
