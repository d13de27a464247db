package s3

import (
	"net/url"
	"slices"
	"strings"
)

// secretParams are the query parameters (and, for the token, the header)
// whose values are credentials: a presigned URL is a bearer credential for
// up to 7 days. Names are compared in lower case.
var secretParams = []string{"x-amz-signature", "x-amz-credential", "x-amz-security-token"}

const redacted = "REDACTED"

// redactQuery returns a raw query string with the value of every
// secretParams parameter, whatever the case of its name, replaced by
// REDACTED. Everything else is kept byte for byte.
func redactQuery(raw string) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		name, _, _ := strings.Cut(p, "=")
		if isSecretParam(name) {
			parts[i] = name + "=" + redacted
		}
	}
	return strings.Join(parts, "&")
}

func isSecretParam(escapedName string) bool {
	name, err := url.QueryUnescape(escapedName)
	if err != nil {
		name = escapedName
	}
	return slices.Contains(secretParams, strings.ToLower(name))
}

// redactCanonical redacts a SigV4 canonical request for the log: its query
// line and an x-amz-security-token header line.
func redactCanonical(canonical string) string {
	lines := strings.Split(canonical, "\n")
	for i := 2; i < len(lines); i++ {
		if i == 2 {
			lines[i] = redactQuery(lines[i])
			continue
		}
		if name, _, ok := strings.Cut(lines[i], ":"); ok && isSecretParam(name) {
			lines[i] = name + ":" + redacted
		}
	}
	return strings.Join(lines, "\n")
}
