"""A plain Python gRPC health server, as a Python service without healthreg
runs one: the standard health service with grpcio-health-checking's
HealthServicer semantics, serving the names given on the command line.

usage: health_server.py STUBS_DIR NAME...   (a name may be "", the server)
(HEALTH_SERVER_OWN_NAMES_ONLY=1: "" is not SERVING by default either)

It listens on a free loopback port, prints the port on a line, serves until
its standard input closes, then stops.
"""

import os
import sys
import threading
from concurrent import futures

import grpc

sys.path.insert(0, sys.argv[1])
import health_pb2  # noqa: E402  (generated into STUBS_DIR by the test)
import health_pb2_grpc  # noqa: E402


class HealthServicer(health_pb2_grpc.HealthServicer):
    """grpc_health.v1.health.HealthServicer's semantics (Debian ships no
    grpcio-health-checking, and the Python package index is not reachable
    here), as grpc/grpc's src/python/grpcio_health_checking/grpc_health/v1/
    health.py documents and implements them: "" starts SERVING; set(name,
    status) sets a name; enter_graceful_shutdown() sets every name
    NOT_SERVING and makes later set calls do nothing. Check answers the
    status set for a name and NOT_FOUND for any other; Watch sends the
    current status, SERVICE_UNKNOWN for a name never set, then every change
    until the call ends."""

    def __init__(self):
        self._changed = threading.Condition()
        self._status = {"": health_pb2.HealthCheckResponse.SERVING}
        self._shutting_down = False

    def set(self, service, status):
        with self._changed:
            if self._shutting_down:
                return
            self._status[service] = status
            self._changed.notify_all()

    def enter_graceful_shutdown(self):
        with self._changed:
            self._shutting_down = True
            for service in self._status:
                self._status[service] = health_pb2.HealthCheckResponse.NOT_SERVING
            self._changed.notify_all()

    def Check(self, request, context):
        with self._changed:
            status = self._status.get(request.service)
        if status is None:
            context.set_code(grpc.StatusCode.NOT_FOUND)
            return health_pb2.HealthCheckResponse()
        return health_pb2.HealthCheckResponse(status=status)

    def Watch(self, request, context):
        unknown = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN
        last = None
        while context.is_active():
            with self._changed:
                status = self._status.get(request.service, unknown)
                if status == last:
                    self._changed.wait(0.2)
                    continue
            last = status
            yield health_pb2.HealthCheckResponse(status=status)


def main():
    servicer = HealthServicer()
    if os.environ.get("HEALTH_SERVER_OWN_NAMES_ONLY") == "1":
        # A servicer of its own that answers only the names given, never ""
        # (as an operator's suggestion service does).
        del servicer._status[""]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    for name in sys.argv[2:]:
        servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    print(port, flush=True)
    sys.stdin.read()
    server.stop(0).wait()


if __name__ == "__main__":
    main()
