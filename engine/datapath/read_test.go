package datapath

import (
	"slices"
	"testing"
)

// TestReadOrder: a read asks the data shards first unless a parity shard's
// region is clearly faster, a gap regions on local disks never show but
// distant regions do; shards not stored are never asked.
func TestReadOrder(t *testing.T) {
	region := func(ms float64) Region { return testRegion{name: "r", score: ms / 1000} }
	for _, tc := range []struct {
		name string
		k    int
		ms   []float64 // the score of each shard's region; < 0: not stored
		want []int
	}{
		{"equal", 2, []float64{2, 2, 2}, []int{0, 1, 2}},
		{"local jitter: a data shard's disk 3 ms slower", 2, []float64{1, 4, 1}, []int{0, 1, 2}},
		{"local jitter: 8 ms slower", 2, []float64{9, 1, 1}, []int{1, 0, 2}},
		{"distant data region (100 ms), near parity (20 ms)", 2, []float64{50, 100, 20}, []int{2, 0, 1}},
		{"parity 35 ms, data 50 ms: not clearly faster", 2, []float64{50, 50, 35}, []int{0, 1, 2}},
		{"parity 30 ms, data 50 ms: clearly faster", 2, []float64{50, 50, 30}, []int{2, 0, 1}},
		{"data shard not stored", 2, []float64{-1, 5, 5}, []int{1, 2}},
		{"3+2, one data region slow", 3, []float64{2, 40, 2, 2, 3}, []int{0, 2, 3, 4, 1}},
	} {
		s := Segment{Geo: Geometry{K: tc.k, M: len(tc.ms) - tc.k, BlockSize: 4096, Size: 1 << 20}}
		for _, ms := range tc.ms {
			if ms < 0 {
				s.Shards = append(s.Shards, nil)
			} else {
				s.Shards = append(s.Shards, region(ms))
			}
		}
		if got := readOrder(s); !slices.Equal(got, tc.want) {
			t.Errorf("%s (%d+%d): order %v, want %v", tc.name, s.Geo.K, s.Geo.M, got, tc.want)
		}
	}
}
