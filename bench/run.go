package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// maxErrorSamples is how many error messages a Result keeps.
const maxErrorSamples = 5

// Run runs cfg.Workload against cfg.Target once (cfg.Baseline is ignored;
// use Compare for a baseline). It creates the bucket and the objects GET,
// mixed and LIST read (Prepare) first, untimed. Errors of single
// operations are counted in the Result, which is then not Valid; Run
// returns an error only when it cannot run at all.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	w, err := cfg.Workload.withDefaults()
	if err != nil {
		return nil, err
	}
	e, err := cfg.Target.withDefaults()
	if err != nil {
		return nil, err
	}
	r, err := newRunner(e, w)
	if err != nil {
		return nil, err
	}
	if err := r.prepare(ctx); err != nil {
		return nil, err
	}
	res := r.run(ctx, w.Duration, w.Ops, newProgress(cfg.Progress, label(cfg, w)+" "+e.Name, w.Duration, w.Ops))
	res.finish()
	return res, nil
}

// Prepare creates e's bucket when missing and the w.Objects objects that
// GET, mixed and LIST workloads read. Keys and sizes depend only on w, so
// a second Prepare with the same workload rewrites the same objects.
func Prepare(ctx context.Context, e Endpoint, w Workload) error {
	w, err := w.withDefaults()
	if err != nil {
		return err
	}
	if e, err = e.withDefaults(); err != nil {
		return err
	}
	r, err := newRunner(e, w)
	if err != nil {
		return err
	}
	return r.prepare(ctx)
}

func label(cfg Config, w Workload) string {
	if cfg.Label != "" {
		return cfg.Label
	}
	return w.String()
}

// runner runs one workload against one endpoint, possibly several times.
type runner struct {
	e      Endpoint
	w      Workload
	client *s3.Client
	data   []byte // the bytes every PUT sends (a prefix of)
	runs   atomic.Int64
	token  string // makes PUT keys unique across runners
	// prepareErr is why the bucket could not be made, kept as the first
	// error sample of every run.
	prepareErr string
}

func newRunner(e Endpoint, w Workload) (*runner, error) {
	client, err := newClient(e, w.Concurrency)
	if err != nil {
		return nil, err
	}
	data := make([]byte, w.maxObject())
	rng := rand.NewChaCha8([32]byte{byte(w.Seed), byte(w.Seed >> 8), 'p', 'r', 'i', 's', 'm'})
	_, _ = rng.Read(data)
	return &runner{e: e, w: w, client: client, data: data, token: fmt.Sprintf("%08x", rand.Uint32())}, nil
}

func (r *runner) objectKey(i int) string { return fmt.Sprintf("%sobj-%07d", r.w.Prefix, i) }

// objectSize is the size of prepared object i: fixed, or random in
// [Size, MaxSize] but the same for every Prepare of the workload.
func (r *runner) objectSize(i int) int64 {
	if r.w.MaxSize <= r.w.Size {
		return r.w.Size
	}
	rng := rand.New(rand.NewPCG(r.w.Seed, uint64(i)))
	return r.w.Size + rng.Int64N(r.w.MaxSize-r.w.Size+1)
}

func (r *runner) ensureBucket(ctx context.Context) error {
	if _, err := r.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &r.e.Bucket}); err == nil {
		return nil
	}
	_, err := r.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &r.e.Bucket})
	var owned *types.BucketAlreadyOwnedByYou
	var exists *types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		return fmt.Errorf("%w: %s: create bucket %s: %v", ErrPrepare, r.e.Name, r.e.Bucket, err)
	}
	return nil
}

// prepare makes the bucket and the objects the workload reads. A PUT
// workload runs even when the bucket cannot be made (wrong credentials, a
// server that is down): then every PUT fails and the result says so.
func (r *runner) prepare(ctx context.Context) error {
	if err := r.ensureBucket(ctx); err != nil {
		if r.w.Op == OpPut {
			r.prepareErr = err.Error()
			return nil
		}
		return err
	}
	if r.w.Op == OpPut {
		return nil
	}
	next := atomic.Int64{}
	errc := make(chan error, r.w.Concurrency)
	var wg sync.WaitGroup
	for range min(r.w.Concurrency, r.w.Objects) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= r.w.Objects {
					return
				}
				if err := r.put(ctx, r.objectKey(i), r.objectSize(i)); err != nil {
					errc <- fmt.Errorf("%w: %s: put %s: %v", ErrPrepare, r.e.Name, r.objectKey(i), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

func (r *runner) put(ctx context.Context, key string, size int64) error {
	ctx, cancel := context.WithTimeout(ctx, r.w.OpTimeout)
	defer cancel()
	_, err := r.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        &r.e.Bucket,
		Key:           &key,
		Body:          bytes.NewReader(r.data[:size]),
		ContentLength: aws.Int64(size),
	}, unsignedPayload)
	return err
}

// get reads key to the end and returns the bytes read.
func (r *runner) get(ctx context.Context, key string, buf []byte) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, r.w.OpTimeout)
	defer cancel()
	out, err := r.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &r.e.Bucket, Key: &key})
	if err != nil {
		return 0, err
	}
	defer out.Body.Close()
	n, err := io.CopyBuffer(io.Discard, out.Body, buf)
	if err != nil {
		return n, err
	}
	if out.ContentLength != nil && n != *out.ContentLength {
		return n, fmt.Errorf("get %s: read %d bytes, Content-Length %d", key, n, *out.ContentLength)
	}
	return n, nil
}

// del deletes key.
func (r *runner) del(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, r.w.OpTimeout)
	defer cancel()
	_, err := r.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &r.e.Bucket, Key: &key})
	return err
}

// list reads one page of keys after a random prepared key and returns its length.
func (r *runner) list(ctx context.Context, after string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, r.w.OpTimeout)
	defer cancel()
	out, err := r.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket:     &r.e.Bucket,
		Prefix:     aws.String(r.w.Prefix + "obj-"),
		StartAfter: aws.String(after),
		MaxKeys:    aws.Int32(int32(r.w.ListMaxKeys)),
	})
	if err != nil {
		return 0, err
	}
	return int64(len(out.Contents)), nil
}

// run runs the workload for at most d and ops operations, after writing
// the page cache back.
func (r *runner) run(ctx context.Context, d time.Duration, ops int64, p *progress) *Result {
	runID := r.runs.Add(1)
	res := newResult(r.e, r.w)
	if r.prepareErr != "" {
		res.errs = append(res.errs, "prepare: "+r.prepareErr)
	}
	writeBack() // untimed: see writeBack
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var started atomic.Int64
	workers := make([]*recorder, r.w.Concurrency)
	cpuBefore, cpuOK := sampleCPU(r.e.Processes)
	start := time.Now()
	var wg sync.WaitGroup
	for wi := range workers {
		rec := newRecorder(p)
		workers[wi] = rec
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(r.w.Seed+uint64(runID)<<32, uint64(wi)))
			buf := make([]byte, 256<<10)
			var written []string // keys this worker PUT and has not deleted
			for ctx.Err() == nil {
				n := started.Add(1)
				if n > ops {
					return
				}
				op := r.w.Op
				if op == OpMixed {
					switch x := rng.Float64(); {
					case x < r.w.GetRatio:
						op = OpGet
					case x < r.w.GetRatio+r.w.DeleteRatio:
						op = OpDelete
					default:
						op = OpPut
					}
				}
				t0 := time.Now()
				var bytes, items int64
				var err error
				switch op {
				case OpPut:
					size := r.w.Size
					if r.w.MaxSize > r.w.Size {
						size += rng.Int64N(r.w.MaxSize - r.w.Size + 1)
					}
					key := fmt.Sprintf("%sput-%s-%d-%d-%d", r.w.Prefix, r.token, runID, wi, n)
					err = r.put(ctx, key, size)
					bytes, items = size, 1
					if err == nil && r.w.Op == OpMixed {
						written = append(written, key)
					}
				case OpDelete:
					key := fmt.Sprintf("%snever-%s-%d-%d-%d", r.w.Prefix, r.token, runID, wi, n)
					if len(written) > 0 {
						key, written = written[len(written)-1], written[:len(written)-1]
					}
					err = r.del(ctx, key)
					items = 1
				case OpGet:
					bytes, err = r.get(ctx, r.objectKey(rng.IntN(r.w.Objects)), buf)
					items = 1
				case OpList:
					items, err = r.list(ctx, r.objectKey(rng.IntN(r.w.Objects)))
				}
				lat := time.Since(t0)
				if err != nil && ctx.Err() != nil {
					return // cut short by the end of the run: not an error
				}
				rec.record(op, lat, bytes, items, err)
			}
		}()
	}
	stopProgress := p.start(start)
	wg.Wait()
	res.elapsed = time.Since(start)
	cpuAfter, afterOK := sampleCPU(r.e.Processes)
	res.CPU = cpuBetween(cpuBefore, cpuAfter, cpuOK && afterOK)
	stopProgress()
	for _, rec := range workers {
		res.merge(rec.s, rec.errs)
	}
	return res
}
