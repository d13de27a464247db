// Package cors is the cross-origin resource sharing of S3 buckets: the
// CORSConfiguration document of PutBucketCors (Parse, Config.Marshal) and
// the rule a browser's request matches (Config.Preflight for OPTIONS,
// Config.Actual for the request itself). It is pure: no I/O, no clock.
//
//	cfg, err := cors.Parse(body) // ErrMalformed or *InvalidError, as S3 answers
//	stored := cfg.Marshal()      // the canonical document GetBucketCors returns
//	if m, ok := cfg.Actual(origin, "GET"); ok {
//		m.Apply(w.Header(), origin, nil)
//	}
//
// # Contract
//
// Parse accepts what Amazon S3 accepts and refuses the rest with its error:
//   - MalformedXML (ErrMalformed): not well-formed XML, a DOCTYPE, a root
//     other than CORSConfiguration, an element or text S3 does not know
//     (names are case-sensitive; a namespace or prefix is ignored), no rule
//     or more than MaxRules, a rule without AllowedOrigin or AllowedMethod,
//     an ID of more than 255 characters, ID or MaxAgeSeconds given twice, a
//     MaxAgeSeconds that is not decimal digits within 0..2147483647. These
//     structural checks cover the whole document before any of the next.
//   - InvalidRequest (*InvalidError), rule by rule, and in a rule in this
//     order: an AllowedMethod other than GET, PUT, POST, DELETE, HEAD (exact
//     case); an AllowedOrigin or AllowedHeader with more than one "*"; an
//     ExposeHeader with a "*".
//
// Values are kept as given (case and whitespace). Marshal writes the
// elements of a rule in the order GetBucketCors does: ID, AllowedMethod,
// AllowedOrigin, AllowedHeader, MaxAgeSeconds, ExposeHeader; Parse of
// Marshal gives the same Config.
//
// Matching takes the first rule that allows the origin, the method and,
// for a preflight, every name of Access-Control-Request-Headers:
//   - An AllowedOrigin is compared with the Origin as text, case-sensitive;
//     its one "*" stands for any run of characters (the text before and
//     after it must both fit, without overlapping). "*" alone allows every
//     origin.
//   - Methods compare exactly ("GET", never "get").
//   - Header names compare case-insensitively, after trimming spaces, with
//     the AllowedHeader's "*" as for origins; empty names are skipped.
//     Actual requests are not matched by their headers.
//
// A match's headers (Match.Apply) are Access-Control-Allow-Origin ("*"
// when the rule lists the literal origin "*", else the request's Origin,
// then with Access-Control-Allow-Credentials: true),
// Access-Control-Allow-Methods (the rule's methods), on a preflight
// Access-Control-Allow-Headers (the requested names, lowercase),
// Access-Control-Expose-Headers and Access-Control-Max-Age when the rule
// has them, and Vary: Origin, Access-Control-Request-Headers,
// Access-Control-Request-Method. A request that matches no rule gets none.
package cors
