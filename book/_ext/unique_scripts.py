"""Sphinx extension: keep sphinx-thebe's inline configuration script off the pages.

Thebe is off in this book (``launch_buttons.thebe: false``), yet sphinx-thebe registers its inline
``const THEBE_JS_URL = ...`` script once per environment read, so pages carried it twice and the browser
reported "Identifier 'THEBE_JS_URL' has already been declared". Removing its listener keeps every page free of
JavaScript errors (the browser test checks this).
"""
from __future__ import annotations


def _drop_thebe_listener(app) -> None:
    for event, listeners in list(app.events.listeners.items()):
        for listener in list(listeners):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)


def setup(app):
    app.connect("builder-inited", _drop_thebe_listener)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
