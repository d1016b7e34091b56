"""The Streamlit app in a real browser: `streamlit run app.py` driven by Playwright and Debian's Chromium.

Playwright's own browser download is not available here, so the test launches /usr/bin/chromium
(`apt-get install chromium`) and is skipped without it. One browser page walks through the app
as an engineer would (the session state carries from page to page): recipe, cell with 10 layers,
a line simulation, the BOM download, the traveler PDF, a small sweep. Screenshots of every page
go to ``test-output/screenshots/`` (a tall viewport: Streamlit scrolls inside its main block, so
a full-page screenshot captures only the viewport).
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "screenshots"
VIEWPORT = {"width": 1440, "height": 2300}

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                       "(apt-get install chromium); Playwright's browser download is not available"),
]


@pytest.fixture(scope="module")
def server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url, t0 = f"http://127.0.0.1:{port}", time.monotonic()
    while time.monotonic() - t0 < 30:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError(proc.stdout.read().decode(errors="replace"))
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    requests: list[str] = []
    pg.on("request", lambda req: requests.append(req.url))
    # a shared link (URL state) to the pilot line and the paper's single-layer cell, which the walk
    # below edits; the app's first load (the 10 Ah cell on the GWh line) is checked by AppTest
    pg.goto(server + "/?line=pilot-line.yaml&cell=layers%3D1&format=paper-single")
    pg.get_by_role("heading", name="Recipe").wait_for(timeout=30000)
    yield pg
    ctx.close()
    assert not errors, f"JavaScript errors in the app: {errors}"
    # plants are offline: no request (icon, font, telemetry) may leave this machine
    from urllib.parse import urlparse

    outside = [u for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")
               and urlparse(u).hostname not in ("127.0.0.1", "localhost")]
    assert requests and not outside, f"requests that leave localhost: {outside[:10]}"


def idle(pg) -> None:
    """Wait until the script run is over (call after the expected new content is visible)."""
    pg.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=30000)
    pg.wait_for_timeout(300)  # lazy-loaded grids and charts


def goto(pg, title: str, heading: str) -> None:
    pg.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    pg.get_by_role("heading", name=heading, exact=True).wait_for(timeout=30000)
    idle(pg)


def metric(pg, label: str) -> str:
    box = pg.locator('[data-testid="stMetric"]').filter(has=pg.locator('[data-testid="stMetricLabel"]',
                                                                        has_text=label)).first
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def no_exceptions(pg) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0, "the page shows a traceback"


def shot(pg, name: str) -> None:
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_recipe_page(page, tmp_path):
    idle(page)
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    assert metric(page, "Recipe") == "MR-INSNBI-LCO-POUCH"
    no_exceptions(page)
    shot(page, "1-recipe")
    page.get_by_role("tab", name="Edit parameters").click()
    page.get_by_role("spinbutton", name="Melt-cast temperature (°C)").wait_for()
    shot(page, "1b-recipe-edit")
    # a hostile upload: an inline error, the active recipe stays
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        files=[{"name": "not-a-recipe.yaml", "mimeType": "application/x-yaml", "buffer": b"\x00\x01PK\x03\x04"}])
    page.get_by_text("The recipe was not loaded").wait_for(timeout=20000)
    idle(page)
    assert page.get_by_text("is a binary file").count() == 1
    assert metric(page, "Recipe") == "MR-INSNBI-LCO-POUCH"
    no_exceptions(page)
    shot(page, "1c-recipe-bad-upload")
    # an edit the library refuses is shown at its field, never as a traceback
    page.get_by_role("tab", name="Edit parameters").click()
    box = page.get_by_role("spinbutton", name="Melt-cast temperature (°C)")
    box.fill("80")
    page.get_by_role("button", name="Apply edits").click()
    page.get_by_text("Not applied: 1 problem").wait_for(timeout=20000)
    idle(page)
    assert page.get_by_text("melting point").count() >= 1
    no_exceptions(page)
    shot(page, "1d-recipe-invalid-edit")
    box.fill("90")
    page.get_by_role("button", name="Apply edits").click()
    page.get_by_text("Applied: 1 parameter").wait_for(timeout=20000)
    idle(page)
    # the edited recipe downloads as YAML that loads back to the same recipe
    page.get_by_role("tab", name="YAML").click()
    btn = page.get_by_role("button", name="Download recipe YAML (edited)")
    btn.wait_for()
    with page.expect_download(timeout=30000) as dl:
        btn.click()
    target = tmp_path / "recipe.yaml"
    dl.value.save_as(target)
    from pouchline.recipe.io import load_recipe_text

    recipe, _ = load_recipe_text(target.read_bytes(), "download")
    assert recipe.step("melt_cast").temperature_C.target == 90.0
    assert recipe.step("melt_cast").temperature_C.source == "user: --set"
    # back to the file for the pages that follow
    page.get_by_role("tab", name="Edit parameters").click()
    page.get_by_role("button", name="Reset to the file's values").click()
    page.get_by_text("as in the file").wait_for(timeout=20000)
    idle(page)


def test_cell_page_layer_count(page):
    goto(page, "Cell design", "Cell design")
    assert metric(page, "Layers") == "1"
    before = metric(page, "Capacity")
    box = page.get_by_role("spinbutton", name="Layers", exact=True)
    box.fill("10")
    box.press("Enter")
    page.locator('[data-testid="stMetricValue"]', has_text=re.compile(r"^10$")).wait_for(timeout=20000)
    idle(page)
    after = metric(page, "Capacity")
    assert after != before
    assert float(after.split()[0]) == pytest.approx(10 * float(before.split()[0]), rel=0.01)
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    no_exceptions(page)
    shot(page, "2-cell")


def edit_grid_cell(pg, grid, col: int, row: int, value: str) -> None:
    """Type ``value`` into cell (col, row) of an st.data_editor.

    The grid is a canvas; its hidden accessibility table (``glide-cell-<col>-<row>``) says which
    cell is selected, so the test moves with the arrow keys and waits for each step.
    """
    grid.locator(f'[data-testid="glide-cell-0-{row}"]').wait_for(state="attached")
    box = grid.bounding_box()
    pg.mouse.click(box["x"] + 60, box["y"] + 50)  # first body row, first column

    def selected() -> str:
        ids = grid.locator('td[aria-selected="true"]').evaluate_all("els => els.map(e => e.id)")
        return ids[0] if ids else ""

    for _ in range(50):  # wait until the click selected a cell
        if selected():
            break
        pg.wait_for_timeout(100)
    for key, n in (("ArrowRight", col), ("ArrowDown", row)):
        for _ in range(n):
            before = selected()
            pg.keyboard.press(key)
            for _ in range(20):
                if selected() != before:
                    break
                pg.wait_for_timeout(50)
    assert selected() == f"glide-cell-{col}-{row}", selected()
    pg.keyboard.press("Enter")  # open the cell editor (an input in the grid's overlay portal)
    editor = pg.locator("#portal input, #portal textarea").first
    editor.wait_for(timeout=5000)
    editor.fill(value)
    editor.press("Enter")


def short_run(pg, days: str = "10", warmup: str = "2", reps: str = "2") -> None:
    """A short run length in the form of the page shown (the app defaults to the plan's 60 days x 5)."""
    for name, value in (("Simulated days", days), ("Warm-up days", warmup), ("Replications", reps)):
        box = pg.get_by_role("spinbutton", name=name, exact=True)
        box.fill(value)
        box.press("Tab")


def test_line_station_edit_and_simulation(page):
    goto(page, "Line", "Line")
    grid = page.locator('[data-testid="stExpander"] [data-testid="stDataFrame"]').first
    grid.wait_for()
    # a second prelithiation press (row 11 of the pilot line; column 2 is Machines)
    edit_grid_cell(page, grid, 2, 11, "2")
    page.get_by_text("stations.prelithiation_press.machines").wait_for(timeout=20000)
    idle(page)
    short_run(page)
    page.get_by_role("button", name="Run simulation").click()
    page.get_by_text(re.compile(r"^Bottleneck: ")).wait_for(timeout=60000)
    idle(page)
    assert metric(page, "Yield (RTY)").endswith("%")
    page.locator('[data-testid="stVegaLiteChart"]').nth(1).wait_for()
    no_exceptions(page)
    shot(page, "3-line")


def test_cost_page_bom_download(page, tmp_path):
    goto(page, "Cost and BOM", "Cost and BOM")
    if page.get_by_text("Not available yet").count():
        shot(page, "4-cost")
        pytest.skip("pouchline.cost is not installed yet")
    btn = page.get_by_role("button", name=re.compile("Download BOM"))
    btn.wait_for(timeout=30000)
    idle(page)
    no_exceptions(page)
    shot(page, "4-cost")
    with page.expect_download(timeout=60000) as dl:
        btn.click()
    target = tmp_path / "bom.xlsx"
    dl.value.save_as(target)
    assert dl.value.suggested_filename.endswith(".xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(target, read_only=True)
    assert len(wb.sheetnames) >= 1
    cells = [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    text = " ".join(cells)
    assert "MR-INSNBI-LCO-POUCH" in text or "lco" in text.lower(), "the BOM names neither the recipe nor LCO"
    assert len(cells) > 20


def test_traveler_pdf(page, tmp_path):
    goto(page, "Traveler", "Traveler")
    if page.get_by_text("Not available yet").count():
        shot(page, "5-traveler")
        pytest.skip("pouchline.export.traveler is not installed yet")
    btn = page.get_by_role("button", name=re.compile("Download traveler PDF"))
    btn.wait_for()
    no_exceptions(page)
    shot(page, "5-traveler")
    with page.expect_download(timeout=60000) as dl:
        btn.click()
    target = tmp_path / "traveler.pdf"
    dl.value.save_as(target)
    assert target.read_bytes()[:5] == b"%PDF-"


def test_sweeps_page(page):
    goto(page, "Sweeps", "Sweeps")
    if page.get_by_text("Not available yet").count() or page.get_by_text("No sweep files").count():
        shot(page, "6-sweeps")
        pytest.skip("no sweep module or no sweep file yet")
    limit = page.get_by_role("spinbutton", name="Scenarios to run (spread over the design)")
    limit.fill("8")
    limit.press("Tab")
    page.get_by_text("local process pool").click()  # worker processes started from the Streamlit server
    page.get_by_role("button", name="Run sweep").click()
    page.get_by_text("Scenarios run", exact=True).wait_for(timeout=60000)
    idle(page)
    no_exceptions(page)
    assert metric(page, "Scenarios run") == "8"
    assert metric(page, "Failed") == "0"
    shot(page, "6-sweeps")


def test_plan_zip_download(page, tmp_path):
    import zipfile

    goto(page, "Plan", "Plan")
    short_run(page, "3", "1", "2")
    page.get_by_role("button", name="Make the plan").click()
    btn = page.get_by_role("button", name=re.compile("Download the whole plan"))
    btn.wait_for(timeout=120000)
    idle(page)
    page.locator('[data-testid="stImage"]').first.wait_for(timeout=30000)
    no_exceptions(page)
    shot(page, "7-plan")
    with page.expect_download(timeout=60000) as dl:
        btn.click()
    target = tmp_path / "plan.zip"
    dl.value.save_as(target)
    names = set(zipfile.ZipFile(target).namelist())
    assert {"plan/README.md", "plan/summary.json", "plan/bom.xlsx"} <= names, sorted(names)
    assert any(n.startswith("plan/charts/") for n in names)


def test_compare_view(page):
    goto(page, "Compare", "Compare")
    short_run(page, "3", "1", "2")
    page.get_by_role("button", name="Compare").click()
    page.get_by_text("Scenario A: output").wait_for(timeout=120000)
    idle(page)
    no_exceptions(page)
    table = page.locator('[data-testid="stTable"]').first.inner_text()
    assert "pilot-line" in table and "gwh-line" in table
    shot(page, "8-compare")
    # the favicon: a ":material/...:" page icon makes Streamlit point it at fonts.gstatic.com, which
    # the browser fetches outside the page's request log; an emoji icon is a data: URL
    icons = page.evaluate("() => [...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
    assert icons and all(h.startswith(("data:", "http://127.0.0.1")) for h in icons), icons
