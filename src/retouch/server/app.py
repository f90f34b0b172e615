"""The HTTP API and the page: FastAPI routes over the public Python API.

The routes hold no image logic: they check what clients send, hand the work
to :mod:`retouch` on a worker thread (:mod:`retouch.server.jobs`), and keep
images and history in the data directory (:mod:`retouch.server.storage`).

Contract relied on by external checks: ``POST /api/edit`` with multipart
fields ``image`` (a file) and ``instruction`` (text) answers 200 with JSON
holding ``plan`` (the Plan's dict) and ``image_url``; ``GET image_url`` gives
the edited image. A non-image upload answers 4xx with ``{"error": "..."}``.

Safety: what clients send is data, never code or paths. Plans are validated
against the op registry; ``mask:<path>`` regions and file-path params are
refused (masks are uploaded instead); image type is sniffed from content;
uploads and pixel counts are capped; ids are random. With a token, every
``/api/`` call and the page need ``Authorization: Bearer <token>`` or
``?token=<token>`` (the page's static code and the API docs stay public).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import math
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from retouch.errors import InputError, PlanError, RetouchError
from retouch.server.jobs import Job, Jobs
from retouch.server.storage import Store, StoredImage

log = logging.getLogger("retouch.server")

STATIC_DIR = Path(__file__).parent / "static"
DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_PIXELS = 50_000_000
# A request may carry an image and a mask, plus small form fields.
_FORM_OVERHEAD = 1 << 20
_PUBLIC_PREFIXES = ("/static/", "/docs", "/openapi.json", "/redoc")  # /docs also covers /docs-assets
_PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class ApiError(Exception):
    """An error with the HTTP status and the message the client gets."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_status(exc: BaseException) -> tuple[int, str]:
    """Map an exception to ``(HTTP status, message)``; internals are logged, not sent."""
    if isinstance(exc, ApiError):
        return exc.status, exc.message
    if isinstance(exc, PlanError):
        return 422, str(exc)
    if isinstance(exc, InputError):
        return 400, str(exc)
    if isinstance(exc, ImportError):
        return 501, f"not available in this installation ({exc})"
    if isinstance(exc, RetouchError | ValueError):
        return 400, str(exc)
    log.error("internal error", exc_info=exc)
    return 500, f"internal error ({type(exc).__name__}); the server log has the details"


def jsonable(data: Any) -> Any:
    """``data`` as JSON values: numpy scalars and arrays unwrapped, NaN and infinities as null.

    Examples
    --------
    >>> jsonable({"sigma": np.float32(2.5), "box": np.array([1, 2]), "bad": float("nan")})
    {'sigma': 2.5, 'box': [1, 2], 'bad': None}
    """
    if isinstance(data, dict):
        return {str(key): jsonable(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [jsonable(value) for value in data]
    if isinstance(data, np.ndarray | np.generic):
        return jsonable(data.tolist())
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if data is None or isinstance(data, str | int | bool):
        return data
    if isinstance(data, bytes):
        return f"<{len(data)} bytes>"
    return str(data)


class Service:
    """The work behind the routes, run on worker threads: public API calls plus storage."""

    def __init__(self, store: Store, max_pixels: int) -> None:
        self.store = store
        self.max_pixels = max_pixels

    def ingest(self, data: bytes, what: str = "image") -> StoredImage:
        """Check uploaded bytes decode as an image within the pixel cap, then store them as sent."""
        picture = self._decode(data, what)
        return self.store.add_bytes(data, picture.format, picture.width, picture.height)

    def decode_mask(self, data: bytes | None) -> Any:
        return None if data is None else self._decode(data, "mask")

    def image(self, image_id: str) -> StoredImage:
        stored = self.store.image(image_id)
        if stored is None:
            raise ApiError(404, f"no image with id {image_id!r}; upload it with POST /api/images")
        return stored

    def load(self, stored: StoredImage) -> Any:
        from retouch.io import load_image

        return load_image(self.store.image_path(stored), max_pixels=self.max_pixels)

    def plan(self, instruction: str, planner: str) -> Any:
        from retouch.planner import PLANNERS, plan

        if planner not in PLANNERS:
            raise ApiError(400, f"unknown planner {planner!r}; choose one of {', '.join(PLANNERS)}")
        steps = plan(instruction, planner=planner)
        check_client_plan(steps)
        return steps

    def run(
        self,
        stored: StoredImage,
        steps: Any,
        *,
        mask: Any,
        session: str | None,
        label: str,
        progress: Any,
    ) -> dict[str, Any]:
        """Run a plan on a stored image, store the output, record it in the session's history.

        The reply's ``plan`` is the plan as given (what ``retouch.plan`` returned for an
        instruction), ``executed`` the steps that ran.
        """
        from retouch.api import apply
        from retouch.ops.registry import ANALYSIS, get_spec

        result = apply(self.load(stored), steps, mask=mask, progress=progress, max_pixels=self.max_pixels)
        if session is None:
            session, entry = self.store.new_session(stored.id, "original")
        # Questions ("how many faces?") leave the pixels alone: answer them without a history entry.
        if all(get_spec(step.op).kind == ANALYSIS for step in steps.steps):
            output = stored
            entry = self.store.history(session)["current"]
        else:
            output = self.save(result, stored)
            entry = self.store.add_entry(session, output.id, label, steps.to_dict())
        return {
            "image_id": output.id,
            "image_url": image_url(output.id),
            "width": output.width,
            "height": output.height,
            "input_id": stored.id,
            "plan": steps.to_dict(),
            "lines": steps.describe(),
            # Macros expand and missing amounts get defaults: this is what actually ran.
            "executed": result.plan.to_dict(),
            "report": jsonable(result.report),
            "previews": _previews(result),
            "session": session,
            "entry": entry,
        }

    def save(self, result: Any, source: StoredImage) -> StoredImage:
        """Write an edit's output as a new stored file: JPEG stays JPEG, anything else is PNG."""
        picture = result.picture
        image_format = "JPEG" if source.media_type == "image/jpeg" and not picture.has_alpha else "PNG"
        temp = self.store.temp_path(".jpg" if image_format == "JPEG" else ".png")
        try:
            result.save(temp, quality=92)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return self.store.add_file(temp, image_format, picture.width, picture.height)

    def region_png(self, stored: StoredImage, region: str) -> bytes:
        """The soft mask of a named region as an 8-bit greyscale PNG."""
        from PIL import Image

        from retouch.regions import region_mask

        mask = region_mask(self.load(stored), region)
        buffer = io.BytesIO()
        Image.fromarray(np.round(mask * 255).astype(np.uint8)).save(buffer, format="PNG")
        return buffer.getvalue()

    def describe(self, stored: StoredImage, question: str | None) -> dict[str, Any]:
        import retouch

        try:
            describe = retouch.describe
        except AttributeError as exc:  # the understanding module is not in this installation
            raise ImportError(str(exc)) from None
        return jsonable(describe(self.load(stored), question=question or None))

    def _decode(self, data: bytes, what: str) -> Any:
        from retouch.io import load_image

        try:
            return load_image(data, max_pixels=self.max_pixels)
        except InputError as exc:
            # The loader names the source "image data"; the client knows it by the field it sent.
            raise InputError(str(exc).replace("image data", f"the uploaded {what}", 1)) from None


def check_client_plan(plan: Any) -> None:
    """Refuse steps that would make the server read a file: ``mask:<path>`` and path params."""
    from retouch.ops.registry import get_spec

    for number, step in enumerate(plan.steps, start=1):
        if step.region and ":" in step.region and step.region.split(":", 1)[0].strip().lower() == "mask":
            raise ApiError(
                400,
                f"step {number} ({step.op}): region {step.region!r} names a file on the server; "
                "upload the mask with the request and use region 'mask'",
            )
        for param in get_spec(step.op).params:
            if param.type == "path" and step.params.get(param.name) is not None:
                raise ApiError(
                    400,
                    f"step {number} ({step.op}): parameter {param.name!r} is a file path, "
                    "which the server does not accept from clients",
                )


def image_url(image_id: str) -> str:
    return f"/api/images/{image_id}"


def _previews(result: Any) -> list[dict[str, str]]:
    """Each step's small preview as a JPEG data URL, labelled with the op(s) it shows."""
    from PIL import Image

    labels = _preview_labels(result.report["steps"])
    if len(labels) != len(result.previews):
        labels = [f"step {i}" for i in range(1, len(result.previews) + 1)]
    previews = []
    for label, array in zip(labels, result.previews, strict=True):
        buffer = io.BytesIO()
        Image.fromarray(array).save(buffer, format="JPEG", quality=85)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        previews.append({"label": label, "url": f"data:image/jpeg;base64,{data}"})
    return previews


def _preview_labels(records: list[dict[str, Any]]) -> list[str]:
    # The engine adds one preview per pixel-changing group of fused steps; macros and
    # analysis steps add none themselves.
    from retouch.ops.registry import ANALYSIS, MACRO, get_spec

    changing = [r for r in records if get_spec(r["op"]).kind not in (MACRO, ANALYSIS)]
    labels, i = [], 0
    while i < len(changing):
        size = 1 + len(changing[i].get("fused_with", []))
        labels.append(" + ".join(r["op"] for r in changing[i : i + size]))
        i += size
    return labels


class _Guard:
    """ASGI middleware: the token check, the request-size cap, and security headers."""

    def __init__(self, app: ASGIApp, token: str | None, max_body: int) -> None:
        self.app = app
        self.token = token
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if self.token is not None and not self._authorised(request):
            await _error(
                401,
                "this server needs its token: send 'Authorization: Bearer <token>' "
                "or add ?token=<token> (printed when the server started)",
            )(scope, receive, send)
            return
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _error(413, _too_large(self.max_body))(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:
                raise HTTPException(413, _too_large(self.max_body))
            return message

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, counted_receive, send_with_headers)

    def _authorised(self, request: Request) -> bool:
        if request.url.path.startswith(_PUBLIC_PREFIXES):
            return True
        header = request.headers.get("authorization", "")
        offered = (
            header[7:] if header.lower().startswith("bearer ") else request.query_params.get("token", "")
        )
        return secrets.compare_digest(offered.encode(), self.token.encode())


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _too_large(limit: int) -> str:
    return f"request is larger than the {limit / 1e6:.3g} MB limit"


async def _read_upload(upload: UploadFile, limit: int, what: str) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, f"the uploaded {what} is larger than the {limit / 1e6:.3g} MB upload limit")
    if not data:
        raise ApiError(400, f"the uploaded {what} is empty (0 bytes)")
    return data


def _parse_plan(text: str) -> Any:
    from retouch.plans import Plan

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise ApiError(400, f"plan is not valid JSON: {exc.msg} at {where}") from None
    plan = Plan.from_dict(data)
    check_client_plan(plan)
    return plan


def _label(instruction: str | None, plan: Any) -> str:
    return instruction.strip() if instruction and instruction.strip() else "; ".join(plan.describe())


def _job_reply(job: Job) -> dict[str, Any]:
    return {
        "job": job.id,
        "status_url": f"/api/jobs/{job.id}",
        "events_url": f"/api/jobs/{job.id}/events",
    }


def create_app(
    data_dir: str | os.PathLike[str],
    token: str | None = None,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    workers: int | None = None,
    cors_origins: tuple[str, ...] = (),
    allowed_hosts: tuple[str, ...] | None = None,
) -> FastAPI:
    """Build the Retouch web application.

    Parameters
    ----------
    data_dir : path
        Where images and the SQLite database live (created if missing).
    token : str, optional
        When given, the page and every ``/api/`` call need it (Bearer header or ``?token=``).
    max_upload_bytes : int
        Largest accepted upload (image or mask), in bytes.
    max_pixels : int
        Largest accepted image, in pixels (checked before decoding).
    workers : int, optional
        Jobs running at once (default: the CPU count, at most 4); others queue.
    cors_origins : tuple of str
        Origins allowed to call the API from other sites; none by default.
    allowed_hosts : tuple of str, optional
        Accepted ``Host`` headers (guards a loopback server against DNS rebinding).

    Returns
    -------
    FastAPI
        The application; serve it with uvicorn.

    Examples
    --------
    >>> import tempfile
    >>> from fastapi.testclient import TestClient
    >>> with TestClient(create_app(tempfile.mkdtemp())) as client:
    ...     client.get("/api/ops").status_code
    200
    """
    store = Store(data_dir)
    service = Service(store, max_pixels)
    jobs = Jobs(workers or min(4, os.cpu_count() or 1), error_status)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        jobs.submit("warm-up", _warm_up)
        yield
        jobs.shutdown()
        store.close()

    # Swagger UI and ReDoc from a package, not a CDN, so /docs works offline.
    app = FastAPIOffline(
        static_url="/docs-assets",
        title="Retouch",
        summary="Restore, edit and understand images from plain-language instructions.",
        lifespan=lifespan,
    )
    app.state.store, app.state.jobs = store, jobs
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_headers=["authorization"])
    app.add_middleware(_Guard, token=token, max_body=2 * max_upload_bytes + _FORM_OVERHEAD)
    if allowed_hosts:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))

    @app.exception_handler(ApiError)
    @app.exception_handler(RetouchError)
    @app.exception_handler(ImportError)
    @app.exception_handler(ValueError)
    @app.exception_handler(Exception)
    async def known_error(request: Request, exc: Exception) -> JSONResponse:
        return _error(*error_status(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}" for e in exc.errors()
        ]
        return _error(422, "; ".join(problems))

    async def finished(job: Job) -> dict[str, Any]:
        await jobs.wait(job)
        if job.error is not None:
            raise ApiError(job.code or 500, job.error)
        assert job.result is not None
        return job.result

    def session_or_404(session: str | None) -> str | None:
        if session is not None and not store.has_session(session):
            raise ApiError(404, f"no session with id {session!r}")
        return session

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"content-security-policy": _PAGE_POLICY})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/api/ops", summary="The op catalogue and region names, for the step editor")
    async def ops() -> dict[str, Any]:
        from retouch.ops.registry import all_specs
        from retouch.regions import available_regions

        catalogue = [
            {
                "name": s.name,
                "family": s.family,
                "kind": s.kind,
                "description": s.description,
                "amount": None if s.amount is None else vars(s.amount),
                "params": [{k: v for k, v in vars(p).items() if v not in (None, (), "")} for p in s.params],
                "examples": list(s.examples),
                "regional": s.regional,
                "requires_region": s.requires_region,
            }
            for s in all_specs()
        ]
        try:
            from retouch.regions.color import COLOR_NAMES
        except ImportError:
            COLOR_NAMES = ()
        regions = [r for r in available_regions() if not r.endswith(":")]
        return {"ops": catalogue, "regions": regions, "colors": list(COLOR_NAMES)}

    @app.post("/api/plan", summary="Turn an instruction into a plan (422 when nothing maps)")
    async def make_plan(
        instruction: Annotated[str, Form(description="What to do, in plain words.")],
        planner: Annotated[str, Form(description="default (offline) or openai.")] = "default",
    ) -> dict[str, Any]:
        steps = await run_in_threadpool(service.plan, instruction, planner)
        return {
            "plan": steps.to_dict(),
            "lines": steps.describe(),
            "sources": [{"source": s.source, "confidence": s.confidence} for s in steps.steps],
        }

    @app.post("/api/images", status_code=201, summary="Upload an image; starts a session")
    async def upload(image: Annotated[UploadFile, File(description="The image file.")]) -> dict[str, Any]:
        data = await _read_upload(image, max_upload_bytes, "image")
        stored = await run_in_threadpool(service.ingest, data)
        session, entry = await run_in_threadpool(store.new_session, stored.id, "original")
        return {**stored.to_dict(), "url": image_url(stored.id), "session": session, "entry": entry}

    @app.get("/api/images/{image_id}", summary="The bytes of a stored image", response_class=Response)
    async def get_image(image_id: str, download: bool = False) -> FileResponse:
        stored = service.image(image_id)
        path = store.image_path(stored)
        return FileResponse(
            path,
            media_type=stored.media_type,
            filename=f"retouch-{stored.id[:8]}{path.suffix}" if download else None,
            headers={"cache-control": "private, max-age=31536000, immutable"},
        )

    @app.post("/api/edit", summary="Upload an image and an instruction; get the plan and the edited image")
    async def edit(
        image: Annotated[UploadFile, File(description="The image file.")],
        instruction: Annotated[str, Form(description="What to do, in plain words.")],
        mask: Annotated[
            UploadFile | None, File(description="Mask for region 'mask' (white = selected).")
        ] = None,
        planner: Annotated[str, Form()] = "default",
    ) -> dict[str, Any]:
        data = await _read_upload(image, max_upload_bytes, "image")
        mask_data = None if mask is None else await _read_upload(mask, max_upload_bytes, "mask")

        def work(progress: Any) -> dict[str, Any]:
            stored = service.ingest(data)
            steps = service.plan(instruction, planner)
            return service.run(
                stored, steps, mask=service.decode_mask(mask_data), session=None, label=instruction,
                progress=progress,
            )  # fmt: skip

        return await finished(jobs.submit("edit", work))

    @app.post("/api/run", status_code=202, summary="Run a plan on a stored image, as a job")
    async def run(
        image: Annotated[str, Form(description="Image id (from POST /api/images or a result).")],
        plan: Annotated[str, Form(description='The plan as JSON: {"steps": [...]}.')],
        mask: Annotated[UploadFile | None, File(description="Mask for region 'mask'.")] = None,
        session: Annotated[str | None, Form(description="Session whose history records the edit.")] = None,
        instruction: Annotated[str | None, Form(description="The words behind the plan (label).")] = None,
    ) -> dict[str, Any]:
        stored = service.image(image)
        steps = _parse_plan(plan)
        session = session_or_404(session)
        mask_data = None if mask is None else await _read_upload(mask, max_upload_bytes, "mask")

        def work(progress: Any) -> dict[str, Any]:
            return service.run(
                stored, steps, mask=service.decode_mask(mask_data), session=session,
                label=_label(instruction, steps), progress=progress,
            )  # fmt: skip

        return _job_reply(jobs.submit("run", work))

    @app.post("/api/inpaint", status_code=202, summary="Fill the masked part of a stored image, as a job")
    async def inpaint(
        image: Annotated[str, Form(description="Image id.")],
        mask: Annotated[UploadFile, File(description="Mask image: white = fill.")],
        session: Annotated[str | None, Form()] = None,
    ) -> dict[str, Any]:
        from retouch.ops.registry import get_spec
        from retouch.plans import Plan, Step

        stored = service.image(image)
        session = session_or_404(session)
        try:
            get_spec("inpaint")
        except KeyError:
            raise ApiError(501, "inpainting is not available in this installation") from None
        mask_data = await _read_upload(mask, max_upload_bytes, "mask")
        steps = Plan([Step("inpaint", region="mask")])

        def work(progress: Any) -> dict[str, Any]:
            return service.run(
                stored, steps, mask=service.decode_mask(mask_data), session=session, label="inpaint (brush)",
                progress=progress,
            )  # fmt: skip

        return _job_reply(jobs.submit("inpaint", work))

    @app.post("/api/describe", summary="Describe a stored image: facts, faces, text, a paragraph")
    async def describe(
        image: Annotated[str, Form(description="Image id.")],
        question: Annotated[str | None, Form(description="Optional question about the image.")] = None,
    ) -> dict[str, Any]:
        stored = service.image(image)
        return await finished(jobs.submit("describe", lambda progress: service.describe(stored, question)))

    @app.get("/api/mask", summary="Preview of a word region as a greyscale PNG", response_class=Response)
    async def region_preview(
        image: Annotated[str, Query(description="Image id.")],
        region: Annotated[str, Query(description="sky, faces, people, background, color:red, ...")],
    ) -> Response:
        stored = service.image(image)
        if region.split(":", 1)[0].strip().lower() == "mask":
            raise ApiError(400, "region 'mask' is the brush mask you paint; preview a named region instead")
        png = await run_in_threadpool(service.region_png, stored, region)
        return Response(png, media_type="image/png", headers={"cache-control": "private, max-age=3600"})

    @app.get("/api/jobs/{job_id}", summary="A job's progress, then its result or error")
    async def job_state(job_id: str) -> dict[str, Any]:
        return _job_or_404(jobs, job_id).to_dict()

    @app.get("/api/jobs/{job_id}/events", summary="A job's progress as server-sent events")
    async def job_events(job_id: str) -> StreamingResponse:
        job = _job_or_404(jobs, job_id)
        return StreamingResponse(
            jobs.events(job), media_type="text/event-stream", headers={"cache-control": "no-cache"}
        )

    @app.get("/api/history/{session}", summary="A session's history: entries, current, undo/redo state")
    async def history(session: str) -> dict[str, Any]:
        return _with_urls(await run_in_threadpool(_session_call, store.history, session))

    @app.post("/api/history/{session}/undo", summary="Step back to the previous image")
    async def undo(session: str) -> dict[str, Any]:
        return _with_urls(await run_in_threadpool(_session_call, store.undo, session))

    @app.post("/api/history/{session}/redo", summary="Step forward again")
    async def redo(session: str) -> dict[str, Any]:
        return _with_urls(await run_in_threadpool(_session_call, store.redo, session))

    @app.post("/api/history/{session}/select", summary="Jump to an entry of the history")
    async def select(session: str, entry: Annotated[str, Form()]) -> dict[str, Any]:
        return _with_urls(await run_in_threadpool(_session_call, store.select, session, entry))

    return app


def _warm_up(progress: Any) -> dict[str, Any]:
    """Load the op registry and the planner's model now, so the first request does not wait for them."""
    from retouch.planner import plan

    plan("make it brighter")
    return {}


def _job_or_404(jobs: Jobs, job_id: str) -> Job:
    job = jobs.get(job_id)
    if job is None:
        raise ApiError(404, f"no job with id {job_id!r} (finished jobs are forgotten after a while)")
    return job


def _session_call(method: Any, session: str, *args: Any) -> dict[str, Any]:
    try:
        return method(session, *args)
    except KeyError:
        raise ApiError(404, f"no session {session!r} or no such entry in it") from None


def _with_urls(history: dict[str, Any]) -> dict[str, Any]:
    for entry in history["entries"]:
        entry["image_url"] = image_url(entry["image"])
    history["current_url"] = image_url(history["current_image"])
    history["original_url"] = image_url(history["original_image"])
    return history
