"""The HTML catalog in a real browser (Debian's headless Chromium): pages render, every link
resolves, no console errors; a screenshot of the index is kept as an artifact."""
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from click.testing import CliRunner

from translator.cli import main

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("RULEC_ARTIFACTS", ROOT / "artifacts"))
# Flags this machine needs: no sandbox as root, no background network (closed network).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]

pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="Chromium not installed (CI installs Debian's chromium)")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("href", "src") and v:
                self.hrefs.append(v)


def chromium(tmp, *args):
    profile = tmp / "profile"
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)
    return proc


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    res = CliRunner().invoke(main, ["doc", str(ROOT / "rules"), "--format", "html", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


@pytest.mark.parametrize("page", ["index.html", "AWS.EC2.SecurityGroupModified.html"])
def test_page_renders_without_console_errors_and_links_resolve(site, tmp_path, page):
    assert CHROMIUM, "chromium is required in CI"
    proc = chromium(tmp_path, "--dump-dom", (site / page).as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert "<h1>" in dom and "</html>" in dom
    console = [l for l in proc.stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]
    assert console == [], console
    parser = Links()
    parser.feed(dom)
    assert parser.hrefs
    for href in parser.hrefs:
        url = urlparse(href)
        assert url.scheme in ("", "file"), f"{page}: external link {href}"
        target = (site / unquote(url.path)).resolve() if not url.scheme else Path(unquote(url.path))
        assert target.exists(), f"{page}: broken link {href}"


def test_index_screenshot(site, tmp_path):
    assert CHROMIUM, "chromium is required in CI"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "doc-index.png"
    proc = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,1600",
                    (site / "index.html").as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank image
    assert re.search(rb"IHDR", shot.read_bytes()[:32])
