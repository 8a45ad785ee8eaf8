// Package e2e holds the examples' end-to-end tests: the example servers run
// as processes and are probed with the pinned grpc-health-probe and as the
// kubelet probes them, from their generated manifests; the generated code is
// exercised in-process; protoc, buf and the checked-in code are compared; and
// the drift checker runs against the examples. The tests need the binaries
// that `make tools` builds into the repository's bin directory.
package e2e
