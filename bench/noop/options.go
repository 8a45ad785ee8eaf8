//go:build !nooptions

package main

// Registers (health.options.v1.file) and (health.options.v1.service).
import _ "github.com/protoc-gen-health/protoc-gen-health/proto/health/options/v1"
