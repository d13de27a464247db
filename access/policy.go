package access

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
)

// MaxPolicySize is the largest bucket policy accepted, as on AWS (20 KiB).
const MaxPolicySize = 20 << 10

// Policy is a parsed bucket policy.
type Policy struct {
	Statements []Statement
	keys       map[string]bool // the condition keys the statements read
	readsTags  bool            // a condition reads an ExistingTagKey
}

// ExistingTagKey is the normalized prefix of the s3:ExistingObjectTag/<tag>
// condition keys.
const ExistingTagKey = "s3:existingobjecttag/"

// ReadsTags reports whether a condition reads the tags of the object a
// request acts on (s3:ExistingObjectTag/<tag>).
func (p *Policy) ReadsTags() bool { return p != nil && p.readsTags }

// Reads reports whether a condition of the policy reads the condition key
// (normalized, as "aws:sourceip" or "s3:x-amz-acl"), so that a caller
// gathers only what the policy can look at.
func (p *Policy) Reads(key string) bool { return p.keys[key] }

// Statement is one statement of a policy.
type Statement struct {
	Sid         string
	Deny        bool
	Principals  []string // "*" or ids
	Actions     []string // lower-case patterns
	NotAction   bool
	Resources   []string
	NotResource bool
	Conditions  []Condition
}

// Condition is one operator on one key with its values.
type Condition struct {
	Op       string // the operator without IfExists
	IfExists bool
	Key      string // normalized (see normalizeKey)
	Values   []string
	prefixes []netip.Prefix // IpAddress / NotIpAddress: Values parsed
}

type rawPolicy struct {
	Version   string          `json:"Version"`
	ID        string          `json:"Id"`
	Statement json.RawMessage `json:"Statement"`
}

type rawStatement struct {
	Sid          string                                `json:"Sid"`
	Effect       string                                `json:"Effect"`
	Principal    json.RawMessage                       `json:"Principal"`
	NotPrincipal json.RawMessage                       `json:"NotPrincipal"`
	Action       json.RawMessage                       `json:"Action"`
	NotAction    json.RawMessage                       `json:"NotAction"`
	Resource     json.RawMessage                       `json:"Resource"`
	NotResource  json.RawMessage                       `json:"NotResource"`
	Condition    map[string]map[string]json.RawMessage `json:"Condition"`
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformedPolicy}, args...)...)
}

// ParsePolicy parses and validates the policy document of bucket. Every
// error wraps ErrMalformedPolicy and says what is wrong.
func ParsePolicy(doc []byte, bucket string) (*Policy, error) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, malformed("Policies must be valid JSON and the first byte must be '{'")
	}
	if len(doc) > MaxPolicySize {
		return nil, malformed("Policies must be no larger than %d bytes", MaxPolicySize)
	}
	var raw rawPolicy
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, malformed("Policies must be valid JSON: %v", err)
	}
	if dec.More() {
		return nil, malformed("Policies must be one JSON object")
	}
	switch raw.Version {
	case "", "2012-10-17", "2008-10-17":
	default:
		return nil, malformed("The policy must contain a valid version string")
	}
	var raws []rawStatement
	switch t := bytes.TrimSpace(raw.Statement); {
	case len(t) == 0 || string(t) == "null":
		return nil, malformed("Missing required field Statement")
	case t[0] == '[':
		if err := strictUnmarshal(t, &raws); err != nil {
			return nil, malformed("Statement: %v", err)
		}
	default:
		var one rawStatement
		if err := strictUnmarshal(t, &one); err != nil {
			return nil, malformed("Statement: %v", err)
		}
		raws = []rawStatement{one}
	}
	if len(raws) == 0 {
		return nil, malformed("Could not parse the policy: Statement is empty!")
	}
	p := &Policy{keys: map[string]bool{}}
	sids := map[string]bool{}
	for i, rs := range raws {
		st, err := parseStatement(rs, bucket)
		if err != nil {
			return nil, fmt.Errorf("statement %d: %w", i+1, err)
		}
		if st.Sid != "" {
			if sids[st.Sid] {
				return nil, malformed("Statement IDs (SID) in a single policy must be unique: %q", st.Sid)
			}
			sids[st.Sid] = true
		}
		p.Statements = append(p.Statements, st)
		for _, c := range st.Conditions {
			p.keys[c.Key] = true
			p.readsTags = p.readsTags || strings.HasPrefix(c.Key, ExistingTagKey)
		}
	}
	return p, nil
}

func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func parseStatement(rs rawStatement, bucket string) (Statement, error) {
	st := Statement{Sid: rs.Sid}
	switch rs.Effect {
	case "Allow":
	case "Deny":
		st.Deny = true
	case "":
		return st, malformed("Missing required field Effect")
	default:
		return st, malformed("Invalid effect: %s", rs.Effect)
	}
	if len(rs.NotPrincipal) > 0 {
		return st, malformed("NotPrincipal is not supported")
	}
	var err error
	if st.Principals, err = parsePrincipal(rs.Principal); err != nil {
		return st, err
	}
	st.Actions, st.NotAction, err = pickList("Action", rs.Action, rs.NotAction)
	if err != nil {
		return st, err
	}
	for i, a := range st.Actions {
		if a != "*" && !strings.HasPrefix(strings.ToLower(a), "s3:") {
			return st, malformed("Policy has invalid action: %s", a)
		}
		st.Actions[i] = strings.ToLower(a)
	}
	st.Resources, st.NotResource, err = pickList("Resource", rs.Resource, rs.NotResource)
	if err != nil {
		return st, err
	}
	for _, r := range st.Resources {
		if err := checkResource(r, bucket); err != nil {
			return st, err
		}
	}
	for op, keys := range rs.Condition {
		for key, rv := range keys {
			c, err := parseCondition(op, key, rv)
			if err != nil {
				return st, err
			}
			st.Conditions = append(st.Conditions, c)
		}
	}
	return st, nil
}

// pickList reads exactly one of a field and its Not form.
func pickList(name string, pos, neg json.RawMessage) ([]string, bool, error) {
	switch {
	case len(pos) > 0 && len(neg) > 0:
		return nil, false, malformed("A statement cannot have both %s and Not%s", name, name)
	case len(pos) > 0:
		l, err := stringList(name, pos)
		return l, false, err
	case len(neg) > 0:
		l, err := stringList("Not"+name, neg)
		return l, true, err
	}
	return nil, false, malformed("Missing required field %s", name)
}

// stringList reads a JSON string or a non-empty list of strings.
func stringList(name string, raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		if one == "" {
			return nil, malformed("%s must not be empty", name)
		}
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil || len(many) == 0 {
		return nil, malformed("%s must be a string or a non-empty list of strings", name)
	}
	for _, s := range many {
		if s == "" {
			return nil, malformed("%s must not hold an empty string", name)
		}
	}
	return many, nil
}

func parsePrincipal(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, malformed("Missing required field Principal")
	}
	var star string
	if err := json.Unmarshal(raw, &star); err == nil {
		if star != "*" {
			return nil, malformed("Invalid principal in policy: %q", star)
		}
		return []string{"*"}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		return nil, malformed("Invalid principal in policy")
	}
	var out []string
	for kind, v := range m {
		if kind != "AWS" && kind != "CanonicalUser" {
			return nil, malformed("Invalid principal in policy: unsupported principal type %q", kind)
		}
		ids, err := stringList("Principal "+kind, v)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			p, err := principalID(id)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// principalID reduces an AWS principal to "*" or the id it names: an ARN
// "arn:aws:iam::<account>:root" names <account>, ":user/<name>" names
// <name>; anything else is taken as a canonical id or an access key.
func principalID(s string) (string, error) {
	if s == "*" {
		return s, nil
	}
	rest, ok := strings.CutPrefix(s, "arn:aws:iam::")
	if !ok {
		return s, nil
	}
	account, res, ok := strings.Cut(rest, ":")
	switch {
	case ok && res == "root" && account != "":
		return account, nil
	case ok && strings.HasPrefix(res, "user/") && len(res) > len("user/"):
		return res[strings.LastIndexByte(res, '/')+1:], nil
	}
	return "", malformed("Invalid principal in policy: %q", s)
}

// checkResource refuses a resource outside bucket: an ARN of another
// bucket, another service or a malformed one.
func checkResource(r, bucket string) error {
	if r == "*" {
		return nil
	}
	rest, ok := strings.CutPrefix(r, "arn:aws:s3:::")
	if !ok || rest == "" {
		return malformed("Policy has invalid resource: %s", r)
	}
	b, _, _ := strings.Cut(rest, "/")
	if !match(b, bucket, false) {
		return malformed("Policy has invalid resource: %s (not this bucket)", r)
	}
	return nil
}

// Public reports whether the policy grants something to everyone: an
// Allow statement whose principal is "*" and that no aws:SourceIp
// condition narrows.
func (p *Policy) Public() bool {
	if p == nil {
		return false
	}
	for _, st := range p.Statements {
		if !st.Deny && st.everyone() && !st.narrowedByIP() {
			return true
		}
	}
	return false
}

func (st *Statement) everyone() bool {
	for _, p := range st.Principals {
		if p == "*" {
			return true
		}
	}
	return false
}

func (st *Statement) narrowedByIP() bool {
	for _, c := range st.Conditions {
		if c.Key == "aws:sourceip" && c.Op == "ipaddress" && !c.IfExists {
			for _, v := range c.Values {
				if strings.HasSuffix(v, "/0") {
					return false
				}
			}
			return true
		}
	}
	return false
}
