package s3

import (
	"strconv"
	"strings"
)

// maxListBuckets is the largest max-buckets AWS accepts.
const maxListBuckets = 10000

// listBucketsQuery is what ListBuckets was asked for: prefix and
// bucket-region filter the buckets, continuation-token starts after the
// bucket it names, max-buckets (1..10000) pages; without max-buckets every
// bucket is listed, as on AWS.
type listBucketsQuery struct {
	prefix, region string
	after          string
	max            int // 0: no limit
}

func parseListBucketsQuery(rq *request) (listBucketsQuery, error) {
	q := rq.q
	lq := listBucketsQuery{prefix: q.Get("prefix"), region: q.Get("bucket-region")}
	if raw := q.Get("max-buckets"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxListBuckets || strings.ContainsAny(raw, "+-") {
			return lq, badArgument("max-buckets", raw, "Argument max-buckets must be an integer between 1 and %d", maxListBuckets)
		}
		lq.max = n
	}
	if tok := q.Get("continuation-token"); tok != "" {
		after, err := decodeToken(tok)
		if err != nil {
			return lq, err
		}
		lq.after = after
	}
	return lq, nil
}

func handleListBuckets(s *Server, rq *request) (*response, error) {
	lq, err := parseListBucketsQuery(rq)
	if err != nil {
		return nil, err
	}
	bs, err := s.engine().ListBuckets(rq.ctx())
	if err != nil {
		return nil, err
	}
	k := rq.auth.Key
	root := s.engine().RootAccessKey()
	out := listAllMyBucketsResult{Xmlns: s3NS, Owner: ownerOf(k.AccessKey), Buckets: []bucketItem{}}
	if rq.q.Has("prefix") {
		out.Prefix = &lq.prefix
	}
	for _, b := range bs { // in name order
		loc := b.Location
		if loc == "" {
			loc = s.region()
		}
		switch {
		case !listsBucket(k, root, b), b.Name <= lq.after,
			!strings.HasPrefix(b.Name, lq.prefix), lq.region != "" && loc != lq.region:
			continue
		}
		if lq.max > 0 && len(out.Buckets) == lq.max {
			tok := encodeToken(out.Buckets[len(out.Buckets)-1].Name)
			out.ContinuationToken = &tok
			break
		}
		out.Buckets = append(out.Buckets, bucketItem{Name: b.Name, CreationDate: timeISO(b.Created), BucketRegion: loc})
	}
	return xmlResponse(out), nil
}
