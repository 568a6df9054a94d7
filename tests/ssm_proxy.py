"""A fault-injecting HTTP proxy between boto3 and moto's server that counts requests per operation.

boto3 reaches it through AWS_ENDPOINT_URL_SSM (and AWS_ENDPOINT_URL_KMS: any JSON-protocol service is
passed on as its X-Amz-Target names it) exactly as it would reach AWS; nothing in boto3 or botocore
is patched. Faults are planned per request: latency, throttling, 5xx, dropped connections.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Fault:
    """What the proxy does instead of (or before) forwarding one request."""

    kind: str
    status: int = 0
    error_type: str = ""
    delay_seconds: float = 0.0


THROTTLE = Fault("respond", status=400, error_type="ThrottlingException")
ACCESS_DENIED = Fault("respond", status=400, error_type="AccessDeniedException")
SERVER_ERROR = Fault("respond", status=500, error_type="InternalServerError")
DROP = Fault("drop")


def latency(seconds: float) -> Fault:
    """Forward the request after a pause, as a slow network would."""
    return Fault("delay", delay_seconds=seconds)


FaultPlan = Callable[[str, int], Fault | None]
"""Given the operation and its 1-based number among all requests, the fault to apply, if any."""


class SsmProxy:
    """Counts and forwards requests to an upstream endpoint, applying the current fault plan."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.requests: Counter[str] = Counter()
        self.plan: FaultPlan = lambda _operation, _number: None
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"proxy": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The endpoint to give boto3."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def total(self) -> int:
        """Requests seen since the last reset, every operation together."""
        return sum(self.requests.values())

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        """Forget counts and faults between tests."""
        self.reset_counts()
        self.plan = lambda _operation, _number: None

    def reset_counts(self) -> None:
        """Forget counts only, keeping the fault plan (a benchmark's latency)."""
        with self._lock:
            self.requests.clear()

    def fail_every(self, fault: Fault, *, operation: str | None = None) -> None:
        """Apply fault to every request (of one operation, if named) until reset."""
        self.plan = lambda op, _number: fault if operation in (None, op) else None

    def fail_from(self, number: int, fault: Fault) -> None:
        """Let the first number-1 requests through, then apply fault to every later one."""
        self.plan = lambda _op, n: fault if n >= number else None

    def fail_operation_from(self, operation: str, number: int, fault: Fault) -> None:
        """Let the first number-1 requests of operation through, then apply fault to every later one."""
        self.plan = lambda op, _n: fault if op == operation and self.requests[operation] >= number else None

    def count(self, operation: str) -> int:
        """Return the next request number after recording one for operation."""
        with self._lock:
            self.requests[operation] += 1
            return self.total


class _Server(ThreadingHTTPServer):
    """Room for a stampede of connections arriving at once."""

    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    proxy: ClassVar[SsmProxy]
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        """Answer without Nagle's delay, as AWS's endpoints do; only the planned latency remains."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_POST(self) -> None:
        """SSM's and KMS's JSON protocol is POST only."""
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        target = self.headers.get("X-Amz-Target", "unknown")
        operation = target.rpartition(".")[2]
        fault = self.proxy.plan(operation, self.proxy.count(operation))
        if fault is not None and fault.kind == "drop":
            self.close_connection = True
            self.connection.close()
            return
        if fault is not None and fault.kind == "respond":
            self._respond(
                fault.status, json.dumps({"__type": fault.error_type, "message": "injected"}).encode()
            )
            return
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.delay_seconds)
        self._respond(*self._call(target, body))

    def _call(self, target: str, body: bytes) -> tuple[int, bytes, str | None]:
        """One request to moto, with the caller's headers (moto routes by their credential scope)."""
        upstream = self.proxy.upstream
        connection = http.client.HTTPConnection(upstream.hostname or "127.0.0.1", upstream.port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in {"host", "connection"}}
            headers["X-Amz-Target"] = target
            headers["Content-Length"] = str(len(body))
            connection.request("POST", self.path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read(), response.getheader("Content-Type")
        finally:
            connection.close()

    def _respond(self, status: int, payload: bytes, content_type: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type or "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
