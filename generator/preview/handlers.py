"""The preview's HTTP side: one tornado handler per kind of request.

Every request passes the Host check first (:class:`Application`, against DNS rebinding);
then ``/__bookgen__/`` (overlay stylesheet, reload plugin, status), ``/api/v1/`` and ``/sandbox/`` (the
booking path on loopback), and the pages of the preview folder, decorated by
:func:`generator.preview.overlay.decorate`.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tornado import web

from ..sandbox import MAX_BODY_BYTES
from .overlay import ERROR_PAGE, NOT_FOUND_PAGE, OVERLAY_CSS, printable

if TYPE_CHECKING:
    from .server import PreviewServer

__all__ = ["Application", "pages_route", "routes"]

# ``stem.<10 hex of sha256>.ext`` (generator.plan.urls.hashed_path): the name changes with the
# content, so the browser may keep it; a reload then fetches only the page (issue 20).
_CONTENT_HASHED = re.compile(r"\.[0-9a-f]{10}\.[A-Za-z0-9]+$")
IMMUTABLE = "public, max-age=31536000, immutable"


class _WrongHost(web.RequestHandler):
    """The answer to a request whose Host header is not this preview's (DNS rebinding)."""

    def initialize(self, server: PreviewServer) -> None:
        self.server = server

    def prepare(self) -> None:
        self.set_status(403)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(f"This preview only answers at {self.server.url} (the Host header names another site).\n")


class Application(web.Application):
    """Routes every request, whatever its path or method, through the Host check first."""

    def __init__(self, server: PreviewServer, handlers: list[Any]) -> None:
        super().__init__(handlers)
        self.preview_server = server

    def find_handler(self, request: Any, **kwargs: Any) -> web._HandlerDelegate:
        allowed = self.preview_server.allowed_hosts
        if allowed is not None and request.host.lower() not in allowed:
            return self.get_handler_delegate(request, _WrongHost, {"server": self.preview_server})
        return super().find_handler(request, **kwargs)


class _OverlayCSS(web.RequestHandler):
    """The error overlay's stylesheet (served, not inline: the pages' CSP has no 'unsafe-inline')."""

    def get(self) -> None:
        self.set_header("Content-Type", "text/css; charset=utf-8")
        self.write(OVERLAY_CSS)

    head = get


class _Client(web.RequestHandler):
    """The preview's LiveReload plugin (``client.js``: stylesheets swapped in place, typed
    fields kept across a reload); served, never published by a build."""

    SOURCE = (Path(__file__).parent / "client.js").read_bytes()

    def get(self) -> None:
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")  # revalidated (ETag → 304) at each reload
        self.write(self.SOURCE)

    head = get


class _Status(web.RequestHandler):
    """Machine-readable state of the preview (tests and editors can poll it)."""

    def initialize(self, server: PreviewServer) -> None:
        self.server = server

    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        problems = [printable(str(p)) for p in self.server.preview.problems]
        self.write({"generation": self.server.generation, "problems": problems})

    head = get


@web.stream_request_body
class _ApiProxy(web.RequestHandler):
    """``/api/v1/*`` → the gateway app → the sandbox app (``generator.gateway.preview``): the
    production booking path on loopback. ``/sandbox/*`` (confirmation links) → the sandbox.

    The body is read as it arrives and never past :data:`MAX_BODY_BYTES` (the sandbox's own
    bound; the gateway's is lower still): a larger declared ``Content-Length`` gets the
    gateway's JSON 413 before anything is read, and a chunked body that runs past it ends the
    connection (Tornado's per-request limit), so the preview's memory stays bounded
    (tornado's default would buffer 100 MB first).

    ``HEAD`` goes on as ``HEAD`` (the gateway answers it as the path's GET, the sandbox
    refuses it where its GET changes state) and comes back with the GET's ``Content-Length``
    and no body. No ``ETag`` (the gateway sends none, and tornado's would be computed from
    the empty body of a ``HEAD``).
    """

    def initialize(self, server: PreviewServer) -> None:
        self.server = server
        self.body = bytearray()

    def prepare(self) -> None:
        assert self.request.connection is not None
        self.request.connection.set_max_body_size(MAX_BODY_BYTES)  # type: ignore[attr-defined]
        declared = self.request.headers.get("Content-Length", "0")
        if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
            self.set_status(413)
            self.set_header("Cache-Control", "no-store")
            self.finish({"error": {"code": "body_too_large", "message": f"the body is over {MAX_BODY_BYTES} bytes"}})

    def data_received(self, chunk: bytes) -> None:
        self.body += chunk

    async def _handle(self, path: str) -> None:
        chain = self.server.chain
        if chain is None:
            self.set_status(500)
            self.set_header("Cache-Control", "no-store")
            self.finish({"error": {"code": "unavailable", "message": "the site has errors; fix them first"}})
            return
        request = self.request
        status, headers, body = await chain.forward(request.method or "GET", request.path, request.query,
                                                    dict(request.headers.get_all()), bytes(self.body))  # fmt: skip
        self.set_status(status)
        self.clear_header("Content-Type")
        for name, value in headers:
            self.add_header(name, value)
        self.finish(body)

    def compute_etag(self) -> str | None:
        return None

    get = head = post = put = delete = options = _handle


class _Pages(web.RequestHandler):
    """Static files from the preview folder only; HTML gets the reload script and error overlay."""

    def initialize(self, server: PreviewServer) -> None:
        self.server = server

    def _target(self, path: str) -> Path | None:
        """The file or folder of the preview folder that ``path`` names, or ``None``.

        Tornado has already percent-decoded the path once; anything still looking like
        traversal, a backslash or a NUL is refused outright, and a name the file system
        cannot look up (a segment over 255 bytes: ENAMETOOLONG) is simply not there.
        """
        if path.startswith("/") or "\\" in path or "\x00" in path or ".." in path.split("/"):
            return None
        try:
            root = self.server.out.resolve()
            target = (root / path).resolve()
            if not target.is_relative_to(root) or not (target.is_dir() or target.is_file()):
                return None
        except (OSError, ValueError):
            return None
        return target

    def get(self, path: str) -> None:
        self.set_header("Cache-Control", "no-store")
        if self.server.preview.site is None:
            self._send_html(ERROR_PAGE)
            return
        target = self._target(path)
        if target is not None and target.is_dir():
            if path and not path.endswith("/"):  # only after the traversal check (review D15)
                self.redirect(f"/{path}/")
                return
            target = target / "index.html"
        try:
            data = target.read_bytes() if target is not None else None
        except OSError:  # removed by a rebuild since the check, or not a file after all
            data = None
        if target is None or data is None:
            self.set_status(404)
            self._send_html(NOT_FOUND_PAGE)
            return
        if target.suffix == ".html":
            self._send_html(data.decode("utf-8"))
            return
        kind, _ = mimetypes.guess_type(target.name)
        self.set_header("Content-Type", kind or "application/octet-stream")
        if _CONTENT_HASHED.search(target.name):
            self.set_header("Cache-Control", IMMUTABLE)
        # Embeds load the loader cross-origin with an SRI hash, which needs a CORS response.
        self.set_header("Access-Control-Allow-Origin", "*")
        self.finish(data)

    head = get  # tornado sends the headers (Content-Length included) and drops the body

    def _send_html(self, page: str) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(self.server.decorate(page))


def routes(server: PreviewServer) -> list[Any]:
    """The preview's own routes, in order; the pages route (last) answers every other path."""
    return [
        (r"/__bookgen__/overlay\.css", _OverlayCSS),
        (r"/__bookgen__/preview\.js", _Client),
        (r"/__bookgen__/status", _Status, {"server": server}),
        (r"/(?:api/v1|sandbox)/(.*)", _ApiProxy, {"server": server}),
    ]


def pages_route(server: PreviewServer) -> tuple[str, type[web.RequestHandler], dict[str, Any]]:
    """Static files of the preview folder, for every path the other routes leave."""
    return (r"/(.*)", _Pages, {"server": server})
