package verify

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	"github.com/protoc-gen-health/protoc-gen-health/internal/manifest"
	optionsv1 "github.com/protoc-gen-health/protoc-gen-health/proto/health/options/v1"
)

// Catalog is what the descriptors say about health names: which services the
// health server registers and which it does not because they are skipped.
type Catalog struct {
	served  map[string]bool // fully-qualified service names, not skipped, nor contract.HealthServiceName
	skipped map[string]bool // fully-qualified service names skipped by our options
}

// MaxDescriptorSize bounds one descriptor set: a large API tree's, source
// info included, is a few MiB.
const MaxDescriptorSize = 64 << 20

// LoadCatalog reads descriptor sets: a FileDescriptorSet as written by
// protoc --descriptor_set_out, or a buf image (buf build -o x.binpb), whose
// field 1 has the same wire format. Imports need not be included.
func LoadCatalog(paths []string) (*Catalog, error) {
	c := &Catalog{served: map[string]bool{}, skipped: map[string]bool{}}
	for _, path := range paths {
		// The same rules as a manifest's: a bound on its size (/dev/zero),
		// and a named pipe that cannot hang the run.
		data, err := manifest.ReadLimited(manifest.Source{Name: path, Path: path}, nil, MaxDescriptorSize, "not a descriptor set of one API")
		if err != nil {
			return nil, err
		}
		var set descriptorpb.FileDescriptorSet
		// Our options package is linked in, so the global registry knows its
		// extensions and they are parsed into typed fields, not left unknown.
		opts := proto.UnmarshalOptions{Resolver: protoregistry.GlobalTypes}
		if err := opts.Unmarshal(data, &set); err != nil {
			// The protobuf error text is deliberately unstable, and says
			// little more than this.
			return nil, fmt.Errorf("%s: not a descriptor set: write one with buf build -o FILE.binpb or protoc --include_imports --descriptor_set_out=FILE", path)
		}
		if len(set.GetFile()) == 0 {
			return nil, fmt.Errorf("%s: descriptor set holds no files", path)
		}
		for _, f := range set.GetFile() {
			if f.GetName() == "" {
				return nil, fmt.Errorf("%s: not a descriptor set: a file has no name", path)
			}
			fileSkip := skipOption(proto.GetExtension(f.GetOptions(), optionsv1.E_File))
			for _, s := range f.GetService() {
				name := s.GetName()
				if pkg := f.GetPackage(); pkg != "" {
					name = pkg + "." + name
				}
				if name == contract.HealthServiceName {
					continue // neither served nor a suggestion; checkService names it
				}
				if contract.Skipped(fileSkip, skipOption(proto.GetExtension(s.GetOptions(), optionsv1.E_Service))) {
					c.skipped[name] = true
				} else {
					c.served[name] = true
				}
			}
		}
	}
	return c, nil
}

// skipOption returns the skip field of a HealthOptions extension value, nil
// when unset.
func skipOption(ext any) *bool {
	h, _ := ext.(*optionsv1.HealthOptions)
	if h == nil {
		return nil
	}
	return h.Skip
}

// candidates returns the names a misspelt health name may have meant, sorted:
// the served ones, so never a skipped service nor contract.HealthServiceName.
func (c *Catalog) candidates(mode contract.NamesMode, allowed map[string]bool) []string {
	var names []string
	if mode == contract.NamesHealthreg {
		names = append(names, contract.LivenessName, contract.ReadinessName)
	}
	for n := range allowed {
		if n != "" {
			names = append(names, n)
		}
	}
	if mode != contract.NamesOverall {
		for n := range c.served {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}
