"""Start the server: choose the data directory, decide whether a token is needed, run uvicorn."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable
from pathlib import Path

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/retouch`` (``~/.local/share/retouch`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "retouch"


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback("localhost")
    (True, False, True)
    """
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    data_dir: str | os.PathLike[str] | None = None,
    token: str | None = None,
    max_upload_bytes: int | None = None,
    max_pixels: int | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Run the web page and API with uvicorn until interrupted.

    Binding an address other than loopback requires a token; when none is
    given one is generated and printed, with the address to open.
    """
    import uvicorn

    from retouch.server.app import DEFAULT_MAX_PIXELS, DEFAULT_MAX_UPLOAD_BYTES, create_app

    loopback = is_loopback(host)
    if not loopback and not token:
        token = secrets.token_urlsafe(24)
        echo(f"Binding {host} (not loopback): requests need this token: {token}")
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    app = create_app(
        folder,
        token=token,
        max_upload_bytes=max_upload_bytes or DEFAULT_MAX_UPLOAD_BYTES,
        max_pixels=max_pixels or DEFAULT_MAX_PIXELS,
        # A loopback server answers only to loopback names, so other sites cannot reach it
        # through DNS rebinding.
        allowed_hosts=(*LOOPBACK_NAMES, "[::1]") if loopback else None,
    )
    shown = f"[{host}]" if ":" in host else host
    query = f"/?token={token}" if token else "/"
    echo(f"Retouch is serving {folder} at http://{shown}:{port}{query}  (API docs: /docs)")
    uvicorn.run(app, host=host, port=port, log_level="info")
