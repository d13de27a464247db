package postform

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PolicyError is a policy that is malformed (Malformed: S3's
// InvalidPolicyDocument) or that the form does not satisfy (AccessDenied).
// Message is S3's message.
type PolicyError struct {
	Malformed bool
	Message   string
}

func (e *PolicyError) Error() string { return e.Message }

func malformed(format string, args ...any) error {
	return &PolicyError{Malformed: true, Message: "Invalid Policy: " + fmt.Sprintf(format, args...)}
}

func refused(format string, args ...any) error {
	return &PolicyError{Message: "Invalid according to Policy: " + fmt.Sprintf(format, args...)}
}

// LengthError is a file outside a content-length-range.
type LengthError struct {
	TooLarge  bool
	Size      int64
	Min, Max  int64
	Condition string
}

func (e *LengthError) Error() string {
	if e.TooLarge {
		return fmt.Sprintf("postform: %d bytes is more than the %d allowed", e.Size, e.Max)
	}
	return fmt.Sprintf("postform: %d bytes is less than the %d required", e.Size, e.Min)
}

// Condition operators.
const (
	OpEq         = "eq"
	OpStartsWith = "starts-with"
	OpRange      = "content-length-range"
)

// Condition is one policy condition.
type Condition struct {
	Op       string
	Field    string // lower case, without '$'; "" for content-length-range
	Value    string
	Min, Max int64
}

// String is the condition as S3 names it in a refusal.
func (c Condition) String() string {
	if c.Op == OpRange {
		return fmt.Sprintf(`["%s", %d, %d]`, c.Op, c.Min, c.Max)
	}
	v, _ := json.Marshal(c.Value)
	return fmt.Sprintf(`["%s", "$%s", %s]`, c.Op, c.Field, v)
}

// Policy is a decoded POST policy.
type Policy struct {
	Expiration time.Time
	Conditions []Condition
}

// maxPolicy bounds a decoded policy document.
const maxPolicy = 20 << 10

// ParsePolicy decodes a base64 policy document.
func ParsePolicy(b64 string) (*Policy, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, malformed("Invalid base64 encoding.")
	}
	if len(raw) > maxPolicy {
		return nil, malformed("Policy document too large.")
	}
	return parsePolicyJSON(raw)
}

func parsePolicyJSON(raw []byte) (*Policy, error) {
	dec := json.NewDecoder(bytes.NewReader(unescapeDollar(raw)))
	dec.UseNumber()
	var doc map[string]json.RawMessage
	if err := dec.Decode(&doc); err != nil || dec.More() {
		return nil, malformed("Invalid JSON.")
	}
	p := &Policy{}
	for k := range doc {
		if k != "expiration" && k != "conditions" {
			return nil, malformed("Unexpected field: '%s'.", k)
		}
	}
	exp, ok := doc["expiration"]
	if !ok {
		return nil, malformed("Policy missing expiration.")
	}
	var es string
	if json.Unmarshal(exp, &es) != nil {
		return nil, malformed("Invalid 'expiration' value: must be a string.")
	}
	t, err := parseExpiration(es)
	if err != nil {
		return nil, malformed("Invalid 'expiration' value: '%s'", es)
	}
	p.Expiration = t
	cs, ok := doc["conditions"]
	if !ok {
		return nil, malformed("Policy missing conditions.")
	}
	var list []json.RawMessage
	if err := unmarshalNumbers(cs, &list); err != nil {
		return nil, malformed("'conditions' must be an array.")
	}
	for _, c := range list {
		conds, err := parseCondition(c)
		if err != nil {
			return nil, err
		}
		p.Conditions = append(p.Conditions, conds...)
	}
	return p, nil
}

func unmarshalNumbers(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// parseExpiration reads an ISO 8601 UTC time: 2007-12-01T12:00:00.000Z.
func parseExpiration(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05.000Z", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("expiration %q", s)
}

// unescapeDollar turns the policy escape \$ (not JSON) into $.
func unescapeDollar(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\$`)) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			if b[i+1] == '$' {
				out = append(out, '$')
			} else {
				out = append(out, b[i], b[i+1])
			}
			i++
			continue
		}
		out = append(out, b[i])
	}
	return out
}

// parseCondition reads {"field": "value", ...} or [op, ...].
func parseCondition(raw json.RawMessage) ([]Condition, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		var m map[string]json.RawMessage
		if unmarshalNumbers(raw, &m) != nil || len(m) == 0 {
			return nil, malformed("Invalid Simple-Condition: %s", raw)
		}
		var out []Condition
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) != nil {
				return nil, malformed("Invalid Simple-Condition: value must be a string.")
			}
			out = append(out, Condition{Op: OpEq, Field: strings.ToLower(strings.TrimPrefix(k, "$")), Value: s})
		}
		return out, nil
	}
	var arr []json.RawMessage
	if unmarshalNumbers(raw, &arr) != nil || len(arr) == 0 {
		return nil, malformed("Invalid condition: %s", raw)
	}
	var op string
	if json.Unmarshal(arr[0], &op) != nil {
		return nil, malformed("Invalid condition: %s", raw)
	}
	switch op = strings.ToLower(op); op {
	case OpEq, OpStartsWith:
		var field, value string
		if len(arr) != 3 || json.Unmarshal(arr[1], &field) != nil || json.Unmarshal(arr[2], &value) != nil {
			return nil, malformed("Invalid '%s' condition: expecting [\"%s\", \"$field\", \"value\"].", op, op)
		}
		name, ok := strings.CutPrefix(field, "$")
		if !ok || name == "" {
			return nil, malformed("Invalid '%s' condition: the field name must start with '$'.", op)
		}
		return []Condition{{Op: op, Field: strings.ToLower(name), Value: value}}, nil
	case OpRange:
		if len(arr) != 3 {
			return nil, malformed("Invalid content-length-range: expecting [\"content-length-range\", min, max].")
		}
		lo, ok1 := parseLength(arr[1])
		hi, ok2 := parseLength(arr[2])
		if !ok1 || !ok2 {
			return nil, malformed("Invalid content-length-range: min and max must be non-negative integers.")
		}
		return []Condition{{Op: OpRange, Min: lo, Max: hi}}, nil
	}
	return nil, malformed("Invalid condition operator: '%s'.", op)
}

// parseLength reads a non-negative integer, as a JSON number or string.
func parseLength(raw json.RawMessage) (int64, bool) {
	var v any
	if unmarshalNumbers(raw, &v) != nil {
		return 0, false
	}
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

// exempt are the fields no condition needs to name.
func exempt(name string) bool {
	switch name {
	case "x-amz-signature", "file", "policy":
		return true
	}
	return strings.HasPrefix(name, "x-ignore-")
}

// Expired reports whether the policy is past its expiration at now.
func (p *Policy) Expired(now time.Time) bool { return !now.Before(p.Expiration) }

// Check evaluates the field conditions against form for a POST to bucket,
// and refuses fields that no condition names.
func (p *Policy) Check(form *Form, bucket string) error {
	named := map[string]bool{}
	for _, c := range p.Conditions {
		if c.Op == OpRange {
			continue
		}
		named[c.Field] = true
		v, _ := form.Value(c.Field)
		if c.Field == "bucket" {
			v = bucket
		}
		if !c.matches(v) {
			return refused("Policy Condition failed: %s", c)
		}
	}
	var extra []string
	for _, n := range form.Names() {
		if !named[n] && !exempt(n) {
			extra = append(extra, n)
		}
	}
	if len(extra) > 0 {
		return refused("Extra input fields: %s", strings.Join(extra, ", "))
	}
	return nil
}

func (c Condition) matches(v string) bool {
	if c.Op == OpEq {
		return v == c.Value
	}
	if c.Field != "content-type" {
		return strings.HasPrefix(v, c.Value)
	}
	// Content-Type: every type of a comma-separated list must match.
	for _, t := range strings.Split(v, ",") {
		if !strings.HasPrefix(strings.TrimSpace(t), c.Value) {
			return false
		}
	}
	return true
}

// LengthRanges reports whether the policy bounds the file's length.
func (p *Policy) LengthRanges() bool {
	for _, c := range p.Conditions {
		if c.Op == OpRange {
			return true
		}
	}
	return false
}

// CheckLength evaluates every content-length-range against a file of size
// bytes: a *LengthError when one fails.
func (p *Policy) CheckLength(size int64) error {
	for _, c := range p.Conditions {
		if c.Op != OpRange {
			continue
		}
		if size > c.Max {
			return &LengthError{TooLarge: true, Size: size, Min: c.Min, Max: c.Max, Condition: c.String()}
		}
		if size < c.Min {
			return &LengthError{Size: size, Min: c.Min, Max: c.Max, Condition: c.String()}
		}
	}
	return nil
}
