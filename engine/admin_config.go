package engine

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	plog "github.com/prismd/prismd/log"
)

// Config export and import: the regions (those of the bootstrap config
// in use, marked "bootstrap", and those added at run time), the buckets
// with their policies and the access keys (the root key marked "root"),
// with every secret sealed with the master key (a gateway imports what a
// gateway with the same master key exported).
//
// Import never changes this gateway's own bootstrap regions or root key:
// a region named like one of its bootstrap regions, or that stores where
// one of its regions stores under another name, is skipped (no second
// region over the same storage); the exporting gateway's root key is
// "same" when it is this gateway's root key, else skipped (every gateway
// keeps its own root key); a region that was in the exporter's bootstrap
// config is added as a region at run time.

// ExportFormat is the version of ConfigExport. Format 2 added the
// bootstrap regions and the root key; import reads formats 1 and 2.
const ExportFormat = 2

// ConfigExport is a gateway's settings.
type ConfigExport struct {
	Format  int            `json:"format"`
	Regions []ExportRegion `json:"regions"`
	Buckets []ExportBucket `json:"buckets"`
	Keys    []ExportKey    `json:"keys"`
}

// ExportRegion is a region with its secret sealed.
type ExportRegion struct {
	Name          string `json:"name"`
	Type          string `json:"type"`
	Path          string `json:"path,omitempty"`
	Endpoint      string `json:"endpoint,omitempty"`
	SigningRegion string `json:"region,omitempty"`
	AccessKey     string `json:"access_key,omitempty"`
	SealedSecret  []byte `json:"sealed_secret,omitempty"`
	PathStyle     bool   `json:"path_style,omitempty"`
	Bucket        string `json:"bucket,omitempty"`
	Insecure      bool   `json:"insecure_skip_verify,omitempty"`
	// Bootstrap: the region is in the exporting gateway's bootstrap config.
	Bootstrap bool `json:"bootstrap,omitempty"`
}

// ExportBucket is a bucket and its own policy (nil: the default).
type ExportBucket struct {
	Name     string       `json:"name"`
	Location string       `json:"location,omitempty"`
	Policy   *plog.Policy `json:"policy,omitempty"`
}

// ExportKey is a client access key with its secret sealed.
type ExportKey struct {
	AccessKey    string   `json:"access_key"`
	SealedSecret []byte   `json:"sealed_secret"`
	Buckets      []string `json:"buckets,omitempty"`
	ReadOnly     bool     `json:"read_only,omitempty"`
	// Root: the exporting gateway's root key.
	Root bool `json:"root,omitempty"`
}

// ImportChange is one line of an import's diff.
type ImportChange struct {
	Kind   string `json:"kind"`   // "region", "bucket", "key"
	Name   string `json:"name"`   // its name or id
	Action string `json:"action"` // "add", "change", "same", "skip"
	Note   string `json:"note,omitempty"`
}

// ExportConfig returns the settings to export: the bootstrap regions in
// use first (their secrets sealed now), then the regions added at run
// time. Bootstrap regions without a type (in-memory, in tests) are left
// out: nothing could open them elsewhere.
func (e *Engine) ExportConfig() (ConfigExport, error) {
	v := e.view()
	out := ConfigExport{Format: ExportFormat, Regions: []ExportRegion{}, Buckets: []ExportBucket{}, Keys: []ExportKey{}}
	configured := e.configured()
	for _, spec := range e.regionSpecs() {
		if !slices.Contains(configured, spec.Name) || spec.Type == "" {
			continue
		}
		var sealed []byte
		if spec.SecretKey != "" {
			var err error
			if sealed, err = e.seal(spec.SecretKey); err != nil {
				return ConfigExport{}, fmt.Errorf("export: region %q: %w", spec.Name, err)
			}
		}
		out.Regions = append(out.Regions, ExportRegion{Name: spec.Name, Type: spec.Type, Path: spec.Path, Endpoint: spec.Endpoint, SigningRegion: spec.SigningRegion,
			AccessKey: spec.AccessKey, SealedSecret: sealed, PathStyle: spec.PathStyle, Bucket: spec.Bucket, Insecure: spec.Insecure, Bootstrap: true})
	}
	for _, r := range v.Regions() {
		if slices.Contains(configured, r.Name) {
			continue
		}
		out.Regions = append(out.Regions, ExportRegion{Name: r.Name, Type: r.Type, Path: r.Path, Endpoint: r.Endpoint, SigningRegion: r.SigningRegion,
			AccessKey: r.AccessKey, SealedSecret: r.SealedSecret, PathStyle: r.PathStyle, Bucket: r.Bucket, Insecure: r.Insecure})
	}
	for _, b := range v.Buckets() {
		out.Buckets = append(out.Buckets, ExportBucket{Name: b.Name, Location: b.Location, Policy: b.Policy})
	}
	for _, k := range v.AccessKeys() {
		out.Keys = append(out.Keys, ExportKey{AccessKey: k.AccessKey, SealedSecret: k.SealedSecret, Buckets: k.Buckets, ReadOnly: k.ReadOnly, Root: k.Root})
	}
	return out, nil
}

// importPlan is a validated import: every secret unsealed, every item checked.
type importPlan struct {
	regions []RegionSpec
	buckets []ExportBucket
	keys    []AccessKey
	changes []ImportChange
}

// ImportConfig validates an export as a whole (every secret must unseal
// with this gateway's master key, every region, policy, bucket name and
// key must be valid) and, unless dryRun, applies it as events: regions
// added or changed, buckets created, policies set, keys created. It
// returns the changes, "same" for what is already so. Nothing is
// applied when anything is invalid.
func (e *Engine) ImportConfig(ctx context.Context, in ConfigExport, dryRun bool) ([]ImportChange, error) {
	plan, err := e.planImport(in)
	if err != nil {
		return nil, err
	}
	if dryRun {
		return plan.changes, nil
	}
	for _, spec := range plan.regions {
		if err := e.AddRegion(ctx, spec); err != nil {
			return nil, err
		}
	}
	for _, b := range plan.buckets {
		if _, ok := e.view().Bucket(b.Name); !ok {
			if err := e.CreateBucket(ctx, b.Name, b.Location); err != nil {
				return nil, err
			}
		}
		if b.Policy != nil {
			if err := e.SetBucketPolicy(ctx, b.Name, *b.Policy); err != nil {
				return nil, err
			}
		}
	}
	for _, k := range plan.keys {
		if err := e.CreateAccessKey(ctx, k); err != nil {
			return nil, err
		}
	}
	return plan.changes, nil
}

func (e *Engine) planImport(in ConfigExport) (importPlan, error) {
	var p importPlan
	if in.Format < 1 || in.Format > ExportFormat {
		return p, fmt.Errorf("import: format %d, want 1 to %d: %w", in.Format, ExportFormat, ErrInvalidArgument)
	}
	v := e.view()
	configured := e.configured()
	specs := e.regionSpecs()
	regions := len(e.regionNames())
	for i, r := range in.Regions {
		spec := RegionSpec{Name: r.Name, Type: r.Type, Path: r.Path, Endpoint: r.Endpoint, SigningRegion: r.SigningRegion,
			AccessKey: r.AccessKey, PathStyle: r.PathStyle, Bucket: r.Bucket, Insecure: r.Insecure}
		if len(r.SealedSecret) > 0 {
			secret, err := e.unseal(r.SealedSecret)
			if err != nil {
				return p, fmt.Errorf("import: regions[%d] %q: secret: %v: %w", i, r.Name, err, ErrInvalidArgument)
			}
			spec.SecretKey = secret
		}
		if err := spec.Validate(); err != nil {
			return p, fmt.Errorf("import: regions[%d]: %w", i, err)
		}
		if spec.Type == "" {
			return p, fmt.Errorf("import: regions[%d] %q: type missing: %w", i, r.Name, ErrInvalidArgument)
		}
		if slices.Contains(configured, r.Name) {
			p.changes = append(p.changes, ImportChange{Kind: "region", Name: r.Name, Action: "skip", Note: "in this gateway's bootstrap config"})
			continue
		}
		if j := slices.IndexFunc(specs, func(s RegionSpec) bool { return s.Name != r.Name && s.overlaps(spec) }); j >= 0 {
			p.changes = append(p.changes, ImportChange{Kind: "region", Name: r.Name, Action: "skip", Note: fmt.Sprintf("region %q of this gateway stores there", specs[j].Name)})
			continue
		}
		if j := slices.IndexFunc(p.regions, func(s RegionSpec) bool { return s.overlaps(spec) }); j >= 0 {
			return p, fmt.Errorf("import: regions[%d] %q stores where %q of the import stores: %w", i, r.Name, p.regions[j].Name, ErrInvalidArgument)
		}
		note := ""
		if r.Bootstrap {
			note = "in the exporting gateway's bootstrap config; added here as a region at run time"
		}
		action := "add"
		if i := slices.IndexFunc(specs, func(s RegionSpec) bool { return s.Name == r.Name }); i >= 0 {
			if reflect.DeepEqual(specs[i], spec) {
				p.changes = append(p.changes, ImportChange{Kind: "region", Name: r.Name, Action: "same"})
				continue
			}
			action = "change"
		} else {
			regions++
		}
		p.regions = append(p.regions, spec)
		p.changes = append(p.changes, ImportChange{Kind: "region", Name: r.Name, Action: action, Note: note})
	}
	for i, b := range in.Buckets {
		if !ValidBucketName(b.Name) {
			return p, fmt.Errorf("import: buckets[%d] %q: %w", i, b.Name, ErrInvalidBucketName)
		}
		if b.Policy != nil {
			if err := ValidatePolicy(*b.Policy, regions); err != nil {
				return p, fmt.Errorf("import: buckets[%d] %q policy: %w", i, b.Name, err)
			}
		}
		action := "add"
		if cur, ok := v.Bucket(b.Name); ok {
			action = "same"
			if b.Policy != nil && (cur.Policy == nil || *cur.Policy != *b.Policy) {
				action = "change"
			}
		}
		if action != "same" {
			p.buckets = append(p.buckets, b)
		}
		p.changes = append(p.changes, ImportChange{Kind: "bucket", Name: b.Name, Action: action})
	}
	for i, k := range in.Keys {
		secret, err := e.unseal(k.SealedSecret)
		if err != nil {
			return p, fmt.Errorf("import: keys[%d] %q: secret: %v: %w", i, k.AccessKey, err, ErrInvalidArgument)
		}
		ak := AccessKey{AccessKey: k.AccessKey, Secret: secret, Buckets: k.Buckets, ReadOnly: k.ReadOnly}
		if err := ValidateAccessKey(ak); err != nil {
			return p, fmt.Errorf("import: keys[%d]: %w", i, err)
		}
		if k.Root {
			if cur, err := e.LookupAccessKey(k.AccessKey); err == nil && cur.Root && cur.Secret == secret {
				p.changes = append(p.changes, ImportChange{Kind: "key", Name: k.AccessKey, Action: "same", Note: "this gateway's root key"})
			} else {
				p.changes = append(p.changes, ImportChange{Kind: "key", Name: k.AccessKey, Action: "skip", Note: "the exporting gateway's root key: this gateway keeps its own"})
			}
			continue
		}
		action := "add"
		if cur, err := e.LookupAccessKey(k.AccessKey); err == nil {
			if cur.Root {
				return p, fmt.Errorf("import: keys[%d] %q is this gateway's root key: %w", i, k.AccessKey, ErrInvalidArgument)
			}
			action = "change"
			if cur.Secret == ak.Secret && cur.ReadOnly == ak.ReadOnly && equalStrings(cur.Buckets, ak.Buckets) {
				action = "same"
			}
		}
		if action != "same" {
			p.keys = append(p.keys, ak)
		}
		p.changes = append(p.changes, ImportChange{Kind: "key", Name: k.AccessKey, Action: action})
	}
	return p, nil
}

// ValidateAccessKey checks a client key: an id, a secret of at least 8
// characters, and a bucket list that is nil (every bucket) or not empty.
func ValidateAccessKey(k AccessKey) error {
	if k.AccessKey == "" || len(k.Secret) < 8 {
		return fmt.Errorf("access key %q: needs an id and a secret of at least 8 characters: %w", k.AccessKey, ErrInvalidArgument)
	}
	if k.Buckets != nil && len(k.Buckets) == 0 {
		return fmt.Errorf("access key %q: an empty bucket list grants nothing (leave it out: the key then uses its own buckets and what is granted to it): %w", k.AccessKey, ErrInvalidArgument)
	}
	return nil
}
