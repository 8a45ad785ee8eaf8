package gen

import (
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

// service is one service of the run with its layers, before workloads are
// formed.
type service struct {
	file     *protogen.File
	svc      *protogen.Service
	fullName string
	layers   []layer // indexed by layerService ... layerParams: highest precedence first
	skip     bool    // by the options: no Go, no workload
	// undeployed: skipped by the options or by service.<name>.skip=true,
	// so in no workload. The parameter leaves the Go alone: the run that
	// writes Go seldom has the deployment's parameters, and the unused
	// constants and functions of a service that is not deployed are
	// harmless.
	undeployed bool
	generate   bool // false for a service of an imported file, seen only for checks
}

// The layers of every service, highest precedence first. A per-service
// parameter overrides the file's option (that is what it is for: mapping one
// service of a shared .proto); a service option and a per-service parameter
// are both about the one service, so checkServiceParams reports them when
// they disagree instead of letting one win silently.
const (
	layerService      = iota // (health.options.v1.service)
	layerServiceParam        // service.<FullName>.<field>= parameters
	layerFile                // (health.options.v1.file)
	layerParams              // the run-wide parameters
)

// find returns the value of setting r for s: the first layer that sets it
// and that layer, else the setting's default and nil.
func (s *service) find(r row) (any, *layer) {
	for i := range s.layers {
		if v, ok := s.layers[i].get(r); ok {
			return v, &s.layers[i]
		}
	}
	return r.defaultValue(), nil
}

// valueOf returns the resolved value of a setting for s, as its Go type.
func valueOf[T any](s *service, st *setting[T]) T {
	v, _ := resolvedAt(s, st)
	return v
}

// sameFor reports whether the setting resolves to the same value for two
// services, comparing its Go type's values.
func (s *setting[T]) sameFor(a, b *service) bool {
	va, _ := resolvedAt(a, s)
	vb, _ := resolvedAt(b, s)
	return s.eq(va, vb)
}

// resolvedAt returns the resolved value of a setting for s and the layer
// that set it (nil: the default).
func resolvedAt[T any](s *service, st *setting[T]) (T, *layer) {
	for i := range s.layers {
		if v, ok := getAs(s.layers[i], st); ok {
			return v, &s.layers[i]
		}
	}
	return st.def, nil
}

// collectServices walks the request's files in order and returns every
// service with its layers. Services of files that are not generated are
// returned too (generate=false): a workload that also lives in such a file
// is a layout error that only they reveal.
func collectServices(plugin *protogen.Plugin, params layer, serviceParams map[string]layer) []*service {
	var out []*service
	for _, f := range plugin.Files {
		if len(f.Services) == 0 {
			continue
		}
		var names []string
		for _, s := range f.Services {
			names = append(names, string(s.Desc.FullName()))
		}
		fl := fileLayer(f, names)
		for _, s := range f.Services {
			full := string(s.Desc.FullName())
			if full == contract.HealthServiceName { // the health protocol itself never gets health code
				continue
			}
			sv := &service{file: f, svc: s, fullName: full, generate: f.Generate}
			sl := serviceLayer(f, s)
			spl, ok := serviceParams[full]
			if !ok {
				spl = layer{services: []string{full}}
			}
			sv.layers = []layer{layerService: sl, layerServiceParam: spl, layerFile: fl, layerParams: params}
			sv.skip = contract.Skipped(boolIn(fl, sSkip), boolIn(sl, sSkip))
			sv.undeployed = sv.skip || valueOf(sv, sSkip)
			out = append(out, sv)
		}
	}
	return out
}

// deprecated reports the deprecated option of a file or service.
func fileDeprecated(f *protogen.File) bool {
	o, _ := f.Desc.Options().(*descriptorpb.FileOptions)
	return o.GetDeprecated()
}

func serviceDeprecated(s *protogen.Service) bool {
	o, _ := s.Desc.Options().(*descriptorpb.ServiceOptions)
	return o.GetDeprecated()
}

// boolIn returns a layer's bool setting, nil when unset.
func boolIn(l layer, s *setting[bool]) *bool {
	b, ok := getAs(l, s)
	if !ok {
		return nil
	}
	return &b
}
