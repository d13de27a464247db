package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// AuthzReport is what a bucket policy costs a signed GET (issue 13): 4 KiB
// GETs by a key that is not the root key (whose requests skip the check)
// to a bucket with a policy, against the same key's GETs to a bucket
// without one, on the same gateway in interleaved rounds.
type AuthzReport struct {
	// Config is the gateway's prismd.toml, secrets elided.
	Config string `json:"config"`
	// Policy is the policy of the target bucket.
	Policy     string      `json:"policy"`
	Comparison *Comparison `json:"comparison,omitempty"`
}

// The key that makes the requests of the authorization run.
const (
	authzAccessKey = "benchuser"
	authzSecretKey = "benchuser-secret-0123456789"
)

// authzTargetRatio is issue 13's goal: with a policy ≥ 0.97 × without.
const authzTargetRatio = 0.97

// AuthzWorkload is the workload of the authorization run.
func AuthzWorkload() Workload {
	return Workload{Op: OpGet, Size: 4 << 10, Concurrency: 32, Objects: 256}
}

// authzPolicy is a policy the GETs are evaluated against: a Deny that does
// not match them (checked first), then the Allow that grants them.
func authzPolicy(bucket string) string {
	arn := "arn:aws:s3:::" + bucket
	return `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"NoPrivate","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"` + arn + `/private/*"},` +
		`{"Sid":"NoPlainDelete","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"` + arn + `/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},` +
		`{"Sid":"Readers","Effect":"Allow","Principal":{"AWS":["` + authzAccessKey + `"]},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["` + arn + `","` + arn + `/*"]}]}`
}

// authzSet runs the authorization comparison on a gateway over three fs
// regions with a second access key.
func (s *standard) authzSet(ctx context.Context) {
	dir := filepath.Join(s.cfg.WorkDir, "gateway-authz")
	keys := "\n[[access_key]]\naccess_key = %q\nsecret_key = %q\n"
	cfg := fsGatewayConfig(filepath.Join(dir, "regions"))
	rep := &AuthzReport{Config: cfg + fmt.Sprintf(keys, authzAccessKey, "…")}
	s.rep.Authz = rep
	g, err := StartGateway(ctx, s.cfg.PrismdBin, dir, cfg+fmt.Sprintf(keys, authzAccessKey, authzSecretKey), gatewayAccessKey, gatewaySecretKey)
	if err != nil {
		s.fail("authz: prismd", err)
		return
	}
	defer g.Stop(30 * time.Second)
	s.logf("gateway-authz: prismd serve pid %d on %s", g.PID(), g.Endpoint)
	// Twice the rounds of the other comparisons: the goal leaves 3 % of
	// room, about the spread of two equal sides over the usual rounds here.
	rounds := 2 * s.cfg.Rounds
	w := AuthzWorkload()
	w.Duration = s.cfg.RoundDuration * time.Duration(rounds)
	endpoint := func(name, bucket string) Endpoint {
		return Endpoint{Name: name, URL: g.Endpoint, AccessKey: authzAccessKey, SecretKey: authzSecretKey, Bucket: bucket,
			Processes: []ServerProcess{{Role: RoleGateway, PID: g.PID()}}}
	}
	target, base := endpoint("policy", "authz-policy"), endpoint("no policy", "authz-plain")
	rep.Policy = authzPolicy(target.Bucket)
	if err := putPolicy(ctx, target, rep.Policy); err != nil {
		s.fail("authz: bucket policy", err)
		return
	}
	label := "4KiB GET c32, bucket policy / none"
	c, err := Compare(ctx, Config{Target: target, Baseline: &base, Workload: w, Rounds: rounds, Progress: s.cfg.Progress, Label: label})
	if err != nil {
		s.fail("authz: "+label, err)
		return
	}
	s.logf("%s: %.0f obj/s with, %.0f obj/s without, ratio %.3f", label, c.Target.Total.OpsPerSec, c.Baseline.Total.OpsPerSec, c.Ratios.OpsPerSec)
	rep.Comparison = c
}

// putPolicy creates e's bucket (as e's key, who then owns it) and sets its policy.
func putPolicy(ctx context.Context, e Endpoint, policy string) error {
	e, err := e.withDefaults()
	if err != nil {
		return err
	}
	r, err := newRunner(e, AuthzWorkload())
	if err != nil {
		return err
	}
	if err := r.ensureBucket(ctx); err != nil {
		return err
	}
	_, err = r.client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(e.Bucket), Policy: aws.String(policy)})
	return err
}

// authzTargets is issue 13's figure.
func authzTargets(a *AuthzReport) []Target {
	if a == nil {
		return nil
	}
	return []Target{comparisonTarget("GET 4KiB c32 by a non-root key, bucket policy / none, ops/s", a.Comparison, authzTargetRatio, "not measured")}
}

// writeAuthz writes the authorization section of BENCHMARKS.md.
func writeAuthz(b *strings.Builder, a *AuthzReport) {
	fmt.Fprintf(b, "## What a bucket policy costs a signed GET (issue 13)\n\n")
	fmt.Fprintf(b, "One gateway (erasure 2+1 over three fs regions) and a second access key, `%s`, which owns two buckets: one with the policy below, one without. "+
		"Its signed 4 KiB GETs (the root key skips the check, so it is not used) go to the bucket with the policy (target) and to the one without (baseline), in interleaved rounds.\n\n", authzAccessKey)
	if a.Comparison != nil {
		writeComparisonTableVs(b, []*Comparison{a.Comparison}, "policy", "none")
	}
	fmt.Fprintf(b, "```json\n%s\n```\n\n", a.Policy)
}
