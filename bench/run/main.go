// Command run times plugins as whole processes, the way protoc and buf run
// them: each reads a request file on standard input and writes its response
// to /dev/null. The runs are interleaved round-robin (round i starts with
// plugin i mod k), so a noisy neighbour or a warm cache spreads over every
// plugin instead of landing on one. For each plugin it prints the median
// wall time, CPU time (user+sys) and peak RSS (getrusage's ru_maxrss, from
// os.ProcessState), with ratios to the first plugin, the floor.
//
//	run -n 15 floor=bin/noop@req.bin grpc=bin/protoc-gen-go-grpc@req-plain.bin ...
//
// Before timing, each plugin runs once with its output kept, which warms the
// page cache and checks that the response carries no error.
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

type plugin struct {
	name, bin, request string
	wall, cpu          []time.Duration
	rss                []int64 // bytes
	files, outBytes    int
}

func main() {
	n := flag.Int("n", 15, "timed runs of each plugin")
	save := flag.String("save", "", "if set, write each plugin's response to this directory as <name>.out")
	target := flag.String("target", "", "name:wall:rss, such as protoc-gen-health:1.3:1.1: print whether that plugin's median wall time and peak RSS are within these multiples of the first plugin's")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: run [-n runs] name=binary@request ... (the first is the floor)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	var plugins []*plugin
	for _, arg := range flag.Args() {
		name, rest, ok1 := strings.Cut(arg, "=")
		bin, req, ok2 := strings.Cut(rest, "@")
		if !ok1 || !ok2 {
			fmt.Fprintf(os.Stderr, "run: %q is not name=binary@request\n", arg)
			os.Exit(2)
		}
		plugins = append(plugins, &plugin{name: name, bin: bin, request: req})
	}
	if err := run(plugins, *n, *save, *target); err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		os.Exit(1)
	}
}

func run(plugins []*plugin, n int, save, target string) error {
	for _, p := range plugins {
		if err := p.check(save); err != nil {
			return err
		}
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer devNull.Close()
	for round := range n {
		for k := range plugins {
			p := plugins[(round+k)%len(plugins)]
			if err := p.once(devNull); err != nil {
				return err
			}
		}
	}
	report(plugins, n)
	if target != "" {
		return checkTarget(plugins, target)
	}
	return nil
}

// checkTarget prints whether the named plugin is within name:wall:rss of
// the first plugin, the lowest floor. Missing a target is reported, not an
// error: one run on a busy machine proves little.
func checkTarget(plugins []*plugin, target string) error {
	var name string
	var maxWall, maxRSS float64
	if _, err := fmt.Sscanf(strings.ReplaceAll(target, ":", " "), "%s %g %g", &name, &maxWall, &maxRSS); err != nil {
		return fmt.Errorf("-target %q: want name:wall:rss", target)
	}
	verdict := func(got, max float64) string {
		if got <= max {
			return "met"
		}
		return "NOT MET"
	}
	floor := plugins[0]
	for _, p := range plugins {
		if p.name != name {
			continue
		}
		wall := float64(median(p.wall)) / float64(median(floor.wall))
		rss := float64(median(p.rss)) / float64(median(floor.rss))
		fmt.Printf("target %s: wall %.2fx of %s (at most %.2fx: %s), peak RSS %.2fx (at most %.2fx: %s)\n",
			name, wall, floor.name, maxWall, verdict(wall, maxWall), rss, maxRSS, verdict(rss, maxRSS))
		return nil
	}
	return fmt.Errorf("-target: no plugin named %q", name)
}

// check runs the plugin once and reads its response, which it saves under
// dir unless dir is "". The response goes to a file and is read a field at
// a time, never held: a child's peak RSS as the kernel reports it is at
// least this process's own peak (os/exec starts the child sharing this
// process's memory until it execs), so a runner that held a 100 MB
// response would report every plugin run after it at 400 MB.
func (p *plugin) check(dir string) error {
	in, err := os.Open(p.request)
	if err != nil {
		return err
	}
	defer in.Close()
	var out *os.File
	if dir != "" {
		out, err = os.Create(filepath.Join(dir, p.name+".out"))
	} else {
		out, err = os.CreateTemp("", "run-*.out")
		if err == nil {
			defer os.Remove(out.Name())
		}
	}
	if err != nil {
		return err
	}
	defer out.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(p.bin)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v\n%s", p.name, err, stderr.Bytes())
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return err
	}
	files, errMsg, n, err := scanResponse(bufio.NewReader(out))
	if err != nil {
		return fmt.Errorf("%s: response: %v", p.name, err)
	}
	if errMsg != nil {
		return fmt.Errorf("%s: the response is an error: %s", p.name, firstLines(*errMsg, 10))
	}
	p.files, p.outBytes = files, n
	return nil
}

// scanResponse reads an encoded CodeGeneratorResponse a field at a time:
// its number of files, its error if it has one, and its size.
func scanResponse(r *bufio.Reader) (files int, errMsg *string, size int, err error) {
	c := &countingReader{r: r}
	for {
		tag, err := binary.ReadUvarint(c)
		if err == io.EOF {
			return files, errMsg, c.n, nil
		}
		if err != nil {
			return 0, nil, 0, err
		}
		num, typ := protowire.DecodeTag(tag)
		var skip uint64
		switch typ {
		case protowire.VarintType:
			_, err = binary.ReadUvarint(c)
		case protowire.Fixed64Type:
			skip = 8
		case protowire.Fixed32Type:
			skip = 4
		case protowire.BytesType:
			skip, err = binary.ReadUvarint(c)
		default:
			err = fmt.Errorf("field %d: wire type %d", num, typ)
		}
		if err != nil {
			return 0, nil, 0, err
		}
		switch {
		case num == 1 && typ == protowire.BytesType: // error
			msg := make([]byte, skip)
			if _, err := io.ReadFull(c, msg); err != nil {
				return 0, nil, 0, err
			}
			errMsg = proto.String(string(msg))
			continue
		case num == 15 && typ == protowire.BytesType: // file
			files++
		}
		if _, err := io.CopyN(io.Discard, c, int64(skip)); err != nil {
			return 0, nil, 0, fmt.Errorf("field %d: %v", num, err)
		}
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r *bufio.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines[n] = "..."
	}
	return strings.Join(lines, "\n")
}

// once runs the plugin with the request on stdin and stdout on /dev/null.
func (p *plugin) once(devNull io.Writer) error {
	in, err := os.Open(p.request)
	if err != nil {
		return err
	}
	defer in.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(p.bin)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, devNull, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v\n%s", p.name, err, stderr.Bytes())
	}
	wall := time.Since(start)
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return fmt.Errorf("no rusage on this system")
	}
	p.wall = append(p.wall, wall)
	p.cpu = append(p.cpu, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
	p.rss = append(p.rss, ru.Maxrss*1024) // kilobytes on Linux
	return nil
}

func median[T int64 | time.Duration](s []T) T {
	c := slices.Clone(s)
	slices.Sort(c)
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

func report(plugins []*plugin, n int) {
	floor := plugins[0]
	fw, fc, fr := median(floor.wall), median(floor.cpu), median(floor.rss)
	fmt.Printf("%d runs each, interleaved; medians, ratio to %s\n", n, floor.name)
	fmt.Printf("%-22s %9s %6s %13s %9s %6s %8s %6s %6s %9s\n",
		"plugin", "wall ms", "x", "wall min-max", "cpu ms", "x", "RSS MiB", "x", "files", "out MiB")
	for _, p := range plugins {
		w, c, r := median(p.wall), median(p.cpu), median(p.rss)
		fmt.Printf("%-22s %9.0f %6.2f %6.0f-%-6.0f %9.0f %6.2f %8.1f %6.2f %6d %9.1f\n",
			p.name, ms(w), float64(w)/float64(fw), ms(slices.Min(p.wall)), ms(slices.Max(p.wall)),
			ms(c), float64(c)/float64(fc), float64(r)/(1<<20), float64(r)/float64(fr),
			p.files, float64(p.outBytes)/(1<<20))
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
