package main

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	"github.com/protoc-gen-health/protoc-gen-health/internal/proberules"
)

// check returns every finding about the probes: the probe rules in
// HandWritten mode, then ours: the health name, the port, init containers.
func check(sites []site, cat *catalog) []finding {
	var out []finding
	for _, s := range sites {
		add := func(sev proberules.Severity, field, format string, args ...any) {
			out = append(out, finding{
				File: s.file, Line: s.line, Severity: sev,
				Kind: s.kind, Name: s.name, Namespace: s.namespace,
				Container: s.container.Name, Probe: s.probeKind.Field(),
				Field: field, Message: fmt.Sprintf(format, args...),
			})
		}
		if s.initNotSidecar {
			add(proberules.Error, "", "an init container may have probes only as a sidecar, with restartPolicy: Always")
		}
		if e := s.decodeErr; e != nil {
			// Nothing more is known of a probe that cannot be decoded.
			msg := e.message
			if i := slices.IndexFunc(s.container.Ports, func(cp corev1.ContainerPort) bool { return e.portName != "" && cp.Name == e.portName }); i >= 0 {
				msg += fmt.Sprintf(": use %d, the number of the container's port %q", s.container.Ports[i].ContainerPort, e.portName)
			}
			add(proberules.Error, e.field, "%s", msg)
			out[len(out)-1].Line = e.line
			continue
		}
		for _, f := range proberules.Check(s.probeKind, s.probe, proberules.HandWritten) {
			add(f.Severity, f.Field, "%s", f.Message)
		}
		if t, ok := proberules.TargetOf(s.probe); ok {
			checkService(t, cat, add)
			checkTargetPort(t, s.container, add)
		} else {
			checkPort(s.probe, s.container, add)
		}
	}
	return out
}

type addFunc func(sev proberules.Severity, field, format string, args ...any)

// checkService: the name must be one the health server registers.
func checkService(t proberules.Target, cat *catalog, add addFunc) {
	switch name := t.Service; {
	case contract.IsFixedName(name), cat.served[name]:
	case name == healthServiceName:
		add(proberules.Error, "", "service %q is the health-checking service itself: the generated health code never registers it as a health name, so the probe gets NOT_FOUND", name)
	case cat.skipped[name]:
		add(proberules.Error, "", "service %q is skipped by its health options (skip: true), so the health server never registers it", name)
	default:
		msg := fmt.Sprintf("unknown health service %q: not in the descriptors, nor %q, %q or \"\"", name, contract.LivenessName, contract.ReadinessName)
		if s := suggest(name, cat.candidates()); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		add(proberules.Error, "", "%s", msg)
	}
}

// checkTargetPort: a gRPC health probe should probe a port the container
// declares, even when it declares none (unless it is a patch's, see
// checkDeclared). Exec probes of another host are not checked.
func checkTargetPort(t proberules.Target, c *corev1.Container, add addFunc) {
	if t.Port == 0 {
		return
	}
	field := "grpc.port"
	if t.Exec {
		field = "exec.command"
		host, _, err := net.SplitHostPort(t.Addr)
		if err != nil {
			return
		}
		switch host {
		case "", "localhost", "127.0.0.1", "::1", "0.0.0.0", "::":
		default:
			return
		}
	}
	checkDeclared(t.Port, field, c, add)
}

// checkDeclared warns when port is not one of the container's ports. A
// container without an image and without ports is a patch's (the generator
// writes strategic-merge patches of probes): its base declares the ports.
func checkDeclared(port int32, field string, c *corev1.Container, add addFunc) {
	switch {
	case port < 1 || port > 65535: // proberules reports it
	case len(c.Ports) == 0 && c.Image == "":
	case len(c.Ports) == 0:
		add(proberules.Warning, field, "container declares no ports; the probe's port %d is not declared", port)
	case !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return cp.ContainerPort == port }):
		add(proberules.Warning, field, "port %d is not among the container's ports (%s)", port, portList(c.Ports))
	}
}

// checkPort does the same for httpGet and tcpSocket probes; a named port
// that the container does not declare is an error, as the kubelet cannot
// resolve it.
func checkPort(p *corev1.Probe, c *corev1.Container, add addFunc) {
	var port intstr.IntOrString
	var field string
	switch {
	case p.HTTPGet != nil:
		port, field = p.HTTPGet.Port, "httpGet.port"
	case p.TCPSocket != nil:
		port, field = p.TCPSocket.Port, "tcpSocket.port"
	default:
		return
	}
	if port.Type == intstr.String {
		if !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return cp.Name == port.StrVal }) {
			add(proberules.Error, field, "port name %q is not among the container's ports (%s)", port.StrVal, portList(c.Ports))
		}
		return
	}
	checkDeclared(port.IntVal, field, c, add)
}

func portList(ports []corev1.ContainerPort) string {
	if len(ports) == 0 {
		return "none"
	}
	var s []string
	for _, p := range ports {
		if p.Name != "" {
			s = append(s, p.Name+"="+strconv.Itoa(int(p.ContainerPort)))
		} else {
			s = append(s, strconv.Itoa(int(p.ContainerPort)))
		}
	}
	return strings.Join(s, ", ")
}
