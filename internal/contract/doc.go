// Package contract is the health contract in one place: the names a probe
// may ask for, the probe kinds, the naming modes of servers, how
// grpc_health_probe reads its arguments, the timing rules that keep a probe's
// own deadlines inside the kubelet's, and how the skip option resolves.
//
// The generator (gen), the probe rules (internal/proberules, which adapts
// *corev1.Probe to this package), verify-probes and the tests all use it, so
// a rule has one implementation and no copies kept equal by tests. It
// depends on the standard library only.
//
// The runtime (healthreg) is its own module and cannot import it: its names
// and its name limit are declared again in healthreg (names.go,
// limits.go), and a test in the examples module
// keeps the two equal.
package contract
