package access

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
)

// operators lists the condition operators, lower-case, and whether each
// is negated (a missing key satisfies it).
var operators = map[string]bool{
	"stringequals": false, "stringnotequals": true,
	"stringequalsignorecase": false, "stringnotequalsignorecase": true,
	"stringlike": false, "stringnotlike": true,
	"numericequals": false, "numericnotequals": true,
	"numericlessthan": false, "numericlessthanequals": false,
	"numericgreaterthan": false, "numericgreaterthanequals": false,
	"bool":      false,
	"ipaddress": false, "notipaddress": true,
}

func parseCondition(op, key string, raw json.RawMessage) (Condition, error) {
	lop := strings.ToLower(op)
	c := Condition{Key: normalizeKey(key)}
	if base, ok := strings.CutSuffix(lop, "ifexists"); ok {
		lop, c.IfExists = base, true
	}
	if _, ok := operators[lop]; !ok {
		return c, malformed("Invalid Condition type : %s", op)
	}
	c.Op = lop
	if key == "" {
		return c, malformed("Condition %s has an empty key", op)
	}
	vals, err := conditionValues(raw)
	if err != nil {
		return c, malformed("Condition %s %s: %v", op, key, err)
	}
	c.Values = vals
	for _, v := range vals {
		switch {
		case strings.HasPrefix(lop, "numeric"):
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				return c, malformed("Condition %s %s: %q is not a number", op, key, v)
			}
		case lop == "bool":
			if _, err := strconv.ParseBool(v); err != nil {
				return c, malformed("Condition %s %s: %q is not true or false", op, key, v)
			}
		case lop == "ipaddress" || lop == "notipaddress":
			p, err := parsePrefix(v)
			if err != nil {
				return c, malformed("Condition %s %s: %q is not an IP address or CIDR block", op, key, v)
			}
			c.prefixes = append(c.prefixes, p)
		}
	}
	return c, nil
}

// conditionValues reads a string, number or bool, or a list of them.
func conditionValues(raw json.RawMessage) ([]string, error) {
	var list []any
	if err := json.Unmarshal(raw, &list); err != nil {
		var one any
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, err
		}
		list = []any{one}
	}
	if len(list) == 0 {
		return nil, errEmptyValues
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case float64:
			out = append(out, strconv.FormatFloat(v, 'f', -1, 64))
		case bool:
			out = append(out, strconv.FormatBool(v))
		default:
			return nil, errEmptyValues
		}
	}
	return out, nil
}

type valueError string

func (e valueError) Error() string { return string(e) }

const errEmptyValues = valueError("values must be strings, numbers or booleans, at least one")

func parsePrefix(v string) (netip.Prefix, error) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// normalizeKey lower-cases a condition key up to its first "/": key names
// are case-insensitive, the tag name after s3:ExistingObjectTag/ is not.
func normalizeKey(k string) string {
	name, rest, ok := strings.Cut(k, "/")
	if !ok {
		return strings.ToLower(k)
	}
	return strings.ToLower(name) + "/" + rest
}

// holds reports whether the condition holds for the request.
func (c *Condition) holds(r *Request) bool {
	if c.prefixes != nil && c.Key == "aws:sourceip" {
		return c.holdsIP(r.SourceIP)
	}
	v, ok := r.value(c.Key)
	if !ok {
		return c.IfExists || operators[c.Op]
	}
	any := false
	for _, want := range c.Values {
		if c.matches(v, want) {
			any = true
			break
		}
	}
	if operators[c.Op] { // negated: holds when no value matches
		return !any
	}
	return any
}

// holdsIP is holds for an IP operator on aws:SourceIp.
func (c *Condition) holdsIP(a netip.Addr) bool {
	if !a.IsValid() {
		return c.IfExists || operators[c.Op]
	}
	a = a.Unmap()
	in := false
	for _, p := range c.prefixes {
		if p.Contains(a) {
			in = true
			break
		}
	}
	return in != operators[c.Op]
}

// matches applies the operator (its positive form) to one value.
func (c *Condition) matches(have, want string) bool {
	switch c.Op {
	case "stringequals", "stringnotequals":
		return have == want
	case "stringequalsignorecase", "stringnotequalsignorecase":
		return strings.EqualFold(have, want)
	case "stringlike", "stringnotlike":
		return match(want, have, false)
	case "bool":
		h, err1 := strconv.ParseBool(have)
		w, err2 := strconv.ParseBool(want)
		return err1 == nil && err2 == nil && h == w
	case "ipaddress", "notipaddress":
		a, err := netip.ParseAddr(have)
		p, err2 := parsePrefix(want)
		return err == nil && err2 == nil && p.Contains(a.Unmap())
	}
	h, err1 := strconv.ParseFloat(have, 64)
	w, err2 := strconv.ParseFloat(want, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	switch c.Op {
	case "numericequals", "numericnotequals":
		return h == w
	case "numericlessthan":
		return h < w
	case "numericlessthanequals":
		return h <= w
	case "numericgreaterthan":
		return h > w
	case "numericgreaterthanequals":
		return h >= w
	}
	return false
}

// match reports whether s matches pattern, where * matches any run of
// characters and ? any one character.
func match(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	return matchLower(pattern, s, false)
}

// matchLower is match without folding; with lowerS, the ASCII letters of
// s are compared lower-cased (an action name against a lower-case
// pattern, without allocating).
func matchLower(pattern, s string, lowerS bool) bool {
	px, sx := 0, 0
	star, mark := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == at(s, sx, lowerS)):
			px++
			sx++
		case px < len(pattern) && pattern[px] == '*':
			star, mark = px, sx
			px++
		case star >= 0:
			px = star + 1
			mark++
			sx = mark
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// at is s[i], lower-cased when lower and it is an ASCII capital.
func at(s string, i int, lower bool) byte {
	c := s[i]
	if lower && 'A' <= c && c <= 'Z' {
		c += 'a' - 'A'
	}
	return c
}
