package engine_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// TestScenarios runs the datadriven scripts in testdata/scenarios. Every
// read compares the bytes with what was written ("content ok"); see
// scenario.run for the commands.
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		s := &scenario{t: t, data: map[string][]byte{}, uploads: map[string]string{}}
		defer s.cleanup()
		datadriven.RunTest(t, path, s.run)
	})
}

type scenario struct {
	t       *testing.T
	c       *cluster
	data    map[string][]byte // bucket/key → the bytes it must hold
	uploads map[string]string // name → upload id
	parts   map[string][]byte // upload name/part → bytes
	vers    scenarioVersions
	hung    []chan struct{}
}

func (s *scenario) cleanup() {
	for _, h := range s.hung {
		close(h)
	}
}

func size(t *testing.T, v string) int {
	mult := 1
	for suffix, m := range map[string]int{"KiB": 1 << 10, "MiB": 1 << 20} {
		if strings.HasSuffix(v, suffix) {
			v, mult = strings.TrimSuffix(v, suffix), m
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("bad size %q", v)
	}
	return n * mult
}

func arg(td *datadriven.TestData, key, def string) string {
	for _, a := range td.CmdArgs {
		if a.Key == key && len(a.Vals) > 0 {
			return a.Vals[0]
		}
	}
	return def
}

func errName(err error) string {
	for _, e := range []error{engine.ErrNoSuchBucket, engine.ErrNoSuchKey, engine.ErrBucketExists, engine.ErrBucketNotEmpty, engine.ErrInvalidRange, engine.ErrInvalidPartNumber,
		engine.ErrPreconditionFailed, engine.ErrNotModified, engine.ErrInvalidPart, engine.ErrInvalidPartOrder, engine.ErrEntityTooSmall,
		engine.ErrNoSuchUpload, engine.ErrQuorum, engine.ErrInvalidKey, engine.ErrInvalidBucketName, engine.ErrIncompleteBody, engine.ErrBadDigest,
		engine.ErrNoSuchVersion, engine.ErrInvalidVersion, engine.ErrDeleteMarker, engine.ErrCopyFromDeleteMarker} {
		if errors.Is(err, e) {
			return "error: " + e.Error()
		}
	}
	return "error: " + err.Error()
}

func (s *scenario) run(t *testing.T, td *datadriven.TestData) string {
	ctx := context.Background()
	s.t = t
	b, k := arg(td, "b", "bkt"), arg(td, "k", "key")
	id := b + "/" + k
	switch td.Cmd {
	case "cluster":
		policy := plog.Policy{Mode: arg(td, "mode", "erasure"), Placement: arg(td, "placement", "priority")}
		policy.DataShards, _ = strconv.Atoi(arg(td, "k", "2"))
		policy.ParityShards, _ = strconv.Atoi(arg(td, "m", "1"))
		policy.HybridThreshold = int64(size(t, arg(td, "threshold", "1MiB")))
		n, _ := strconv.Atoi(arg(td, "regions", "3"))
		if s.c != nil {
			s.c.e.Close()
		}
		s.c = newCluster(t, n, policy)
		return fmt.Sprintf("%d regions, %s %d+%d", n, policy.Mode, policy.DataShards, policy.ParityShards)
	case "mkbucket":
		if err := s.c.e.CreateBucket(ctx, b, ""); err != nil {
			return errName(err)
		}
		return "ok"
	case "rmbucket":
		if err := s.c.e.DeleteBucket(ctx, b); err != nil {
			return errName(err)
		}
		return "ok"
	case "put":
		data := payload(uint64(size(t, arg(td, "seed", "1"))), size(t, arg(td, "size", "1")))
		info, err := s.c.e.PutObject(ctx, engine.PutInput{Bucket: b, Key: k, Size: int64(len(data)), Body: bytes.NewReader(data),
			Cond: engine.Conditions{IfNoneMatch: arg(td, "if-none-match", ""), IfMatch: arg(td, "if-match", "")}})
		if err != nil {
			return errName(err)
		}
		s.data[id] = data
		s.c.e.WaitWrites()
		sum := md5.Sum(data)
		if info.ETag != hex.EncodeToString(sum[:]) {
			return "etag is not the md5 of the body: " + info.ETag
		}
		return fmt.Sprintf("ok %d bytes", info.Size)
	case "put-hang":
		// A PUT whose client stalls after half its body and never returns.
		data := payload(1, size(t, arg(td, "size", "1")))
		hang := make(chan struct{})
		s.hung = append(s.hung, hang)
		body := io.MultiReader(bytes.NewReader(data[:len(data)/2]), blockingReader{hang})
		e := s.c.e
		before, _ := s.keyCount(b)
		go e.PutObject(context.Background(), engine.PutInput{Bucket: b, Key: k, Size: int64(len(data)), Body: body})
		waitFor(t, func() bool { n, _ := s.keyCount(b); return n > before })
		return "started"
	case "put-broken":
		// A PUT whose client disconnects half way.
		data := payload(1, size(t, arg(td, "size", "1")))
		body := io.MultiReader(bytes.NewReader(data[:len(data)/2]), errReader{})
		_, err := s.c.e.PutObject(ctx, engine.PutInput{Bucket: b, Key: k, Size: int64(len(data)), Body: body})
		if err == nil {
			return "broken put succeeded"
		}
		return "failed"
	case "get":
		opts := engine.GetOptions{}
		if r := arg(td, "range", ""); r != "" {
			a, z, _ := strings.Cut(r, "-")
			rg := &engine.Range{End: -1}
			if a == "" {
				n, _ := strconv.ParseInt(z, 10, 64)
				rg.Start = -n
			} else {
				rg.Start, _ = strconv.ParseInt(a, 10, 64)
				if z != "" {
					rg.End, _ = strconv.ParseInt(z, 10, 64)
				}
			}
			opts.Range = rg
		}
		opts.PartNumber, _ = strconv.Atoi(arg(td, "part", "0"))
		r, err := s.c.e.GetObject(ctx, b, k, opts)
		if err != nil {
			return errName(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		s.c.e.WaitWrites() // corruption found by the read is recorded in the background
		if err != nil {
			return errName(err)
		}
		want, ok := s.data[id]
		if !ok {
			return fmt.Sprintf("%d bytes, but the scenario never wrote %s", len(got), id)
		}
		if r.Offset+r.Length > int64(len(want)) || !bytes.Equal(got, want[r.Offset:r.Offset+r.Length]) {
			return fmt.Sprintf("%d bytes at %d: CONTENT MISMATCH", len(got), r.Offset)
		}
		return fmt.Sprintf("%d bytes at %d, content ok", len(got), r.Offset)
	case "head":
		info, err := s.c.e.HeadObject(ctx, b, k, engine.GetOptions{})
		if err != nil {
			return errName(err)
		}
		return fmt.Sprintf("size=%d parts=%d", info.Size, info.PartsCount)
	case "delete":
		if err := s.c.e.DeleteObject(ctx, b, k); err != nil {
			return errName(err)
		}
		delete(s.data, id)
		return "ok"
	case "copy":
		db, dk := arg(td, "to-b", b), arg(td, "to-k", k)
		_, err := s.c.e.CopyObject(ctx, engine.CopyInput{SrcBucket: b, SrcKey: k, Bucket: db, Key: dk})
		if err != nil {
			return errName(err)
		}
		s.data[db+"/"+dk] = s.data[id]
		return "ok"
	case "list":
		max, _ := strconv.Atoi(arg(td, "max", "0"))
		res, err := s.c.e.ListObjects(ctx, engine.ListInput{Bucket: b, Prefix: arg(td, "prefix", ""), Delimiter: arg(td, "delim", ""), After: arg(td, "after", ""), MaxKeys: max})
		if err != nil {
			return errName(err)
		}
		var out []string
		for _, o := range res.Objects {
			out = append(out, fmt.Sprintf("%s %d", o.Key, o.Size))
		}
		for _, p := range res.CommonPrefixes {
			out = append(out, "prefix "+p)
		}
		out = append(out, fmt.Sprintf("truncated=%v next=%q", res.Truncated, res.NextAfter))
		return strings.Join(out, "\n")
	case "mpu-create":
		u, err := s.c.e.CreateUpload(ctx, b, k, "", nil, nil)
		if err != nil {
			return errName(err)
		}
		s.uploads[arg(td, "u", "u1")] = u.UploadID
		if s.parts == nil {
			s.parts = map[string][]byte{}
		}
		return "ok"
	case "mpu-part":
		n, _ := strconv.Atoi(arg(td, "n", "1"))
		data := payload(uint64(size(t, arg(td, "seed", "1"))), size(t, arg(td, "size", "1")))
		name := arg(td, "u", "u1")
		_, err := s.c.e.UploadPart(ctx, s.uploads[name], n, engine.PutInput{Bucket: b, Key: k, Size: int64(len(data)), Body: bytes.NewReader(data)})
		if err != nil {
			return errName(err)
		}
		s.parts[name+"/"+strconv.Itoa(n)] = data
		s.c.e.WaitWrites()
		return "ok"
	case "mpu-complete":
		name := arg(td, "u", "u1")
		lp, err := s.c.e.ListParts(ctx, b, k, s.uploads[name], 0, 0)
		if err != nil {
			return errName(err)
		}
		etags := map[int]string{}
		for _, p := range lp.Parts {
			etags[p.Number] = p.ETag
		}
		var parts []engine.CompletePart
		var whole []byte
		for _, f := range strings.Split(arg(td, "parts", "1"), ",") {
			n, _ := strconv.Atoi(f)
			parts = append(parts, engine.CompletePart{Number: n, ETag: `"` + etags[n] + `"`})
			whole = append(whole, s.parts[name+"/"+f]...)
		}
		info, err := s.c.e.CompleteUpload(ctx, b, k, s.uploads[name], parts, engine.Conditions{})
		if err != nil {
			return errName(err)
		}
		s.data[id] = whole
		return fmt.Sprintf("ok %d bytes, etag has -%d: %v", info.Size, len(parts), strings.HasSuffix(info.ETag, fmt.Sprintf("-%d", len(parts))))
	case "mpu-abort":
		if err := s.c.e.AbortUpload(ctx, b, k, s.uploads[arg(td, "u", "u1")]); err != nil {
			return errName(err)
		}
		return "ok"
	case "down", "up":
		i := int(arg(td, "region", "a")[0] - 'a')
		s.c.regions[i].SetDown(td.Cmd == "down")
		if td.Cmd == "up" {
			s.c.e.ProbeRegions(ctx)
		}
		return "ok"
	case "corrupt":
		// Flip a byte in the middle of every shard of b/k stored on region.
		region := arg(td, "region", "a")
		locs, err := s.c.e.Locate(b, k)
		if err != nil {
			return errName(err)
		}
		n := 0
		for _, l := range locs {
			if l.Region == region {
				s.flip(s.c.regions[int(region[0]-'a')], l.Bucket, l.Key, arg(td, "at", "middle"))
				n++
			}
		}
		return fmt.Sprintf("corrupted %d shards", n)
	case "states":
		locs, err := s.c.e.Locate(b, k)
		if err != nil {
			return errName(err)
		}
		count := map[string]int{}
		for _, l := range locs {
			count[l.State]++
		}
		var out []string
		for st, n := range count {
			out = append(out, fmt.Sprintf("%s=%d", st, n))
		}
		slices.Sort(out)
		return strings.Join(out, " ")
	case "complete":
		w, f, err := s.c.e.RunCompletion(ctx)
		if err != nil {
			return errName(err)
		}
		return fmt.Sprintf("written=%d failed=%d", w, f)
	case "purge":
		p, l, err := s.c.e.RunPurge(ctx)
		if err != nil {
			return errName(err)
		}
		return fmt.Sprintf("purged=%d left=%d", p, l)
	case "pending":
		sh, pu := s.c.e.Pending()
		return fmt.Sprintf("shards=%d purges=%d", sh, pu)
	case "keys":
		n, per := s.keyCount(b)
		return fmt.Sprintf("total=%d %s", n, per)
	case "restart":
		s.c.restart()
		return "ok"
	case "crash":
		// Abandon the engine without closing it, as kill -9 would, and open
		// a new one on the same directory and regions.
		s.c.e = nil
		s.c.open()
		return "ok"
	}
	if out, ok := s.runVersions(ctx, t, td); ok {
		return out
	}
	t.Fatalf("unknown command %q", td.Cmd)
	return ""
}

// keyCount counts backend keys of bucket b on every region.
func (s *scenario) keyCount(b string) (int, string) {
	total := 0
	var per []string
	for i, r := range s.c.regions {
		n := 0
		r.List(context.Background(), s.c.e.BackendBucket(b), "", func(backends.ObjectInfo) bool { n++; return true })
		total += n
		per = append(per, fmt.Sprintf("%s=%d", s.c.names[i], n))
	}
	return total, strings.Join(per, " ")
}

// flip inverts one byte in the middle of a stored backend object.
// flip flips one byte of a shard: in its middle, or in its header (at=header).
func (s *scenario) flip(r backends.Backend, bucket, key, at string) {
	ctx := context.Background()
	rc, err := r.Get(ctx, bucket, key, 0, -1)
	if err != nil {
		s.t.Fatalf("read %s: %v", key, err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	switch at {
	case "middle":
		data[len(data)/2+1] ^= 0x5a
	case "header":
		data[17] ^= 0x5a // the segment's data size
	default:
		s.t.Fatalf("corrupt at=%q: want middle or header", at)
	}
	if err := r.Put(ctx, bucket, key, bytes.NewReader(data), int64(len(data))); err != nil {
		s.t.Fatalf("rewrite %s: %v", key, err)
	}
}

type blockingReader struct{ c chan struct{} }

func (r blockingReader) Read([]byte) (int, error) { <-r.c; return 0, io.ErrUnexpectedEOF }

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("client went away") }
