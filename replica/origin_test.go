package replica

import (
	"errors"
	"testing"
	"time"
)

func testOrigin() Origin {
	return Origin{Gateway: testGW, Timeline: 3, Parent: 1, ForkIndex: 1234, ForkTime: time.Date(2025, 3, 4, 5, 6, 7, 891, time.UTC)}
}

func TestOriginEncoding(t *testing.T) {
	data, err := EncodeOrigin(testOrigin())
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"gateway":"gw-0001a","timeline":3,"parent":1,"fork_index":1234,"fork_time":"2025-03-04T05:06:07.000000891Z"}`
	if string(data) != want {
		t.Errorf("EncodeOrigin = %s, want %s", data, want)
	}
	got, err := DecodeOrigin(data)
	if err != nil || got != testOrigin() {
		t.Errorf("DecodeOrigin = %+v, %v", got, err)
	}
}

func TestOriginRefused(t *testing.T) {
	for _, mutate := range []func(*Origin){
		func(o *Origin) { o.Gateway = "short" },
		func(o *Origin) { o.Timeline = 1; o.Parent = 1 },
		func(o *Origin) { o.Parent = 0 },
		func(o *Origin) { o.Parent = o.Timeline },
		func(o *Origin) { o.ForkTime = time.Time{} },
	} {
		o := testOrigin()
		mutate(&o)
		if _, err := EncodeOrigin(o); err == nil {
			t.Errorf("EncodeOrigin(%+v) succeeded", o)
		}
	}
	for _, data := range []string{
		``, `{}`, `null`, `[]`,
		`{"gateway":"gw-0001a","timeline":3,"parent":1,"fork_index":1234,"fork_time":"2025-03-04T05:06:07Z","extra":1}`,
		`{"gateway":"gw-0001a","timeline":3,"parent":1,"fork_index":1234,"fork_time":"2025-03-04T05:06:07Z"} {}`,
		`{"gateway":"gw-0001a","timeline":3,"parent":1,"fork_index":-1,"fork_time":"2025-03-04T05:06:07Z"}`,
		`{"gateway":"gw-0001a","timeline":3,"parent":3,"fork_index":1,"fork_time":"2025-03-04T05:06:07Z"}`,
		`{"gateway":"gw-0001a","timeline":3,"parent":1,"fork_index":1,"fork_time":"yesterday"}`,
	} {
		if o, err := DecodeOrigin([]byte(data)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("DecodeOrigin(%s) = %+v, %v; want ErrCorrupt", data, o, err)
		}
	}
}

func TestPutGetOrigin(t *testing.T) {
	ctx := t.Context()
	s := NewMemStore()
	if _, err := GetOrigin(ctx, s, testKey, testGW, 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetOrigin of none: %v", err)
	}
	if err := PutOrigin(ctx, s, testKey, testOrigin()); err != nil {
		t.Fatal(err)
	}
	if got, err := GetOrigin(ctx, s, testKey, testGW, 3); err != nil || got != testOrigin() {
		t.Errorf("GetOrigin = %+v, %v", got, err)
	}
	// An origin stored under another timeline's name is refused.
	rc, _ := s.Get(ctx, OriginName(testGW, 3))
	if err := s.Put(ctx, OriginName(testGW, 4), rc, SealedSize(int64(len(mustEncodeOrigin(t, testOrigin()))))); err != nil {
		t.Fatal(err)
	}
	if _, err := GetOrigin(ctx, s, testKey, testGW, 4); !errors.Is(err, ErrCorrupt) {
		t.Errorf("GetOrigin of a copied origin: %v, want ErrCorrupt", err)
	}
}

func mustEncodeOrigin(t *testing.T, o Origin) []byte {
	data, err := EncodeOrigin(o)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func FuzzDecodeOrigin(f *testing.F) {
	data, _ := EncodeOrigin(testOrigin())
	f.Add(data)
	f.Add([]byte(`{"gateway":"gw-0001a","timeline":2,"parent":1,"fork_index":0,"fork_time":"2025-03-04T05:06:07+02:00"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := DecodeOrigin(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error that is not ErrCorrupt: %v", err)
			}
			return
		}
		again, err := EncodeOrigin(o)
		if err != nil {
			t.Fatalf("decoded origin %+v does not encode: %v", o, err)
		}
		o2, err := DecodeOrigin(again)
		if err != nil || o2.Gateway != o.Gateway || o2.Timeline != o.Timeline || o2.Parent != o.Parent ||
			o2.ForkIndex != o.ForkIndex || !o2.ForkTime.Equal(o.ForkTime) {
			t.Fatalf("origin %+v re-encoded as %s decodes to %+v, %v", o, again, o2, err)
		}
	})
}
