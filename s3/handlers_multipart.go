package s3

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/prismd/prismd/engine"
)

const (
	maxParts          = 10000
	maxCompleteBody   = 4 << 20
	maxListParts      = 1000
	maxListUploads    = 1000
	copyRangeSyntaxEr = "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy."
)

func handleCreateUpload(s *Server, rq *request) (*response, error) {
	ct, headers, meta, err := objectMeta(rq.r.Header)
	if err != nil {
		return nil, err
	}
	grants, err := s.newObjectACL(rq)
	if err != nil {
		return nil, err
	}
	sum, err := uploadChecksumRequest(rq.r.Header)
	if err != nil {
		return nil, err
	}
	tags, err := s.newObjectTags(rq)
	if err != nil {
		return nil, err
	}
	up, err := s.createUpload(rq, engine.CreateUploadInput{Bucket: rq.bucket, Key: rq.key,
		ContentType: ct, Headers: headers, UserMeta: meta, Checksum: sum, Tags: tags, Grants: grants.grants, Owner: grants.owner})
	if err != nil {
		return nil, err
	}
	resp := xmlResponse(initiateMultipartUploadResult{Xmlns: s3NS, Bucket: rq.bucket, Key: xmlText(rq.key), UploadID: up.UploadID})
	if up.ChecksumAlgorithm != "" {
		resp.header.Set("x-amz-checksum-algorithm", up.ChecksumAlgorithm)
		resp.header.Set("x-amz-checksum-type", up.ChecksumType)
	}
	return resp, nil
}

// uploadPartNumber reads the mandatory partNumber of UploadPart(Copy).
func uploadPartNumber(rq *request) (int, error) {
	if !rq.q.Has("partNumber") {
		return 0, badArgument("partNumber", "", "Part number must be an integer between 1 and %d, inclusive", maxParts)
	}
	return parsePartNumber(rq.q)
}

func handleUploadPart(s *Server, rq *request) (*response, error) {
	n, err := uploadPartNumber(rq)
	if err != nil {
		return nil, err
	}
	uploadID := rq.q.Get("uploadId")
	if rq.r.Header.Get("X-Amz-Copy-Source") != "" {
		return uploadPartCopy(s, rq, uploadID, n)
	}
	alg, err := s.engine().PartChecksum(rq.bucket, rq.key, uploadID)
	if err != nil {
		return nil, err
	}
	in, err := putInput(rq, alg)
	if err != nil {
		return nil, err
	}
	part, err := s.engine().UploadPart(rq.ctx(), uploadID, n, in)
	if err != nil {
		return nil, err
	}
	return storedResponse(rq, part.ETag, part.Checksums), nil
}

// parseCopyRange parses x-amz-copy-source-range: "bytes=first-last".
func parseCopyRange(v string) (*engine.Range, error) {
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return nil, detail(ErrInvalidArgument, copyRangeSyntaxEr)
	}
	a, b, ok := strings.Cut(spec, "-")
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || first < 0 || last < first {
		return nil, detail(ErrInvalidArgument, copyRangeSyntaxEr)
	}
	return &engine.Range{Start: first, End: last}, nil
}

func uploadPartCopy(s *Server, rq *request, uploadID string, n int) (*response, error) {
	src, err := s.copySource(rq)
	if err != nil {
		return nil, err
	}
	var rng *engine.Range
	if v := rq.r.Header.Get("X-Amz-Copy-Source-Range"); v != "" {
		if rng, err = parseCopyRange(v); err != nil {
			return nil, err
		}
	}
	cond := parseConditions(rq.r.Header, "X-Amz-Copy-Source-")
	part, err := s.engine().UploadPartCopy(rq.ctx(), uploadID, n, rq.bucket, rq.key, src.bucket, src.key, src.versionID, cond, rng)
	if err != nil {
		return nil, copyCondError(err)
	}
	resp := xmlResponse(copyPartResult{Xmlns: s3NS, LastModified: timeISO(part.LastModified), ETag: quoteETag(part.ETag),
		checksumElements: newChecksumElements(part.Checksums)})
	if part.SourceVersionID != "" {
		resp.header.Set("x-amz-copy-source-version-id", part.SourceVersionID)
	}
	return resp, nil
}

// parseCompleteRequest decodes and checks a CompleteMultipartUpload body.
func parseCompleteRequest(b []byte) ([]engine.CompletePart, error) {
	var req completeMultipartUpload
	if err := decodeXML(b, &req); err != nil {
		return nil, err
	}
	if len(req.Parts) == 0 || len(req.Parts) > maxParts {
		return nil, ErrMalformedXML
	}
	parts := make([]engine.CompletePart, len(req.Parts))
	for i, p := range req.Parts {
		if p.PartNumber < 1 || p.PartNumber > maxParts {
			return nil, ErrInvalidPart
		}
		parts[i] = engine.CompletePart{Number: p.PartNumber, ETag: strings.TrimSpace(p.ETag)}
	}
	return parts, nil
}

func handleCompleteUpload(s *Server, rq *request) (*response, error) {
	// An x-amz-checksum-* header here is the whole object's checksum (the
	// parts' composite, "<base64>-N"), not the XML body's.
	objSums := map[string]string{}
	bodyReq := rq.r.Clone(rq.ctx())
	for _, alg := range checksumAlgorithms {
		if v := bodyReq.Header.Get(checksumHeader(alg)); v != "" {
			objSums[alg] = v
			bodyReq.Header.Del(checksumHeader(alg))
		}
	}
	bodyReq.Header.Del("X-Amz-Sdk-Checksum-Algorithm")
	p, err := newPayload(bodyReq, rq.auth, "")
	if err != nil {
		return nil, err
	}
	rq.body = p
	b, err := p.readAll(maxCompleteBody)
	if err != nil {
		return nil, err
	}
	parts, err := parseCompleteRequest(b)
	if err != nil {
		return nil, err
	}
	if err := checkCompositeChecksums(s, rq, parts, objSums); err != nil {
		return nil, err
	}
	info, err := s.engine().CompleteUpload(rq.ctx(), rq.bucket, rq.key, rq.q.Get("uploadId"), parts, parseConditions(rq.r.Header, ""))
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if rq.r.TLS != nil {
		scheme = "https"
	}
	loc := scheme + "://" + rq.r.Host + "/" + rq.bucket + "/" + awsURIEncode(rq.key, true)
	out := completeMultipartUploadResult{Xmlns: s3NS, Location: loc, Bucket: rq.bucket, Key: xmlText(rq.key), ETag: quoteETag(info.ETag),
		checksumElements: newChecksumElements(info.Checksums)}
	if _, v := objectChecksum(info.Checksums); v != "" {
		out.ChecksumType = engine.ChecksumType(v)
	}
	resp := xmlResponse(out)
	setVersionHeaders(resp.header, info)
	return resp, nil
}

func handleAbortUpload(s *Server, rq *request) (*response, error) {
	if err := s.engine().AbortUpload(rq.ctx(), rq.bucket, rq.key, rq.q.Get("uploadId")); err != nil {
		return nil, err
	}
	return statusResponse(http.StatusNoContent), nil
}

func handleListParts(s *Server, rq *request) (*response, error) {
	marker, err := parseCount(rq.q, "part-number-marker", "part-number-marker", 0, maxParts)
	if err != nil {
		return nil, err
	}
	max, err := parseCount(rq.q, "max-parts", "max-parts", maxListParts, maxListParts)
	if err != nil {
		return nil, err
	}
	uploadID := rq.q.Get("uploadId")
	res, err := s.engine().ListParts(rq.ctx(), rq.bucket, rq.key, uploadID, marker, max)
	if err != nil {
		return nil, err
	}
	st, err := s.bucketState(rq.bucket)
	if err != nil {
		return nil, err
	}
	owner := ownerOf(st.ownerKeyOf(res.Upload.Owner))
	out := listPartsResult{
		Xmlns: s3NS, Bucket: rq.bucket, Key: xmlText(rq.key), UploadID: uploadID,
		Initiator: owner, Owner: owner, StorageClass: "STANDARD",
		PartNumberMarker: marker, NextPartNumberMarker: res.NextPartNumberMarker,
		MaxParts: max, IsTruncated: res.Truncated,
		ChecksumAlgorithm: res.Upload.ChecksumAlgorithm, ChecksumType: res.Upload.ChecksumType,
	}
	for _, p := range res.Parts {
		out.Parts = append(out.Parts, partItem{
			PartNumber: p.Number, LastModified: timeISO(p.LastModified), ETag: quoteETag(p.ETag), Size: p.Size,
			checksumElements: newChecksumElements(p.Checksums),
		})
	}
	return xmlResponse(out), nil
}

func handleListUploads(s *Server, rq *request) (*response, error) {
	q := rq.q
	max, err := parseCount(q, "max-uploads", "max-uploads", maxListUploads, maxListUploads)
	if err != nil {
		return nil, err
	}
	enc, err := parseEncodingType(q)
	if err != nil {
		return nil, err
	}
	in := engine.ListUploadsInput{
		Bucket: rq.bucket, Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"),
		KeyMarker: q.Get("key-marker"), UploadIDMarker: q.Get("upload-id-marker"), MaxUploads: max,
	}
	var res engine.ListUploadsResult
	if max == 0 {
		_, err = s.engine().HeadBucket(rq.ctx(), rq.bucket)
	} else {
		res, err = s.engine().ListUploads(rq.ctx(), in)
	}
	if err != nil {
		return nil, err
	}
	out := listMultipartUploadsResult{
		Xmlns: s3NS, Bucket: rq.bucket, KeyMarker: enc.enc(in.KeyMarker), UploadIDMarker: in.UploadIDMarker,
		Prefix: enc.enc(in.Prefix), Delimiter: enc.enc(in.Delimiter), MaxUploads: max, EncodingType: enc.name(),
		IsTruncated: res.Truncated,
	}
	if res.Truncated {
		out.NextKeyMarker = enc.enc(res.NextKeyMarker)
		out.NextUploadIDMarker = res.NextUploadIDMarker
	}
	st, err := s.bucketState(rq.bucket)
	if err != nil {
		return nil, err
	}
	for _, u := range res.Uploads {
		owner := ownerOf(st.ownerKeyOf(u.Owner))
		out.Uploads = append(out.Uploads, uploadItem{
			Key: enc.enc(u.Key), UploadID: u.UploadID, Initiator: owner, Owner: owner,
			StorageClass: "STANDARD", Initiated: timeISO(u.Initiated),
			ChecksumAlgorithm: u.ChecksumAlgorithm, ChecksumType: u.ChecksumType,
		})
	}
	for _, p := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: enc.enc(p)})
	}
	return xmlResponse(out), nil
}

// checkCompositeChecksums verifies the object checksums sent with
// CompleteMultipartUpload against the listed parts' checksums: a
// COMPOSITE one is the checksum of the concatenated part checksums (sent
// with or without its "-N"), a FULL_OBJECT one the parts' CRCs combined.
// The type is x-amz-checksum-type, else the upload's for its algorithm,
// else COMPOSITE exactly when the value ends in "-N".
func checkCompositeChecksums(s *Server, rq *request, parts []engine.CompletePart, objSums map[string]string) error {
	if len(objSums) == 0 {
		return nil
	}
	byNumber := map[int]engine.PartInfo{}
	var upload engine.UploadInfo
	marker := 0
	for {
		page, err := s.engine().ListParts(rq.ctx(), rq.bucket, rq.key, rq.q.Get("uploadId"), marker, 1000)
		if err != nil {
			return err
		}
		upload = page.Upload
		for _, p := range page.Parts {
			byNumber[p.Number] = p
		}
		if !page.Truncated {
			break
		}
		marker = page.NextPartNumberMarker
	}
	sums := make([]map[string]string, len(parts))
	sizes := make([]int64, len(parts))
	for i, cp := range parts {
		sums[i], sizes[i] = byNumber[cp.Number].Checksums, byNumber[cp.Number].Size
	}
	for alg, v := range objSums {
		for i, cp := range parts {
			if sums[i][alg] == "" {
				return detail(ErrInvalidRequest, "Part %d was uploaded without a %s checksum.", cp.Number, alg)
			}
		}
		typ := strings.ToUpper(rq.r.Header.Get("X-Amz-Checksum-Type"))
		switch {
		case typ != "":
		case upload.ChecksumAlgorithm == alg:
			typ = upload.ChecksumType
		default:
			typ = engine.ChecksumType(v)
		}
		want, ok := engine.MultipartChecksum(alg, typ, sums, sizes)
		digest, _, _ := strings.Cut(want, "-")
		sent, n, hasN := strings.Cut(v, "-")
		if !ok || digest != sent || hasN && n != strconv.Itoa(len(parts)) {
			return checksumMismatch(alg)
		}
	}
	return nil
}
