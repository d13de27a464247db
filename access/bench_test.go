package access

import (
	"net/netip"
	"testing"
)

// BenchmarkDecide: the cost of one decision for a key that is not the
// owner, without a policy and with a three-statement policy with conditions.
func BenchmarkDecide(b *testing.B) {
	pol, err := ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":{"AWS":["OTHER"]},"Action":["s3:Get*"],"Resource":"arn:aws:s3:::b/shared/*"},
	 {"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":"shared/*"}}},
	 {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/shared/secret*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`), "b")
	if err != nil {
		b.Fatal(err)
	}
	r := Request{Action: "s3:GetObject", Bucket: "b", Key: "shared/photos/cat.jpg", SourceIP: netip.MustParseAddr("10.1.2.3"), Values: map[string]string{}}
	for _, c := range []struct {
		name string
		b    Bucket
	}{{"owner-only", Bucket{Exists: true, Owner: "c-other"}}, {"policy", Bucket{Exists: true, Owner: "c-owner", Policy: pol}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if Decide(other, r, c.b) != Allow {
					b.Fatal("denied")
				}
			}
		})
	}
}
