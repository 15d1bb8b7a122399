"""Connections kept open under the official SendGrid client.

python_http_client, which the ``sendgrid`` library sends through, opens a new connection for
every request (urllib): for a million recipients, a thousand TCP and TLS handshakes with
SendGrid, each a round trip or two before the request may leave. :class:`KeepAliveClient` is
that client with one part replaced, the transport: each sender thread keeps its connection open
from one request to the next. The rest (URL, headers, JSON body, an exception per error answer)
is the library's.

A connection that the server closed while it was idle is seen before it is used (it reads as
ended) and replaced. A request that fails on its way is not retried here: the channel decides,
as for any network error. The transport follows no redirect (the API answers none) and uses
the proxy that ``https_proxy``/``http_proxy`` name, as urllib would, unless ``no_proxy`` says
otherwise.
"""

from __future__ import annotations

import http.client
import io
import select
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from typing import Any

from python_http_client import Client
from python_http_client.exceptions import handle_error

_Origin = tuple[str, str, int]  # scheme, host, port


class _Answer:
    """A response read to its end, as python_http_client's ``Response`` reads one."""

    def __init__(self, status: int, body: bytes, headers: Message) -> None:
        self.status = status
        self.body = body
        self.headers = headers

    def getcode(self) -> int:
        return self.status

    def read(self) -> bytes:
        return self.body

    def info(self) -> Message:
        return self.headers


class KeepAliveClient(Client):  # type: ignore[misc]  # the library is untyped
    """python_http_client's ``Client`` whose requests reuse one connection per origin.

    One instance (and the clients it chains, ``client.mail.send``) belongs to one thread: they
    share its connections.
    """

    def __init__(self, *args: Any, connections: dict[_Origin, Any] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._connections: dict[_Origin, Any] = {} if connections is None else connections

    def _build_client(self, name: str | None = None) -> KeepAliveClient:
        # The library's builds a plain Client for each step of ``client.mail.send``.
        return KeepAliveClient(
            host=self.host,
            version=self._version,
            request_headers=self.request_headers,
            url_path=[*self._url_path, name] if name else self._url_path,
            append_slash=self.append_slash,
            timeout=self.timeout,
            connections=self._connections,
        )

    def _make_request(
        self, opener: Any, request: urllib.request.Request, timeout: float | None = None
    ) -> _Answer:
        url = urllib.parse.urlsplit(request.full_url)
        connection = self._connection(url, timeout or self.timeout)
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        try:
            connection.request(
                request.get_method(), path, body=request.data, headers=dict(request.header_items())
            )
            response = connection.getresponse()
            answer = _Answer(response.status, response.read(), response.headers)
        except BaseException:
            self._forget(url)
            raise
        if response.will_close:
            self._forget(url)
        if answer.status >= 400:
            error = urllib.error.HTTPError(
                request.full_url,
                answer.status,
                response.reason,
                answer.headers,
                io.BytesIO(answer.body),
            )
            raise handle_error(error) from None
        return answer

    def _connection(self, url: urllib.parse.SplitResult, timeout: float | None) -> Any:
        origin = _origin(url)
        connection = self._connections.get(origin)
        if connection is not None and _closed_by_server(connection):
            self._forget(url)
            connection = None
        if connection is None:
            connection = self._connections[origin] = _open(origin, timeout)
        return connection

    def _forget(self, url: urllib.parse.SplitResult) -> None:
        connection = self._connections.pop(_origin(url), None)
        if connection is not None:
            connection.close()


def _origin(url: urllib.parse.SplitResult) -> _Origin:
    scheme = url.scheme or "https"
    return (scheme, url.hostname or "", url.port or (443 if scheme == "https" else 80))


def _open(origin: _Origin, timeout: float | None) -> Any:
    scheme, host, port = origin
    kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    proxy = urllib.request.getproxies().get(scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return kind(host, port, timeout=timeout)
    through = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    connection = kind(through.hostname or "", through.port or 8080, timeout=timeout)
    connection.set_tunnel(host, port)
    return connection


def _closed_by_server(connection: Any) -> bool:
    """An idle connection has nothing to read, unless the server closed it (or broke the
    protocol): either way it is not to be used again."""
    sock = connection.sock
    if sock is None:
        return False  # not connected yet: it connects on its first request
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)
