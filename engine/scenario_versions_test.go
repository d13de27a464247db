package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/prismd/prismd/engine"
)

// scenarioVersions names versions by labels, so that scripts do not depend
// on version ids: label → id, id → label, label → the bytes it holds.
type scenarioVersions struct {
	id    map[string]string
	label map[string]string
	data  map[string][]byte
}

func (v *scenarioVersions) name(label, id string) string {
	if v.id == nil {
		v.id, v.label, v.data = map[string]string{}, map[string]string{}, map[string][]byte{}
	}
	if id == "" || id == engine.NullVersion {
		return id
	}
	v.id[label], v.label[id] = id, label
	return label
}

// idOf turns a label into a version id ("null" and unknown labels pass through).
func (v *scenarioVersions) idOf(label string) string {
	if id, ok := v.id[label]; ok {
		return id
	}
	return label
}

func (v *scenarioVersions) labelOf(id string) string {
	if l, ok := v.label[id]; ok {
		return l
	}
	return id
}

// runVersions runs the versioning commands:
//
//	versioning b=  [status=Enabled|Suspended]  shows or sets the status
//	vput b= k= size= seed= as=label            PUT, naming the new version
//	vget b= k= [v=label]                       GET (the content is checked)
//	vhead b= k= [v=label]
//	vdelete b= k= [v=label] [as=label]         DELETE a version, or write a marker
//	vcopy b= k= [v=label] to-k= as=label       CopyObject from a version
//	versions b= [prefix= delim= key-marker= v-marker= max=]
func (s *scenario) runVersions(ctx context.Context, t *testing.T, td *datadriven.TestData) (string, bool) {
	b, k := arg(td, "b", "bkt"), arg(td, "k", "key")
	vs := &s.vers
	vs.name("", "")
	switch td.Cmd {
	case "versioning":
		if st := arg(td, "status", ""); st != "" {
			if err := s.c.e.SetBucketVersioning(ctx, b, st); err != nil {
				return errName(err), true
			}
		}
		st, err := s.c.e.BucketVersioning(ctx, b)
		if err != nil {
			return errName(err), true
		}
		return fmt.Sprintf("status=%q", st), true
	case "vput":
		data := payload(uint64(size(t, arg(td, "seed", "1"))), size(t, arg(td, "size", "1")))
		info, err := s.c.e.PutObject(ctx, engine.PutInput{Bucket: b, Key: k, Size: int64(len(data)), Body: bytes.NewReader(data)})
		if err != nil {
			return errName(err), true
		}
		s.c.e.WaitWrites()
		s.data[b+"/"+k] = data
		label := vs.name(arg(td, "as", "?"), info.VersionID)
		vs.data[b+"/"+k+"@"+label] = data
		return fmt.Sprintf("ok version=%q", label), true
	case "vget":
		label := arg(td, "v", "")
		r, err := s.c.e.GetObject(ctx, b, k, engine.GetOptions{VersionID: vs.idOf(label)})
		if err != nil {
			if r != nil && r.Info.DeleteMarker {
				return fmt.Sprintf("%s (delete marker %q)", errName(err), vs.labelOf(r.Info.VersionID)), true
			}
			return errName(err), true
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return errName(err), true
		}
		gotLabel := vs.labelOf(r.Info.VersionID)
		if want, ok := vs.data[b+"/"+k+"@"+gotLabel]; !ok || !bytes.Equal(got, want) {
			return fmt.Sprintf("version %q: %d bytes: CONTENT MISMATCH", gotLabel, len(got)), true
		}
		return fmt.Sprintf("version %q: %d bytes, content ok", gotLabel, len(got)), true
	case "vhead":
		info, err := s.c.e.HeadObject(ctx, b, k, engine.GetOptions{VersionID: vs.idOf(arg(td, "v", ""))})
		if err != nil {
			return fmt.Sprintf("%s marker=%v version=%q", errName(err), info.DeleteMarker, vs.labelOf(info.VersionID)), true
		}
		return fmt.Sprintf("version %q size=%d", vs.labelOf(info.VersionID), info.Size), true
	case "vdelete":
		res, err := s.c.e.DeleteObjectVersion(ctx, b, k, vs.idOf(arg(td, "v", "")))
		if err != nil {
			return errName(err), true
		}
		if arg(td, "v", "") == "" {
			return fmt.Sprintf("marker=%v version=%q", res.DeleteMarker, vs.name(arg(td, "as", "?"), res.VersionID)), true
		}
		return fmt.Sprintf("removed marker=%v", res.DeleteMarker), true
	case "vcopy":
		label := arg(td, "v", "")
		dk := arg(td, "to-k", k)
		info, err := s.c.e.CopyObject(ctx, engine.CopyInput{SrcBucket: b, SrcKey: k, SrcVersionID: vs.idOf(label), Bucket: b, Key: dk})
		if err != nil {
			return errName(err), true
		}
		src := vs.data[b+"/"+k+"@"+vs.labelOf(vs.idOf(label))]
		as := vs.name(arg(td, "as", "?"), info.VersionID)
		vs.data[b+"/"+dk+"@"+as] = src
		return fmt.Sprintf("ok version=%q", as), true
	case "versions":
		max, _ := strconv.Atoi(arg(td, "max", "0"))
		res, err := s.c.e.ListObjectVersions(ctx, engine.ListVersionsInput{Bucket: b, Prefix: arg(td, "prefix", ""), Delimiter: arg(td, "delim", ""),
			KeyMarker: arg(td, "key-marker", ""), VersionIDMarker: vs.idOf(arg(td, "v-marker", "")), MaxKeys: max})
		if err != nil {
			return errName(err), true
		}
		var out []string
		for _, x := range res.Versions {
			line := fmt.Sprintf("%s %s", x.Key, vs.labelOf(x.VersionID))
			if x.DeleteMarker {
				line += " marker"
			} else {
				line += fmt.Sprintf(" %d", x.Size)
			}
			if x.IsLatest {
				line += " latest"
			}
			out = append(out, line)
		}
		for _, p := range res.CommonPrefixes {
			out = append(out, "prefix "+p)
		}
		out = append(out, fmt.Sprintf("truncated=%v next=%q/%q", res.Truncated, res.NextKeyMarker, vs.labelOf(res.NextVersionIDMarker)))
		return strings.Join(out, "\n"), true
	}
	return "", false
}
