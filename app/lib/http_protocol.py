"""uvicorn's httptools protocol with a bound on the size of each request's head.

CONTRACT section 6: a request's head (request line and headers) is bounded — without a
bound a 200 MB header took the server from 115 to 422 MB. uvicorn's h11 protocol has such
a bound (`h11_max_incomplete_event_size`) but costs about 0.1 ms more per request than
httptools (a third of a warm cached stats call); httptools has none. This subclass answers
431 and closes the connection when a request's URL and headers add up to more than
`MAX_HEADER_BYTES` (counted as the parser hands them over), and — since httptools buffers
a header until it is complete — also when the bytes received while a head is incomplete
pass that plus one read (asyncio reads at most 256 KiB at a time; a read may also hold the
end of a pipelined request before it). So no more than about 320 KiB of a head is ever
buffered. Used by `momentum serve` (app/cli_serve.py).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEADER_BYTES = 64 * 1024  # the most one request's head (request line + headers) may take
_READ_BYTES = 256 * 1024  # asyncio's largest single read


class _HeadTooLarge(Exception):
    """Raised from a parser callback; httptools turns it into an HttpParserError."""

_REFUSAL = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 31\r\n"
    b"connection: close\r\n"
    b"\r\n"
    b"Request header fields too large"
)


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that refuses a request head over MAX_HEADER_BYTES with 431."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_open = True  # bytes arrive for a head not yet complete (a new connection)
        self._head_bytes = 0  # received while the head is open (the memory guard)
        self._head_size = 0  # URL and headers as parsed (the exact bound)
        self._too_large = False

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_open = True
        self._head_bytes = 0
        self._head_size = 0

    def on_url(self, url: bytes) -> None:
        self._grow(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._grow(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_open = False
        super().on_headers_complete()

    def _grow(self, size: int) -> None:
        self._head_size += size
        if self._head_size > MAX_HEADER_BYTES:
            self._too_large = True
            raise _HeadTooLarge

    def send_400_response(self, msg: str) -> None:
        if self._too_large:  # the parser stopped on _HeadTooLarge
            self._refuse()
        else:
            super().send_400_response(msg)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._head_open or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > MAX_HEADER_BYTES + _READ_BYTES:
            self._refuse()

    def _refuse(self) -> None:
        self.logger.warning("Request head over %d bytes refused (431).", MAX_HEADER_BYTES)
        self.transport.write(_REFUSAL)
        self.transport.close()
