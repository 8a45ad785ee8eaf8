// Command mkcorpus writes the benchmark corpus (package corpus) into a
// directory and compiles it, in-process with internal/protoreq, into the
// CodeGeneratorRequests the benchmark feeds the plugins:
//
//	request-health.bin  parameter "emit=go,emit=k8s": protoc-gen-health and the floor
//	request.bin         no parameter: protoc-gen-go-grpc, which rejects unknown ones
//
// The two are the same request (files to generate, descriptors with source
// info, no compiler version) and differ only in the parameter field, 17
// bytes. The floor accepts and ignores any parameter, so it reads exactly
// the bytes protoc-gen-health reads.
//
//	go run ./bench/mkcorpus -out bench/out
//	go run ./bench/mkcorpus -out bench/out -scale 5   # about googleapis' size
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/protoc-gen-health/protoc-gen-health/bench/corpus"
	"github.com/protoc-gen-health/protoc-gen-health/internal/protoreq"
)

// HealthParameter is protoc-gen-health's parameter in the benchmark.
const HealthParameter = "emit=go,emit=k8s"

func main() {
	out := flag.String("out", "bench/out", "directory for corpus/ and the request files")
	options := flag.String("options", "proto", "import path of health/options/v1/options.proto")
	scale := flag.Float64("scale", 1, "corpus size relative to the standard corpus (5: about googleapis); the benchmark's targets are on 1")
	flag.Parse()
	if err := run(*out, *options, *scale); err != nil {
		fmt.Fprintln(os.Stderr, "mkcorpus:", err)
		os.Exit(1)
	}
}

func run(out, options string, scale float64) error {
	dir := filepath.Join(out, "corpus")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	files, stats, err := corpus.WriteScaled(dir, scale)
	if err != nil {
		return err
	}
	importPaths := []string{dir, options}
	for _, r := range []struct{ name, param string }{
		{"request-health.bin", HealthParameter},
		{"request.bin", ""},
	} {
		b, err := protoreq.BuildBytes(importPaths, files, r.param)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, r.name), b, 0o644); err != nil {
			return err
		}
		if r.param != "" {
			fmt.Printf("corpus: %s\nrequest: %d bytes (%s)\n", stats, len(b), r.name)
		}
	}
	return nil
}
