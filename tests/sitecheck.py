"""Look at the HTML pages in headless Chromium: screenshots at desktop and phone widths,
and measurements of the laid-out page (``make site-check``; ``tests/test_site.py``).

A page is measured by loading a copy of it, in its own folder (so its relative images
resolve), with a short script appended that writes the measurements into the DOM;
``chromium --headless --dump-dom`` prints the DOM after the load event and the
measurements are read back. The copy is removed afterwards. Checks:

- at every width the page does not scroll sideways (``document.documentElement.scrollWidth``
  is at most the viewport's width), and no element but those inside a box that scrolls
  on its own reaches past the viewport's right edge;
- at phone width every figure image spans at least 85% of the text column (no thumbnails);
- at desktop width no table of the landing page is wider than its box (nothing clipped).

Usage: ``python tests/sitecheck.py REPORTS_DIR OUT_DIR`` (exit 1 on a failed check).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

WIDTHS = {"desktop": 1280, "phone": 390}
HEIGHT = {"desktop": 900, "phone": 844}
PAGES = ("index.html", "manuscript.html")

MEASURE = """
<script>
window.addEventListener('load', function () {
  var vw = window.innerWidth, de = document.documentElement;
  function scrollsOwn(el) {
    for (var p = el.parentElement; p; p = p.parentElement) {
      var s = getComputedStyle(p);
      var own = s.overflowX === 'auto' || s.overflowX === 'scroll' || s.overflowX === 'hidden';
      if (own && p !== de && p !== document.body) return true;
    }
    return false;
  }
  function name(el) {
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (typeof el.className === 'string' && el.className ? '.' + el.className.split(' ').join('.') : '');
  }
  var past = [];
  document.querySelectorAll('body *').forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > vw + 1 && !scrollsOwn(el)) past.push(name(el) + ' right=' + Math.round(r.right));
  });
  var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {  // text that spills out of its box
    var range = document.createRange();
    range.selectNodeContents(walker.currentNode);
    var b = range.getBoundingClientRect();
    if (b.width > 0 && b.right > vw + 1 && !scrollsOwn(walker.currentNode))
      past.push('text "' + walker.currentNode.textContent.trim().slice(0, 40) + '" right=' + Math.round(b.right));
  }
  var main = document.querySelector('main') || document.body;
  var ms = getComputedStyle(main);
  var column = main.clientWidth - parseFloat(ms.paddingLeft) - parseFloat(ms.paddingRight);
  var narrow = [];
  document.querySelectorAll('figure img, p > img').forEach(function (img) {
    var w = img.getBoundingClientRect().width;
    var label = (img.getAttribute('alt') || img.getAttribute('src') || '').slice(0, 60);
    if (w < 0.85 * column) narrow.push(label + ' ' + Math.round(w) + 'px');
  });
  var clipped = [];
  document.querySelectorAll('table').forEach(function (t) {
    var box = t.parentElement.classList.contains('table-scroll') ? t.parentElement : t;
    if (box.scrollWidth > box.clientWidth + 1)
      clipped.push(name(t) + ' ' + (t.querySelector('caption, th') || t).textContent.trim().slice(0, 40) +
                   ' ' + box.scrollWidth + '>' + box.clientWidth);
  });
  var out = {viewport: vw, scrollWidth: de.scrollWidth, height: de.scrollHeight,
             past: past.slice(0, 12), pastCount: past.length, column: Math.round(column),
             narrowFigures: narrow, tablesWiderThanBox: clipped};
  parent.postMessage(JSON.stringify(out), '*');
});
</script>
"""


def chromium() -> str | None:
    """The headless browser's command, if one is installed."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(browser: str, args: list[str], timeout: int = 120) -> subprocess.CompletedProcess:
    base = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-extensions",
        "--allow-file-access-from-files",
        "--force-device-scale-factor=1",
    ]
    return subprocess.run([*base, *args], capture_output=True, text=True, timeout=timeout, check=False)


HOST = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>html,body{{margin:0;padding:0;background:#fff}}
iframe{{display:block;border:0;width:{width}px;height:{height}px;margin-top:-{offset}px}}</style></head><body>
<iframe src="{src}" scrolling="no"></iframe>
<script>window.addEventListener('message', function (e) {{
  var pre = document.createElement('pre'); pre.id = 'site-check-result'; pre.textContent = e.data;
  document.body.appendChild(pre); }});</script></body></html>
"""


def _probe(page: Path, width: int, height: int, measure_it: bool, offset: int = 0) -> tuple[Path, Path]:
    """A copy of ``page`` (every image loaded eagerly, the measuring script appended when
    ``measure_it``) inside a host page that shows it in a frame ``width`` px wide.

    Headless Chromium will not make its window narrower than 500 px, so a phone's
    viewport is a frame of the phone's width: its media queries, layout and scroll
    width are those of a 390 px screen. Both files sit beside the page, so its relative
    links resolve; the caller removes them."""
    text = re.sub(r'\sloading="lazy"', "", page.read_text(encoding="utf-8"))
    if measure_it:
        text = text.replace("</body>", MEASURE + "</body>")
    probe = page.with_name(f".site-check-{width}-{page.name}")
    probe.write_text(text, encoding="utf-8")
    host = page.with_name(f".site-check-host-{width}-{page.name}")
    host.write_text(HOST.format(width=width, height=height, offset=offset, src=probe.name), encoding="utf-8")
    return probe, host


def measure(browser: str, page: Path, width: int, height: int = 900) -> dict:
    """Measurements of ``page`` laid out in a viewport ``width`` CSS pixels wide."""
    import html

    probe, host = _probe(page, width, height, measure_it=True)
    try:
        run = _run(
            browser,
            [
                f"--window-size={max(width, 500) + 20},{height}",
                "--virtual-time-budget=10000",
                "--dump-dom",
                host.as_uri(),
            ],
        )
    finally:
        probe.unlink(missing_ok=True)
        host.unlink(missing_ok=True)
    found = re.search(r'<pre id="site-check-result">(.*?)</pre>', run.stdout, flags=re.S)
    if not found:
        raise RuntimeError(f"{page.name} at {width}px: no measurement from the browser\n{run.stderr[-2000:]}")
    return json.loads(html.unescape(found.group(1)))


SEGMENT = 6000  # px: a long page is photographed in parts of this height


def screenshot(browser: str, page: Path, out: Path, width: int, height: int) -> list[Path]:
    """Screenshots of the whole of ``page`` (``height`` px long) at ``width`` px, in parts
    of at most :data:`SEGMENT` px (``out``, then ``out-2``, ...), cropped to the viewport."""
    from PIL import Image

    out.parent.mkdir(parents=True, exist_ok=True)
    shots = []
    for part, offset in enumerate(range(0, max(height, 1), SEGMENT), start=1):
        tall = min(SEGMENT, height - offset)
        target = out if part == 1 else out.with_name(f"{out.stem}-{part}{out.suffix}")
        probe, host = _probe(page, width, height, measure_it=False, offset=offset)
        try:
            run = _run(
                browser,
                [
                    f"--window-size={max(width, 500) + 20},{tall}",
                    "--virtual-time-budget=10000",
                    f"--screenshot={target}",
                    host.as_uri(),
                ],
            )
        finally:
            probe.unlink(missing_ok=True)
            host.unlink(missing_ok=True)
        if not target.is_file():
            raise RuntimeError(f"{page.name} at {width}px: no screenshot\n{run.stderr[-2000:]}")
        with Image.open(target) as image:
            image.crop((0, 0, width, min(tall, image.height))).save(target)
        shots.append(target)
    return shots


def problems(name: str, kind: str, m: dict) -> list[str]:
    """What fails in one page's measurements at one width."""
    found = []
    if m["scrollWidth"] > m["viewport"]:
        found.append(f"{name} at {kind}: the page scrolls sideways ({m['scrollWidth']} > {m['viewport']} px)")
    if m["pastCount"]:
        found.append(f"{name} at {kind}: {m['pastCount']} element(s) reach past the right edge: {m['past']}")
    if kind == "phone" and m["narrowFigures"]:
        found.append(f"{name} at {kind}: figures narrower than the column: {m['narrowFigures']}")
    if kind == "desktop" and name == "index.html" and m["tablesWiderThanBox"]:
        found.append(f"{name} at {kind}: tables wider than their box: {m['tablesWiderThanBox']}")
    return found


def check(reports: Path, out: Path, browser: str | None = None, shots: bool = True) -> tuple[list[str], dict]:
    """Screenshots (when ``shots``) and measurements of every page of :data:`PAGES` that
    exists, at both widths. Returns the problems and the measurements."""
    browser = browser or chromium()
    if not browser:
        raise RuntimeError("no headless Chromium found (Debian: apt-get install -y chromium)")
    found, measured = [], {}
    for name in PAGES:
        page = reports / name
        if not page.is_file():
            continue
        for kind, width in WIDTHS.items():
            m = measure(browser, page, width, HEIGHT[kind])
            measured[f"{name}@{width}"] = m
            found += problems(name, kind, m)
            if shots:
                # a tall window shows the whole page; chromium caps a screenshot's height
                for old in out.glob(f"{Path(name).stem}-{width}*.png"):
                    old.unlink()
                screenshot(browser, page, out / f"{Path(name).stem}-{width}.png", width, int(m.get("height") or 900))
    return found, measured


def check_pages_at_phone(reports: Path, browser: str | None = None) -> tuple[list[str], dict]:
    """Every other page (reports/site/, the notebooks) measured at phone width only."""
    browser = browser or chromium()
    found, measured = [], {}
    pages = [*sorted((reports / "site").rglob("*.html")), *sorted((reports / "notebooks").glob("*.html"))]
    for page in pages:
        name = page.relative_to(reports).as_posix()
        m = measure(browser, page, WIDTHS["phone"], HEIGHT["phone"])
        measured[f"{name}@{WIDTHS['phone']}"] = m
        found += [p for p in problems(name, "phone", m) if "figures narrower" not in p]
    return found, measured


def main(argv: list[str]) -> int:
    reports = Path(argv[0] if argv else "reports").resolve()
    out = Path(argv[1] if len(argv) > 1 else "site-check").resolve()
    out.mkdir(parents=True, exist_ok=True)
    try:
        found, measured = check(reports, out)
        more_found, more = check_pages_at_phone(reports)
        found += more_found
        measured |= more
    except RuntimeError as err:
        print(f"site-check: {err}", file=sys.stderr)
        return 2
    (out / "measurements.json").write_text(json.dumps(measured, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for key, m in sorted(measured.items()):
        if not key.startswith(PAGES):
            continue
        print(f"{key}: viewport {m['viewport']} px, page {m['scrollWidth']} px wide, column {m['column']} px")
    print(f"{len(measured)} page layouts measured; screenshots and measurements.json in {out}")
    for problem in found:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
