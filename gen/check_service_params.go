package gen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/protoc-gen-health/protoc-gen-health/internal/editdist"
)

// checkServiceParams reports per-service parameters that name no service of
// the run, and those that disagree with the service's own option: both are
// about the one service, and neither should win silently.
func checkServiceParams(p *Params, services []*service, errs *errorList) {
	byName := map[string]*service{}
	var generated []string
	for _, s := range services {
		byName[s.fullName] = s
		if s.generate {
			generated = append(generated, s.fullName)
		}
	}
	sort.Strings(generated)
	for _, sp := range p.Services {
		s := byName[sp.FullName]
		switch {
		case s == nil:
			msg := fmt.Sprintf("no service %s in the files this run generates", plainOrQuoted(sp.FullName))
			if near := nearest(sp.FullName, generated); near != "" {
				msg += fmt.Sprintf("; did you mean %s?", near)
			}
			errs.add(&Error{Option: sp.firstParam(), Msg: msg})
			continue
		case !s.generate:
			errs.add(&Error{Option: sp.firstParam(), Msg: fmt.Sprintf(
				"service %s is in %s, which this run does not generate; generate every file of a workload in one run "+
					"(with buf: strategy: all for emit=k8s)", sp.FullName, plainOrQuoted(s.file.Desc.Path()))})
			continue
		}
		so, pl := s.layers[layerService], s.layers[layerServiceParam]
		if skip, ok := getAs(pl, sSkip); ok && !skip && boolIn(so, sSkip) == nil {
			errs.add(&Error{Option: paramOption(pl.paramPrefix+sSkip.name, "false"), Msg: "would do nothing: the parameter only keeps a service out of every workload " +
				"(skip=true); a service's own option (health.options.v1.service).skip = false un-skips it in a skipped file"})
		}
		for _, r := range settings {
			pv, ok := pl.get(r)
			if !ok {
				continue
			}
			if ov, ok := so.get(r); ok && !r.equal(ov, pv) {
				errs.add(so.errorAt(r, fmt.Sprintf("%s sets it to %s for the same service; "+
					"remove one of the two", paramOption(pl.paramPrefix+r.info().name, r.text(pv)), r.optionText(pv))))
			}
		}
	}
}

// firstParam names the first parameter written for the service, cut like
// every value the user wrote.
func (sp *ServiceParams) firstParam() string {
	return "parameter " + plainOrQuoted(servicePrefix+sp.FullName+"."+sp.written[0])
}

// nearest returns the name of names closest to s when it is at most two
// edits away (a typo), else the first with the same last component (a
// wrong package), else "".
func nearest(s string, names []string) string {
	if best := editdist.Nearest(s, names, 2); best != "" {
		return best
	}
	short := s[strings.LastIndexByte(s, '.')+1:]
	for _, n := range names {
		if n[strings.LastIndexByte(n, '.')+1:] == short {
			return n
		}
	}
	return ""
}
