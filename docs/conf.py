"""Sphinx configuration: ``sphinx-build -W -b html docs docs/_build/html``."""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)  # document the working tree, installed or not
sys.path.insert(0, os.path.join(HERE, "_ext"))

with open(os.path.join(ROOT, "telegrambot", "__init__.py"), encoding="utf-8") as f:
    release = re.search(r'^__version__ = "([^"]+)"', f.read(), re.M).group(1)

project = "telegrambot"
author = "the telegrambot authors"
copyright = "the telegrambot authors"
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "myst_parser",
    "apiref",  # docs/_ext/apiref.py: the method reference, generated from the code
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}

html_theme = "furo"  # readable column, search box, light and dark modes
html_title = "telegrambot %s" % release
html_static_path = ["_static"]
html_css_files = ["telegrambot.css"]


# -- generated tables ------------------------------------------------------------------------

from docutils import nodes  # noqa: E402
from docutils.statemachine import StringList  # noqa: E402
from sphinx.util.docutils import SphinxDirective  # noqa: E402

API_DOCS = "https://core.telegram.org/bots/api#"


class _Table(SphinxDirective):
    """A list-table built from the library's own data, so the docs cannot drift from it."""

    header: tuple = ()
    widths = ""

    def rows(self):
        raise NotImplementedError

    def run(self):
        lines = [".. list-table::", "   :header-rows: 1", "   :widths: " + self.widths,
                 "   :class: telegrambot-generated", ""]
        for row in [self.header] + list(self.rows()):
            lines.append("   * - " + row[0])
            lines.extend("     - " + cell for cell in row[1:])
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="generated"), self.content_offset, container)
        return container.children


class MethodsTable(_Table):
    """``.. telegrambot-methods::``: every Bot API method, linked to its entry below."""

    header = ("method", "snake_case alias", "returns")
    widths = "36 36 28"

    def rows(self):
        from telegrambot._methods import METHODS

        for name in sorted(METHODS, key=str.lower):
            info = METHODS[name]
            alias = "``%s``" % info.alias if info.alias != name else "(same)"
            yield (":meth:`~telegrambot.bot.Bot.%s`" % name, alias, " or ".join(info.returns))


class TypesTable(_Table):
    """``.. telegrambot-types::``: every Bot API type defined in telegrambot.namedtuple."""

    header = ("type", "fields")
    widths = "25 75"

    def rows(self):
        import telegrambot.namedtuple as nt

        for name in sorted(nt.__all__):
            cls = getattr(nt, name)
            if cls.__name__ != name:  # a name the Bot API gave the type before
                yield (name, "the old name of ``%s``" % cls.__name__)
                continue
            if hasattr(cls, "subtypes"):
                described = "one of: " + ", ".join(cls.subtypes)
            else:
                # a trailing underscore (``from_``) would make a reference in reST
                described = ", ".join(f.replace("_", r"\_") for f in cls._fields) or "(no fields)"
            yield ("`%s <%s%s>`__" % (name, API_DOCS, name.lower()), described)


def setup(app):
    app.add_directive("telegrambot-methods", MethodsTable)
    app.add_directive("telegrambot-types", TypesTable)
    app.connect("autodoc-skip-member", _skip_class_slots)


def _skip_class_slots(app, what, name, obj, skip, options):
    """A mixin's class attribute naming the class it uses (``AnswererMixin.Answerer``, there
    to be replaced in a subclass) is documented where that class is, not again inside the
    mixin."""
    if what == "class" and isinstance(obj, type) and obj.__name__ == name \
            and "." not in obj.__qualname__:
        return True
    return None
