package s3

import (
	"math"
	"net/url"
	"strconv"
	"strings"
)

// Integer query parameters are read as AWS reads them: decimal digits,
// leading zeros allowed, nothing else — strconv.Atoi would also take a
// sign ("+1"). Measured AWS answers (brekkylab/backlot, routers/s3.py,
// _int32_param and _range_refusal): max-keys and max-uploads that are
// empty take their default; a word, a space, a "+" or a value past int32
// is InvalidArgument "Provided <name> not an integer or within integer
// range"; a negative value is InvalidArgument "Argument <name> must be an
// integer between 0 and 2147483647", where max-keys is spelled maxKeys and
// "-0" is 0. Both errors carry ArgumentName and ArgumentValue. max-parts
// and part-number-marker are read the same way.

// parseDigits parses a non-empty run of decimal digits no greater than max.
func parseDigits(s string, max uint64) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n = n*10 + uint64(c-'0'); n > max {
			return 0, false
		}
	}
	return n, true
}

// parseCount reads a count parameter (max-keys, max-uploads, max-parts,
// part-number-marker): def when absent or empty, capped at cap. rangeName
// is how AWS names the parameter when it is negative.
func parseCount(q url.Values, name, rangeName string, def, cap int) (int, error) {
	raw := q.Get(name)
	if raw == "" {
		return def, nil
	}
	digits, negative := strings.CutPrefix(raw, "-")
	limit := uint64(math.MaxInt32)
	if negative {
		limit++ // an int32 reaches one further below zero
	}
	n, ok := parseDigits(digits, limit)
	if !ok {
		return 0, badArgument(name, raw, "Provided %s not an integer or within integer range", name)
	}
	if negative && n > 0 {
		return 0, badArgument(rangeName, "-"+strconv.FormatUint(n, 10), "Argument %s must be an integer between 0 and %d", rangeName, math.MaxInt32)
	}
	return min(int(n), cap), nil
}

// parsePartNumber reads the partNumber query parameter (0 when absent):
// digits, 1 to 10000.
func parsePartNumber(q url.Values) (int, error) {
	if !q.Has("partNumber") {
		return 0, nil
	}
	raw := q.Get("partNumber")
	n, ok := parseDigits(raw, maxParts)
	if !ok || n < 1 {
		return 0, badArgument("partNumber", raw, "Part number must be an integer between 1 and %d, inclusive", maxParts)
	}
	return int(n), nil
}
