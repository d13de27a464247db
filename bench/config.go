package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Hard caps: a run never exceeds them, whatever its Workload says.
const (
	// MaxDuration bounds one run (one target, one round).
	MaxDuration = 10 * time.Minute
	// MaxOps bounds the operations of one run; it also bounds the memory
	// the latency samples take (8 bytes an operation).
	MaxOps = 1_000_000
	// MaxConcurrency bounds the workers of one run.
	MaxConcurrency = 1024
	// MaxObjectSize bounds one object (the client keeps one buffer of it).
	MaxObjectSize = 1 << 30
)

// Defaults of Workload's zero fields.
const (
	DefaultDuration    = 10 * time.Second
	DefaultConcurrency = 4
	DefaultSize        = 1 << 20
	DefaultObjects     = 64
	DefaultListMaxKeys = 1000
	DefaultGetRatio    = 0.9
	DefaultOpTimeout   = 2 * time.Minute
	DefaultRegion      = "us-east-1"
)

// Op is the kind of workload.
type Op string

const (
	OpPut   Op = "put"   // PutObject of new keys
	OpGet   Op = "get"   // GetObject of prepared keys, read to the end
	OpMixed Op = "mixed" // GET with probability GetRatio, DELETE with DeleteRatio, PUT otherwise
	OpList  Op = "list"  // ListObjectsV2 pages over the prepared keys
	// OpDelete is DeleteObject of a key the same worker PUT earlier (of a
	// key never written when it has none left): a kind of operation of a
	// mixed workload's results, not a workload of its own.
	OpDelete Op = "delete"
)

// ParseOp returns the Op named s (put, get, mixed, list).
func ParseOp(s string) (Op, error) {
	switch op := Op(strings.ToLower(s)); op {
	case OpPut, OpGet, OpMixed, OpList:
		return op, nil
	}
	return "", fmt.Errorf("%w: op %q is not one of put, get, mixed, list", ErrInvalidConfig, s)
}

// Endpoint is an S3 endpoint and the bucket a workload uses on it.
type Endpoint struct {
	// Name labels the endpoint in results ("prismd", "direct"). Default: URL.
	Name string `json:"name"`
	// URL is the endpoint, e.g. "http://127.0.0.1:8443". Required.
	URL string `json:"url"`
	// Region is the signing region. Default "us-east-1".
	Region string `json:"region,omitempty"`
	// AccessKey and SecretKey sign every request. Required.
	AccessKey string `json:"-"`
	SecretKey string `json:"-"`
	// Bucket is created when missing. Required.
	Bucket string `json:"bucket"`
	// VirtualHosted addresses buckets as <bucket>.<host>. Default false
	// (path style, which every local server accepts).
	VirtualHosted bool `json:"virtual_hosted,omitempty"`
	// Processes are the server processes behind the endpoint, on this
	// machine; every run measures their CPU time and the client's
	// (Result.CPU, Linux only). Default none: the client's alone.
	Processes []ServerProcess `json:"processes,omitempty"`
}

// Workload says what a run does. Every zero field takes the documented default.
type Workload struct {
	// Op is put, get, mixed or list. Default put.
	Op Op `json:"op"`
	// Size is the object size in bytes. Default 1 MiB.
	Size int64 `json:"size"`
	// MaxSize, when above Size, makes every object's size uniformly random
	// in [Size, MaxSize]. Default 0 (fixed size).
	MaxSize int64 `json:"max_size,omitempty"`
	// Concurrency is the number of workers, each with one request in
	// flight. Default 4, at most MaxConcurrency.
	Concurrency int `json:"concurrency"`
	// Duration stops the run. Default 10s, at most MaxDuration.
	Duration time.Duration `json:"duration_ns"`
	// Ops stops the run after this many operations (whichever of Ops and
	// Duration comes first). Default and maximum MaxOps.
	Ops int64 `json:"ops,omitempty"`
	// Objects is how many objects GET, mixed and LIST workloads read,
	// created by Prepare. Default 64.
	Objects int `json:"objects,omitempty"`
	// GetRatio is the fraction of GETs in a mixed workload. Default 0.9.
	GetRatio float64 `json:"get_ratio,omitempty"`
	// DeleteRatio is the fraction of DELETEs in a mixed workload; the
	// rest (1 − GetRatio − DeleteRatio) are PUTs. Default 0.
	DeleteRatio float64 `json:"delete_ratio,omitempty"`
	// ListMaxKeys is the page size of LIST. Default 1000.
	ListMaxKeys int `json:"list_max_keys,omitempty"`
	// Prefix is prepended to every key. Default "bench/".
	Prefix string `json:"prefix,omitempty"`
	// OpTimeout bounds one operation; a timeout counts as an error.
	// Default 2m.
	OpTimeout time.Duration `json:"op_timeout_ns,omitempty"`
	// Seed makes sizes and key choices reproducible. Default 1.
	Seed uint64 `json:"seed,omitempty"`
}

// withDefaults returns w with its zero fields set and its values checked.
func (w Workload) withDefaults() (Workload, error) {
	if w.Op == "" {
		w.Op = OpPut
	}
	if _, err := ParseOp(string(w.Op)); err != nil {
		return w, err
	}
	if w.Size == 0 {
		w.Size = DefaultSize
	}
	if w.Concurrency == 0 {
		w.Concurrency = DefaultConcurrency
	}
	if w.Duration == 0 {
		w.Duration = DefaultDuration
	}
	if w.Ops == 0 {
		w.Ops = MaxOps
	}
	if w.Objects == 0 {
		w.Objects = DefaultObjects
	}
	if w.GetRatio == 0 {
		w.GetRatio = DefaultGetRatio
	}
	if w.ListMaxKeys == 0 {
		w.ListMaxKeys = DefaultListMaxKeys
	}
	if w.Prefix == "" {
		w.Prefix = "bench/"
	}
	if w.OpTimeout == 0 {
		w.OpTimeout = DefaultOpTimeout
	}
	if w.Seed == 0 {
		w.Seed = 1
	}
	switch {
	case w.Size < 0 || w.Size > MaxObjectSize:
		return w, fmt.Errorf("%w: size %d is not between 0 and %d", ErrInvalidConfig, w.Size, MaxObjectSize)
	case w.MaxSize != 0 && (w.MaxSize < w.Size || w.MaxSize > MaxObjectSize):
		return w, fmt.Errorf("%w: max size %d is not between size %d and %d", ErrInvalidConfig, w.MaxSize, w.Size, MaxObjectSize)
	case w.Concurrency < 1 || w.Concurrency > MaxConcurrency:
		return w, fmt.Errorf("%w: concurrency %d is not between 1 and %d", ErrInvalidConfig, w.Concurrency, MaxConcurrency)
	case w.Duration < 0 || w.Duration > MaxDuration:
		return w, fmt.Errorf("%w: duration %v is not between 0 and %v", ErrInvalidConfig, w.Duration, MaxDuration)
	case w.Ops < 0 || w.Ops > MaxOps:
		return w, fmt.Errorf("%w: ops %d is not between 0 and %d", ErrInvalidConfig, w.Ops, MaxOps)
	case w.Objects < 1 || w.Objects > MaxOps:
		return w, fmt.Errorf("%w: objects %d is not between 1 and %d", ErrInvalidConfig, w.Objects, MaxOps)
	case w.GetRatio < 0 || w.GetRatio > 1:
		return w, fmt.Errorf("%w: get ratio %v is not between 0 and 1", ErrInvalidConfig, w.GetRatio)
	case w.DeleteRatio < 0 || w.GetRatio+w.DeleteRatio > 1:
		return w, fmt.Errorf("%w: delete ratio %v is not between 0 and 1 − get ratio %v", ErrInvalidConfig, w.DeleteRatio, w.GetRatio)
	case w.ListMaxKeys < 1 || w.ListMaxKeys > 1000:
		return w, fmt.Errorf("%w: list max keys %d is not between 1 and 1000", ErrInvalidConfig, w.ListMaxKeys)
	case w.OpTimeout < 0:
		return w, fmt.Errorf("%w: op timeout %v is negative", ErrInvalidConfig, w.OpTimeout)
	}
	return w, nil
}

// maxObject is the largest object the workload writes.
func (w Workload) maxObject() int64 { return max(w.Size, w.MaxSize) }

// String describes the workload in a few words: "put 8MiB c8".
func (w Workload) String() string {
	size := FormatSize(w.Size)
	if w.MaxSize > w.Size {
		size += "-" + FormatSize(w.MaxSize)
	}
	s := fmt.Sprintf("%s %s c%d", w.Op, size, w.Concurrency)
	if w.Op == OpMixed {
		s += fmt.Sprintf(" get=%.0f%%", w.GetRatio*100)
		if w.DeleteRatio > 0 {
			s += fmt.Sprintf(" del=%.0f%%", w.DeleteRatio*100)
		}
	}
	if w.Op == OpList {
		s = fmt.Sprintf("list %d/page of %d c%d", w.ListMaxKeys, w.Objects, w.Concurrency)
	}
	return s
}

func (e Endpoint) withDefaults() (Endpoint, error) {
	if e.Region == "" {
		e.Region = DefaultRegion
	}
	if e.Name == "" {
		e.Name = e.URL
	}
	switch {
	case e.URL == "":
		return e, fmt.Errorf("%w: endpoint URL is empty", ErrInvalidConfig)
	case !strings.HasPrefix(e.URL, "http://") && !strings.HasPrefix(e.URL, "https://"):
		return e, fmt.Errorf("%w: endpoint %q needs http:// or https://", ErrInvalidConfig, e.URL)
	case e.AccessKey == "" || e.SecretKey == "":
		return e, fmt.Errorf("%w: endpoint %s: access key and secret key are required", ErrInvalidConfig, e.Name)
	case e.Bucket == "":
		return e, fmt.Errorf("%w: endpoint %s: bucket is required", ErrInvalidConfig, e.Name)
	}
	for _, p := range e.Processes {
		if (p.Role != RoleGateway && p.Role != RoleRegion) || p.PID <= 0 {
			return e, fmt.Errorf("%w: endpoint %s: process %+v: want role %s or %s and a PID", ErrInvalidConfig, e.Name, p, RoleGateway, RoleRegion)
		}
	}
	return e, nil
}

// Config is one benchmark: a workload against Target, and, when Baseline
// is set, the same workload against Baseline interleaved with it.
type Config struct {
	// Target is the endpoint measured (prismd). Required.
	Target Endpoint
	// Baseline, when set, is measured in the same run, in alternating
	// rounds (target, baseline, target, …), for the target/baseline ratios.
	Baseline *Endpoint
	// Workload is what each run does.
	Workload Workload
	// Rounds is the number of rounds per endpoint when Baseline is set;
	// each round runs Workload.Duration/Rounds (and Workload.Ops/Rounds).
	// Default 3.
	Rounds int
	// Progress, when not nil, receives a live progress display (meant for
	// a terminal). Default nil: silent.
	Progress io.Writer
	// Label names the comparison in tables. Default Workload.String().
	Label string
}

// FormatSize formats n bytes as the shortest of B, KiB, MiB or GiB that is exact.
func FormatSize(n int64) string {
	for _, u := range []struct {
		s    string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.s)
		}
	}
	return fmt.Sprintf("%dB", n)
}

// ParseSize parses a size: "4KiB", "8MiB", "1GiB" (binary), "4KB", "8MB"
// (decimal, as prismd's config reads them), "4k", "8m", "1g" (binary) or
// plain bytes.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	lower := strings.ToLower(t)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"gib", 1 << 30}, {"mib", 1 << 20}, {"kib", 1 << 10}, {"gb", 1e9}, {"mb", 1e6}, {"kb", 1e3}, {"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}, {"b", 1}} {
		if strings.HasSuffix(lower, u.suffix) {
			mult = u.m
			t = strings.TrimSpace(t[:len(t)-len(u.suffix)])
			break
		}
	}
	var n int64
	if _, err := fmt.Sscanf(t, "%d", &n); err != nil || fmt.Sprint(n) != t || n < 0 {
		return 0, fmt.Errorf("%w: size %q: want a number of bytes with an optional KiB, MiB or GiB", ErrInvalidConfig, s)
	}
	return n * mult, nil
}
