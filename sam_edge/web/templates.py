"""The server-rendered pages' templates and the small helpers that fill them."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi.responses import HTMLResponse

if TYPE_CHECKING:
    from jinja2 import Environment


@functools.cache
def templates() -> Environment:
    """Jinja2, loaded when a page is first served."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                       autoescape=select_autoescape(["html"]))


def render(name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(templates().get_template(name).render(**context), status_code=status)


def login_page(next_path: str, error: str, *, tries_left: int | None = None) -> str:
    """The pairing-code form; ``next_path`` must already be one of the safe places.

    ``tries_left``: wrong codes this browser may still enter before it has to pause."""
    return templates().get_template("login.html").render(next=next_path, error=error,
                                                         tries_left=tries_left)


def result_page(title: str, message: str, *, ok: bool, status: int = 200) -> HTMLResponse:
    return render("pair_result.html", status=status, title=title, message=message, ok=ok)
