// Package rollout holds tests only: they run the helloworld example server
// as processes and restart them one at a time, as a Kubernetes rolling update
// does, under a client that balances round_robin over both with client-side
// health checking on "readiness", and count every RPC that fails. They show
// that healthreg's shutdown (readiness NOT_SERVING at once, serve through the
// drain delay, then a graceful stop) loses no request.
package rollout
