package log

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// fastTypes are the event types with a hand-written codec in codec_fast.go.
var fastTypes = []Event{
	ObjectCommitted{}, PutStarted{}, ShardWritten{}, ShardFailed{},
	ObjectDeleted{}, ShardsPurged{}, PartCommitted{}, PurgeQueued{},
}

// TestFastCodecMatchesReflection encodes random values of every type with a
// hand-written codec both ways and requires the same bytes, then decodes
// those bytes both ways and requires the same value. Random values fill
// every field by reflection, so a field added to a struct and forgotten in
// codec_fast.go fails here.
func TestFastCodecMatchesReflection(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, zero := range fastTypes {
		typ := reflect.TypeOf(zero)
		t.Run(typ.Name(), func(t *testing.T) {
			if typ := zero.EventType(); !fastVersionOK(typ, schemas[typ].version) {
				t.Fatalf("schema %s is at version %d with other structs for older versions: the hand-written codec cannot serve it", typ, schemas[typ].version)
			}
			for i := range 500 {
				v := reflect.New(typ).Elem()
				if i > 0 { // the first value is the zero value
					randomFill(rng, v)
				}
				ev := v.Interface().(Event)
				checkFastCodec(t, ev)
			}
		})
	}
	for _, ev := range samples {
		if _, ok := appendPayloadFast(nil, ev); ok {
			checkFastCodec(t, ev)
		}
	}
}

func checkFastCodec(t *testing.T, ev Event) {
	t.Helper()
	want, err := encodePayloadReflect(nil, ev)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := appendPayloadFast(nil, ev)
	if !ok {
		t.Fatalf("%T has no hand-written codec", ev)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%#v\nhand-written: %x\nreflective:   %x", ev, got, want)
	}
	rec := appendRecord(nil, ev.EventType(), goldenTime, want)
	body := rec[:len(rec)-crcSize]
	fast, ts, ok := decodeEnvelopeFast(body)
	if !ok || ts != goldenTime {
		t.Fatalf("%#v: hand-written decoder refuses its own bytes %x", ev, want)
	}
	slow, _, err := decodeEnvelopeReflect(body)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("decoded\nhand-written: %#v\nreflective:   %#v", fast, slow)
	}
}

// randomFill sets v to a random value, with the values an encoder must get
// right: nil and empty collections, strings on each length boundary, and
// integers on each width boundary.
func randomFill(rng *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(randomString(rng))
	case reflect.Int, reflect.Int64:
		v.SetInt(randomInt(rng))
	case reflect.Uint64:
		v.SetUint(uint64(randomInt(rng)))
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Array:
		for i := range v.Len() {
			randomFill(rng, v.Index(i))
		}
	case reflect.Uint8:
		v.SetUint(uint64(rng.IntN(256)))
	case reflect.Struct:
		for i := range v.NumField() {
			randomFill(rng, v.Field(i))
		}
	case reflect.Pointer:
		if rng.IntN(3) > 0 {
			v.Set(reflect.New(v.Type().Elem()))
			randomFill(rng, v.Elem())
		}
	case reflect.Slice:
		n := randomLen(rng)
		if n < 0 {
			return // nil
		}
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			randomFill(rng, v.Index(i))
		}
	case reflect.Map:
		n := randomLen(rng)
		if n < 0 {
			return // nil
		}
		v.Set(reflect.MakeMapWithSize(v.Type(), n))
		for range n {
			k := reflect.New(v.Type().Key()).Elem()
			e := reflect.New(v.Type().Elem()).Elem()
			randomFill(rng, k)
			randomFill(rng, e)
			v.SetMapIndex(k, e)
		}
	default:
		panic("randomFill: no generator for " + v.Type().String())
	}
}

// randomLen returns -1 (nil) a quarter of the time, else a length, now and
// then past the 15 elements of msgpack's fixarray and fixmap.
func randomLen(rng *rand.Rand) int {
	switch rng.IntN(8) {
	case 0, 1:
		return -1
	case 2:
		return 0
	case 3:
		return 14 + rng.IntN(6)
	}
	return 1 + rng.IntN(4)
}

func randomString(rng *rand.Rand) string {
	lengths := []int{0, 1, 31, 32, 255, 256, 65535, 65536}
	n := rng.IntN(40)
	if rng.IntN(4) == 0 {
		n = lengths[rng.IntN(len(lengths))]
	}
	var b strings.Builder
	for range n {
		b.WriteByte(byte(rng.IntN(256)))
	}
	return b.String()
}

func randomInt(rng *rand.Rand) int64 {
	edges := []int64{0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
		-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64}
	if rng.IntN(2) == 0 {
		return edges[rng.IntN(len(edges))]
	}
	return int64(rng.Uint64()) >> rng.IntN(64)
}

// TestFastDecodeRefusesNonCanonical feeds the hand-written decoder payloads
// it must leave to the reflective decoder (which still decodes them).
func TestFastDecodeRefusesNonCanonical(t *testing.T) {
	cases := map[string][]byte{
		"keys out of order":   {0x82, 0xa3, 'k', 'e', 'y', 0xa1, 'k', 0xa6, 'b', 'u', 'c', 'k', 'e', 't', 0xa1, 'b'},
		"nil string":          {0x82, 0xa6, 'b', 'u', 'c', 'k', 'e', 't', 0xc0, 0xa3, 'k', 'e', 'y', 0xa1, 'k'},
		"bin string":          {0x82, 0xa6, 'b', 'u', 'c', 'k', 'e', 't', 0xc4, 0x01, 'b', 0xa3, 'k', 'e', 'y', 0xa1, 'k'},
		"unknown key":         {0x83, 0xa6, 'b', 'u', 'c', 'k', 'e', 't', 0xa1, 'b', 0xa3, 'k', 'e', 'y', 0xa1, 'k', 0xa1, 'x', 0x01},
		"str8 key":            {0x82, 0xd9, 0x06, 'b', 'u', 'c', 'k', 'e', 't', 0xa1, 'b', 0xa3, 'k', 'e', 'y', 0xa1, 'k'},
		"key missing":         {0x81, 0xa6, 'b', 'u', 'c', 'k', 'e', 't', 0xa1, 'b'},
		"map16 of two fields": {0xde, 0x00, 0x02, 0xa6, 'b', 'u', 'c', 'k', 'e', 't', 0xa1, 'b', 0xa3, 'k', 'e', 'y', 0xa1, 'k'},
	}
	for name, payload := range cases {
		t.Run(name, func(t *testing.T) {
			rec := appendRecord(nil, TypeObjectDeleted, goldenTime, payload)
			body := rec[:len(rec)-crcSize]
			_, _, fastOK := decodeEnvelopeFast(body)
			want, _, wantErr := decodeEnvelopeReflect(body)
			got, _, err := Decode(rec)
			if (err == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
				t.Fatalf("Decode = %#v, %v; reflective = %#v, %v", got, err, want, wantErr)
			}
			if fastOK && name != "map16 of two fields" {
				t.Errorf("hand-written decoder accepted it")
			}
		})
	}
}

func TestFastDecodeBoundsLengths(t *testing.T) {
	// A str32 and a map32 that declare far more than the input holds.
	for _, payload := range [][]byte{
		{0x82, 0xa6, 'b', 'u', 'c', 'k', 'e', 't', 0xdb, 0xff, 0xff, 0xff, 0xff},
		{0xdf, 0xff, 0xff, 0xff, 0xff},
		append(append([]byte{0x84, 0xa6, 'b', 'u', 'c', 'k', 'e', 't', 0xa0, 0xa3, 'k', 'e', 'y', 0xa0, 0xa4, 'b', 'l', 'o', 'b', 0xc4, 0x10},
			make([]byte, 16)...), 0xa4, 'm', 'e', 't', 'a', 0x84, 0xa4, 's', 'i', 'z', 'e', 0x00, 0xa4, 'e', 't', 'a', 'g', 0xa0,
			0xa5, 'm', 't', 'i', 'm', 'e', 0x00, 0xa3, 'h', 'd', 'r', 0xdf, 0x7f, 0xff, 0xff, 0xff),
	} {
		rec := appendRecord(nil, TypeObjectCommitted, goldenTime, payload)
		allocs := testing.AllocsPerRun(10, func() {
			if _, _, ok := decodeEnvelopeFast(rec[:len(rec)-crcSize]); ok {
				t.Fatalf("accepted %x", payload)
			}
		})
		if allocs > 2 {
			t.Errorf("%x: %v allocations for a refused payload", payload, allocs)
		}
	}
}
