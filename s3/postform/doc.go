// Package postform reads S3 browser-based uploads (POST Object): the
// multipart/form-data body of an HTML form, and the POST policy document
// that a signed form carries.
//
// It is pure: no HTTP, no engine, no clock of its own; the s3 package
// (handlers_post.go) verifies the signature, authorizes and stores.
//
// # Contract
//
//   - Reader parses a form body as a stream: the fields before the one
//     named "file", in order, then the file's bytes, never the whole body in
//     memory. The file must be the last field that is used: what follows it
//     is never read. The bytes before the file's data (fields, headers and
//     boundaries) are at most the limit given to ReadForm (S3: 20 KB), else
//     ErrPreDataTooLarge. A body that is not multipart/form-data as RFC 7578
//     writes it is ErrMalformed; one without a file part ErrNoFile.
//   - Form.Value looks fields up by name case-insensitively; several fields
//     of one name are one value, joined by commas, as S3 evaluates them.
//     FileName strips any path the browser sent (after the last '/' or '\'),
//     and Expand replaces ${filename} with it.
//   - ParsePolicy decodes the base64 JSON policy: "expiration" (ISO 8601,
//     required) and "conditions": {"field": "value"}, ["eq", "$field",
//     "value"], ["starts-with", "$field", "prefix"] (an empty prefix matches
//     anything; for Content-Type every comma-separated type must match) and
//     ["content-length-range", min, max]. Anything else is a *PolicyError
//     (InvalidPolicyDocument).
//   - Policy.Check evaluates the conditions against the form: a condition
//     that fails, or a form field that no condition names (except
//     x-amz-signature, file, policy and x-ignore-*), is a *PolicyError
//     naming it with the message S3 gives ("Invalid according to Policy:
//     ..."). Policy.CheckLength evaluates content-length-range.
package postform
