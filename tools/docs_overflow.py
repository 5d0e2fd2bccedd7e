"""Report the tables of the built docs that are wider than the text column.

    sphinx-build -b html docs /tmp/docs && python tools/docs_overflow.py /tmp/docs 1280 600 400

Loads every page in headless Chromium (``apt-get install chromium``; not needed by CI) at
each window width and prints, per page, the tables that stick out of the content column or
scroll inside their box. Exits 1 if any does.
"""

import glob
import os
import re
import subprocess
import sys

PROBE = """<script>
window.addEventListener('load', function () {
  var bad = [];
  var content = document.querySelector('div.content') || document.querySelector('div.body')
      || document.body;
  var right = content.getBoundingClientRect().right;
  document.querySelectorAll('table.docutils').forEach(function (t, i) {
    var box = t.parentElement.closest('.table-wrapper') || t.parentElement;
    if (t.getBoundingClientRect().right > right + 1 || box.scrollWidth > box.clientWidth + 1) {
      bad.push('table' + i + ':' + Math.round(t.getBoundingClientRect().right) + '>' +
               Math.round(right));
    }
  });
  document.body.setAttribute('data-overflow', bad.length + ' ' + bad.join(' '));
});
</script>"""
SKIP = ("genindex.html", "search.html", "py-modindex.html")


def check(root: str, width: str) -> int:
    wide = 0
    for page in sorted(glob.glob(os.path.join(root, "**", "*.html"), recursive=True)):
        if "_modules" in page or page.endswith(SKIP):
            continue
        with open(page, encoding="utf-8") as f:
            text = f.read()
        if "<table" not in text:
            continue
        probe = page[:-5] + "-probe.html"
        with open(probe, "w", encoding="utf-8") as f:
            f.write(text.replace("</body>", PROBE + "</body>"))
        try:
            out = subprocess.run(
                ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                 "--virtual-time-budget=3000", "--window-size=%s,1200" % width, "--dump-dom",
                 "file://" + probe], capture_output=True, text=True, timeout=120).stdout
        finally:
            os.remove(probe)
        found = re.search(r'data-overflow="(\d+)([^"]*)"', out)
        if found is None:
            print("%s: no result" % os.path.relpath(page, root))
            wide += 1
        elif found.group(1) != "0":
            print("width %s: %s: %s" % (width, os.path.relpath(page, root), found.group(2).strip()))
            wide += int(found.group(1))
    return wide


def main(argv: list) -> int:
    root, widths = argv[0], argv[1:] or ["1280"]
    wide = sum(check(root, width) for width in widths)
    print("%d table(s) wider than the column" % wide)
    return 1 if wide else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
