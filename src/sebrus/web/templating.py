"""The Jinja2 environment: autoescaping on for every template, plus the few filters pages share."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import jinja2
from fastapi.templating import Jinja2Templates

from sebrus.db.models import Dataset, ItemStatus
from sebrus.primitives import format_eth

WEB_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


def filesize(size: int | None) -> str:
    if size is None:
        return "unknown"
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def image_limits(dataset: Dataset) -> str:
    """The dataset's size and pixel bounds in words: "at most 10 MB, width 28 to 64 px"."""
    parts = [f"at most {filesize(dataset.max_bytes)}"]
    for axis in ("width", "height"):
        low, high = getattr(dataset, f"min_{axis}"), getattr(dataset, f"max_{axis}")
        if low is not None and high is not None:
            parts.append(f"{axis} {low} to {high} px")
        elif low is not None:
            parts.append(f"{axis} at least {low} px")
        elif high is not None:
            parts.append(f"{axis} at most {high} px")
    return ", ".join(parts)


def ether(wei: int | None) -> str:
    """Wei as ETH to six decimals without trailing zeros (0.001 ETH, 1.5 ETH, 0 ETH): balances on pages."""
    return "unknown" if wei is None else format_eth(wei, places=6)


def short_hex(value: str | None, keep: int = 6) -> str:
    """0x1234…abcd: enough to recognise a hash or address; the full value goes in a title or beside it."""
    if not value:
        return ""
    if len(value) <= 2 + 2 * keep:
        return value
    return f"{value[: 2 + keep]}…{value[-4:]}"


def when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def status_name(status: ItemStatus | str) -> str:
    return str(getattr(status, "value", status)).capitalize()


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,  # every template is HTML; never `|safe` on anything a user typed
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        # Templates ship with the package and never change under a running server; without this every
        # render stats each template it extends or imports to see whether to recompile it.
        auto_reload=False,
    )
    env.filters.update(
        filesize=filesize,
        image_limits=image_limits,
        ether=ether,
        short_hex=short_hex,
        when=when,
        status_name=status_name,
    )
    env.globals["STATUSES"] = list(ItemStatus)
    return env


templates = Jinja2Templates(env=_environment())
