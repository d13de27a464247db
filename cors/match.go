package cors

import (
	"net/http"
	"strings"
)

// Match is the rule a request matched.
type Match struct {
	cfg *Config
	i   int
}

// Rule returns the matched rule.
func (m Match) Rule() *Rule { return &m.cfg.Rules[m.i] }

// Vary is the Vary value of every answer that carries CORS headers.
const Vary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

var (
	varyValue = []string{Vary}
	anyValue  = []string{"*"}
	trueValue = []string{"true"}
)

// Preflight returns the first rule that allows origin, method and every
// name of requestHeaders (the Access-Control-Request-Headers value).
func (c *Config) Preflight(origin, method, requestHeaders string) (Match, bool) {
	names := HeaderNames(requestHeaders)
	for i := range c.Rules {
		if c.allows(i, origin, method) && c.allowsHeaders(i, names) {
			return Match{c, i}, true
		}
	}
	return Match{}, false
}

// Actual returns the first rule that allows origin and method, for the
// request itself (its headers are not matched).
func (c *Config) Actual(origin, method string) (Match, bool) {
	for i := range c.Rules {
		if c.allows(i, origin, method) {
			return Match{c, i}, true
		}
	}
	return Match{}, false
}

func (c *Config) allows(i int, origin, method string) bool {
	r := &c.Rules[i]
	okMethod := false
	for _, m := range r.AllowedMethods {
		if m == method {
			okMethod = true
			break
		}
	}
	if !okMethod {
		return false
	}
	if c.derived[i].anyOrigin {
		return true
	}
	for _, o := range r.AllowedOrigins {
		if wildcardMatch(o, origin) {
			return true
		}
	}
	return false
}

// allowsHeaders reports whether rule i allows every name (lowercase).
func (c *Config) allowsHeaders(i int, names []string) bool {
	for _, n := range names {
		ok := false
		for _, p := range c.derived[i].headers {
			if wildcardMatch(p, n) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// HeaderNames splits an Access-Control-Request-Headers value into its
// names, trimmed and lowercase, without empty ones.
func HeaderNames(v string) []string {
	if v == "" {
		return nil
	}
	var names []string
	for _, n := range strings.Split(v, ",") {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// wildcardMatch reports whether s matches pattern, whose one "*" (if any)
// stands for any run of characters.
func wildcardMatch(pattern, s string) bool {
	i := strings.IndexByte(pattern, '*')
	if i < 0 {
		return pattern == s
	}
	pre, suf := pattern[:i], pattern[i+1:]
	return len(s) >= len(pre)+len(suf) && strings.HasPrefix(s, pre) && strings.HasSuffix(s, suf)
}

// Apply sets the CORS headers of the match on h, for a request from
// origin; requestHeaders is the preflight's Access-Control-Request-Headers
// ("" for an actual request).
func (m Match) Apply(h http.Header, origin, requestHeaders string) {
	dv := &m.cfg.derived[m.i]
	if dv.anyOrigin {
		h["Access-Control-Allow-Origin"] = anyValue
	} else {
		h["Access-Control-Allow-Origin"] = []string{origin}
		h["Access-Control-Allow-Credentials"] = trueValue
	}
	h["Access-Control-Allow-Methods"] = dv.methods
	if names := HeaderNames(requestHeaders); len(names) > 0 {
		h["Access-Control-Allow-Headers"] = []string{strings.Join(names, ", ")}
	}
	if dv.expose != nil {
		h["Access-Control-Expose-Headers"] = dv.expose
	}
	if dv.maxAge != nil {
		h["Access-Control-Max-Age"] = dv.maxAge
	}
	h["Vary"] = varyValue
}
