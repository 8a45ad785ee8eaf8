package gen

import (
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

// The fields of HealthOptions, by name.
var (
	fSkip           = mustField("skip")
	fWorkload       = mustField("workload")
	fPort           = mustField("port")
	fHealthPort     = mustField("health_port")
	fProbe          = mustField("probe")
	fProbeBin       = mustField("probe_bin")
	fContainer      = mustField("container")
	fCounts         = mustField("counts_toward_readiness")
	fStartupSeconds = mustField("startup_seconds")
	fKind           = mustField("kind")
	fNames          = mustField("names")
	fTimings        = [numProbeKinds][5]field{
		liveness:  timingFields("liveness"),
		readiness: timingFields("readiness"),
		startup:   timingFields("startup"),
	}
)

func timingFields(kind string) [5]field {
	return [5]field{
		mustField(kind + ".initial_delay_seconds"),
		mustField(kind + ".period_seconds"),
		mustField(kind + ".timeout_seconds"),
		mustField(kind + ".success_threshold"),
		mustField(kind + ".failure_threshold"),
	}
}

// service is one service of the run with its layers, before workloads are
// formed.
type service struct {
	file     *protogen.File
	svc      *protogen.Service
	fullName string
	layers   []layer // indexed by layerService ... layerParams: highest precedence first
	skip     bool
	generate bool // false for a service of an imported file, seen only for checks
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

// setting is a resolved value and the layer it came from (nil: the default).
type setting struct {
	v     protoreflect.Value
	layer *layer
}

// resolve returns the value of f for s: the first layer that sets it, else def.
func (s *service) resolve(f field, def protoreflect.Value) setting {
	for i := range s.layers {
		if v, ok := s.layers[i].get(f); ok {
			return setting{v: v, layer: &s.layers[i]}
		}
	}
	return setting{v: def}
}

func (s *service) int32Of(f field, def int32) int32 {
	return int32(s.resolve(f, protoreflect.ValueOfInt32(def)).v.Int())
}

func (s *service) stringOf(f field, def string) string {
	return s.resolve(f, protoreflect.ValueOfString(def)).v.String()
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
			sv.skip = contract.Skipped(boolIn(fl, fSkip), boolIn(sl, fSkip))
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

// boolIn returns a layer's bool field, nil when unset.
func boolIn(l layer, f field) *bool {
	v, ok := l.get(f)
	if !ok {
		return nil
	}
	b := v.Bool()
	return &b
}
