"""The end-to-end tests' Python server: grpcio with a HealthServicer (the
semantics of grpcio-health-checking's, health_server.py), setting its health
through a module protoc-gen-health generated (emit=python).

usage: module_server.py STUBS_DIR MODULE_DIR MODULE DRAIN_SECONDS

It serves health on a free loopback port, logs "msg=serving addr=HOST:PORT"
on stderr once every probe name is SERVING, and on SIGTERM marks them
NOT_SERVING, keeps serving for DRAIN_SECONDS, then stops and exits 0.
"""

import importlib
import signal
import sys
import threading
from concurrent import futures

import grpc

sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
import health_pb2  # noqa: E402  (generated into STUBS_DIR by the test)
import health_pb2_grpc  # noqa: E402
from health_server import HealthServicer  # noqa: E402

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def main():
    workload = importlib.import_module(sys.argv[3])
    drain = float(sys.argv[4])
    servicer = HealthServicer()
    workload.set_workload_status(servicer, NOT_SERVING)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    server.start()
    workload.set_workload_status(servicer, SERVING)
    print("level=INFO msg=serving addr=127.0.0.1:%d" % port, file=sys.stderr, flush=True)
    while not stopping.wait(0.1):
        pass
    workload.shutdown_workload(servicer)
    # Ignored after shutdown: readiness must stay NOT_SERVING through the drain.
    workload.set_workload_status(servicer, SERVING)
    stopping.clear()
    stopping.wait(drain)
    server.stop(1).wait()


if __name__ == "__main__":
    main()
