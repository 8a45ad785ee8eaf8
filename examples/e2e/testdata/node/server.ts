// The end-to-end tests' Node.js server: @grpc/grpc-js with
// grpc-health-check's HealthImplementation, setting its health through a
// module protoc-gen-health generated (emit=node). tsc --strict compiles it.
//
// usage: node server.js MODULE DRAIN_MS
//
// It serves health on a free loopback port, logs "msg=serving addr=HOST:PORT"
// on stderr once every probe name is SERVING, and on SIGTERM marks them
// NOT_SERVING, keeps serving for DRAIN_MS, then stops and exits 0.
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';

// Every generated module has this shape; types_health.d.ts is one of them.
type WorkloadHealth = typeof import('./types_health');

const [modulePath, drainMs] = process.argv.slice(2);
const workload: WorkloadHealth = require(modulePath);

const health = new HealthImplementation();
const server = new grpc.Server();
health.addToServer(server);
workload.setWorkloadStatus(health, 'NOT_SERVING');

server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err: Error | null, port: number) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  workload.setWorkloadStatus(health, 'SERVING');
  console.error(`level=INFO msg=serving addr=127.0.0.1:${port}`);
});

process.on('SIGTERM', () => {
  workload.shutdownWorkload(health);
  // Ignored after shutdown: readiness must stay NOT_SERVING through the drain.
  workload.setWorkloadStatus(health, 'SERVING');
  setTimeout(() => server.tryShutdown(() => process.exit(0)), Number(drainMs));
});
