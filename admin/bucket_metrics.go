package admin

import (
	"cmp"
	"context"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// bucketCollector reports the objects and bytes of the largest buckets
// (Config.BucketMetrics of them: bounded label cardinality). It walks the
// buckets' objects at scrape time, so it is opt-in.
type bucketCollector struct {
	e   Engine
	top int
}

var (
	descBucketObjects = prometheus.NewDesc("prismd_bucket_objects", "Objects in the bucket (the largest buckets only).", []string{"bucket"}, nil)
	descBucketBytes   = prometheus.NewDesc("prismd_bucket_bytes", "Object bytes in the bucket (the largest buckets only).", []string{"bucket"}, nil)
)

func (c bucketCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descBucketObjects
	ch <- descBucketBytes
}

func (c bucketCollector) Collect(ch chan<- prometheus.Metric) {
	buckets, err := c.e.ListBuckets(context.Background())
	if err != nil {
		return
	}
	type row struct {
		name           string
		objects, bytes int64
	}
	var rows []row
	for _, b := range buckets {
		st, err := c.e.BucketStats(b.Name, statsLimit)
		if err == nil {
			rows = append(rows, row{b.Name, st.Objects, st.Bytes})
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(b.bytes, a.bytes) })
	for _, r := range rows[:min(c.top, len(rows))] {
		ch <- prometheus.MustNewConstMetric(descBucketObjects, prometheus.GaugeValue, float64(r.objects), r.name)
		ch <- prometheus.MustNewConstMetric(descBucketBytes, prometheus.GaugeValue, float64(r.bytes), r.name)
	}
}
