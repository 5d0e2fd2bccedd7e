"""The README's links lead somewhere, and the Python versions it names are those the
package declares and CI runs."""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def test_local_links_exist():
    readme = read("README.md")
    targets = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", readme)
    assert len(targets) >= 8
    for target in targets:
        assert os.path.exists(os.path.join(ROOT, target)), target
    anchors = re.findall(r"\]\(#([^)]+)\)", readme)
    headings = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
                for h in re.findall(r"^#+ (.+)$", readme, re.M)}
    assert anchors and set(anchors) <= headings


def test_python_versions_agree():
    badge = re.search(r"badge/python-([0-9.%A-F]+)-", read("README.md")).group(1)
    badge_versions = badge.replace("%20%7C%20", " ").split()
    setup = read("setup.py")
    classifiers = re.findall(r"Programming Language :: Python :: (3\.\d+)", setup)
    assert badge_versions == classifiers
    assert 'python_requires=">=%s"' % classifiers[0] in setup
    ci = re.search(r"EXTRA_PYTHONS=\(([^)]*)\)", read(".ci/run")).group(1).split()
    assert ci == [classifiers[0], classifiers[-1]]  # CI runs the oldest and the newest
