"""What every route reads from a request: the policy it is answered with, and its body within the cap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from starlette.requests import ClientDisconnect

from ..pipeline._policy import Policy
from ..pipeline._read import read_batch_text, read_case_text

#: A body over the cap is read to its end and thrown away before the 413, up to this many bytes: closing a connection
#: with unread data resets it, and a client that sends its whole body before it reads the answer (Node's http, an
#: integrator trial with 20 MB) then got ECONNRESET, not the 413. A larger body is not read: that client gets the reset.
DRAIN_BYTES = 64 * 1024 * 1024


async def discard(parts: AsyncIterator[bytes], seconds: float, deadline: float, limit: int = DRAIN_BYTES) -> None:
    """Read what is left of a body and throw it away: at most ``limit`` bytes, each part within ``seconds`` and all
    before ``deadline`` (the loop's clock); a client that stops or leaves ends it early."""
    loop = asyncio.get_running_loop()
    read = 0
    try:
        while read <= limit:
            read += len(await asyncio.wait_for(parts.__anext__(), min(seconds, deadline - loop.time())))
    except (StopAsyncIteration, TimeoutError, ClientDisconnect):
        return


class BodyTooLarge(Exception):
    """A body over the cap (one without a Content-Length header: chunked)."""


class BodyTooSlow(Exception):
    """A body that stopped coming: no part of it for ``Settings.body_seconds``."""


def request_policy(request: Request) -> Policy:
    """The policy this request is answered with (taken once by the guard)."""
    policy: Policy = request.state.policy
    return policy


async def read_body(request: Request, cap: int) -> bytes:
    """The body, at most ``cap`` bytes (a larger one is refused as soon as it is larger), each part within
    ``Settings.body_seconds`` of the one before and all of it within ``Settings.body_total_seconds``: a client that
    sent the headers and part of a body, or a byte now and then, held a request open for good, and a shutdown waited
    for it (trials)."""
    settings = request.app.state.settings
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.body_total_seconds  # a byte now and then must not hold a request for ever
    chunks: list[bytes] = []
    size = 0
    parts = request.stream().__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(parts.__anext__(), min(settings.body_seconds, deadline - loop.time()))
        except StopAsyncIteration:
            return b"".join(chunks)
        except TimeoutError:
            raise BodyTooSlow from None
        size += len(chunk)
        if size > cap:
            await discard(parts, settings.body_seconds, deadline)
            raise BodyTooLarge
        chunks.append(chunk)


async def read_json(request: Request, cap: int) -> dict[str, Any]:
    """The body as one JSON object, read by the library's strict case reader."""
    return read_case_text(await read_body(request, cap), json_only=True, max_bytes=cap)


async def read_batch_json(request: Request, cap: int, list_key: str) -> dict[str, Any]:
    """A batch body: one JSON object whose ``list_key`` holds the cases, a case the reader refuses in its place as a
    ``RefusedCase`` (``read_batch_text``): one bad case never costs the others."""
    return read_batch_text(await read_body(request, cap), list_key=list_key, max_bytes=cap)
