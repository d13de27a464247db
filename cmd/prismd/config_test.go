package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

func TestParseConfigExample(t *testing.T) {
	const text = `
data_dir = "data"
s3_addr = "127.0.0.1:8443"
admin_addr = "127.0.0.1:9090"
segment_size = "32MiB"
block_size = 65536
[policy]
mode = "erasure"
data_shards = 2
parity_shards = 1
hybrid_threshold = "1MiB"
placement = "priority"
write_quorum = 3
[[region]]
name = "local-a"
type = "fs"
path = "data/regions/a"
[[region]]
name = "local-b"
type = "fs"
path = "/abs/b"
[[region]]
name = "wasabi"
type = "s3"
endpoint = "https://s3.eu-central-2.wasabisys.com"
region = "eu-central-2"
access_key = "AK"
secret_key_env = "WASABI_SECRET"
path_style = true
bucket = "prismd-data"
[[access_key]]
access_key = "alice"
secret_key = "alice-secret"
buckets = ["photos"]
read_only = true
[[access_key]]
access_key = "bob"
secret_key_env = "BOB_SECRET"
bypass_governance = true
`
	env := map[string]string{"WASABI_SECRET": "wsecret", "BOB_SECRET": "bob-secret"}
	c, err := ParseConfig(text, "/etc/prismd", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/etc/prismd/data" {
		t.Errorf("data_dir = %q", c.DataDir)
	}
	if c.SegmentSize != 32<<20 || c.BlockSize != 65536 {
		t.Errorf("sizes = %d %d", c.SegmentSize, c.BlockSize)
	}
	p := c.Policy
	if p.Mode != "erasure" || p.DataShards != 2 || p.ParityShards != 1 || p.HybridThreshold != 1<<20 || p.Placement != "priority" || p.WriteQuorum != 3 {
		t.Errorf("policy = %+v", p)
	}
	if len(c.Regions) != 3 || c.Regions[0].Path != "/etc/prismd/data/regions/a" || c.Regions[1].Path != "/abs/b" {
		t.Fatalf("regions = %+v", c.Regions)
	}
	if r := c.Regions[2]; r.SecretKey != "wsecret" || !r.PathStyle || r.Bucket != "prismd-data" || r.SigningRegion != "eu-central-2" {
		t.Errorf("s3 region = %+v", r)
	}
	if len(c.AccessKeys) != 2 || !c.AccessKeys[0].ReadOnly || c.AccessKeys[0].Buckets[0] != "photos" || c.AccessKeys[1].SecretKey != "bob-secret" ||
		c.AccessKeys[0].BypassGovernance || !c.AccessKeys[1].BypassGovernance {
		t.Errorf("access keys = %+v", c.AccessKeys)
	}
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(`data_dir = "/var/lib/prismd"`, "/etc", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.S3Addr != defaultS3Addr || c.AdminAddr != defaultAdminAddr || c.Policy.Mode != "hybrid" || c.Policy.DataShards != 2 || c.Policy.HybridThreshold != 1<<20 {
		t.Errorf("defaults not applied: %+v", c)
	}
	if len(c.Regions) != 3 || c.Regions[2].Path != "/var/lib/prismd/regions/c" || c.Regions[0].Name != "local-a" {
		t.Errorf("default regions = %+v", c.Regions)
	}
	c.SetDataDir("/srv")
	if c.Regions[1].Path != filepath.Join("/srv", "regions", "b") {
		t.Errorf("default regions do not follow data dir: %+v", c.Regions)
	}
	// serve makes the default's relative data dir absolute before validating.
	d := DefaultConfig()
	d.SetDataDir(filepath.Join(t.TempDir(), "data"))
	if err := d.Validate(); err != nil {
		t.Errorf("embedded default is invalid: %v", err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	const fs3 = `
[[region]]
name = "a"
type = "fs"
path = "a"
[[region]]
name = "b"
type = "fs"
path = "b"
[[region]]
name = "c"
type = "fs"
path = "c"
`
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"unknown top key", `data_dri = "x"`, []string{`data_dri: unknown key`}},
		{"unknown policy key", "[policy]\nmod = \"hybrid\"", []string{`policy.mod: unknown key`}},
		{"unknown region key", fs3 + "[[region]]\nname='d'\ntype='fs'\npath='d'\npaht='x'", []string{`region[3].paht: unknown key`}},
		{"bad type string", `s3_addr = 8443`, []string{`s3_addr: want a string, have an integer`}},
		{"bad type int", "[policy]\ndata_shards = \"two\"", []string{`policy.data_shards: want an integer, have a string`}},
		{"bad type bool", fs3 + "[[access_key]]\naccess_key='alice'\nsecret_key='12345678'\nread_only='yes'", []string{`access_key[0].read_only: want true or false, have a string`}},
		{"bad mode", "[policy]\nmode = \"raid5\"", []string{`policy.mode: "raid5" is not one of replica, erasure, hybrid`}},
		{"bad placement", "[policy]\nplacement = \"random\"", []string{`policy.placement: "random" is not one of shuffle, priority`}},
		{"k+m above regions", "[policy]\ndata_shards = 3\nparity_shards = 2", []string{`policy: data_shards + parity_shards = 5 shards need as many distinct regions, but 3 regions are configured`}},
		{"replica copies above regions", "[policy]\nmode='replica'\nparity_shards = 3", []string{`policy: replica mode keeps parity_shards + 1 = 4 copies`}},
		{"quorum below k", "[policy]\nmode='erasure'\nwrite_quorum = 1", []string{`policy.write_quorum: 1 is below data_shards = 2`}},
		{"bad size", "[policy]\nhybrid_threshold = \"1 parsec\"", []string{`policy.hybrid_threshold: "1 parsec" is not a size`}},
		{"bad block size", `block_size = "3MiB"`, []string{`block_size: 3MiB does not divide segment_size 64MiB`}},
		{"missing region path", "[[region]]\nname='a'\ntype='fs'\n[[region]]\nname='b'\ntype='fs'\npath='b'\n[[region]]\nname='c'\ntype='fs'\npath='c'", []string{`region[0].path: missing`}},
		{"bad region type", fs3 + "[[region]]\nname='d'\ntype='ftp'", []string{`region[3].type: "ftp" is not one of fs, s3`}},
		{"missing region type", fs3 + "[[region]]\nname='d'", []string{`region[3].type: missing`}},
		{"duplicate region", fs3 + "[[region]]\nname='a'\ntype='fs'\npath='x'", []string{`region[3].name: "a" is also the name of region[0]`}},
		{"two regions on one directory", fs3 + "[[region]]\nname='d'\ntype='fs'\npath='a'", []string{`region[3].path: region[0] "a" already stores there`}},
		{"region inside another", fs3 + "[[region]]\nname='d'\ntype='fs'\npath='a/inner'", []string{`region[3].path: region[0] "a" already stores there`}},
		{"two regions on one endpoint", "[[region]]\nname='a'\ntype='s3'\nendpoint='http://h:9'\naccess_key='a'\nsecret_key='s'\n[[region]]\nname='b'\ntype='s3'\nendpoint='HTTP://h:9/'\naccess_key='b'\nsecret_key='s'\n[[region]]\nname='c'\ntype='fs'\npath='c'",
			[]string{`region[1].endpoint: region[0] "a" already stores there`}},
		{"empty bucket list", fs3 + "[[access_key]]\naccess_key='k1'\nsecret_key='secret-123'\nbuckets=[]", []string{`access_key[0].buckets: an empty list grants no bucket`}},
		{"bad region name", fs3 + "[[region]]\nname='A B'\ntype='fs'\npath='x'", []string{`region[3].name: "A B"`}},
		{"s3 key on fs", fs3 + "[[region]]\nname='d'\ntype='fs'\npath='x'\nendpoint='http://x'", []string{`region[3].endpoint: only for type "s3" regions`}},
		{"s3 without endpoint", fs3 + "[[region]]\nname='d'\ntype='s3'\naccess_key='a'\nsecret_key='s'", []string{`region[3].endpoint: missing`}},
		{"s3 bad endpoint", fs3 + "[[region]]\nname='d'\ntype='s3'\nendpoint='ftp://x'\naccess_key='a'\nsecret_key='s'", []string{`region[3].endpoint: "ftp://x" is not an http:// or https:// URL`}},
		{"s3 without secret", fs3 + "[[region]]\nname='d'\ntype='s3'\nendpoint='http://x'\naccess_key='a'", []string{`region[3].secret_key: missing`}},
		{"s3 secret env unset", fs3 + "[[region]]\nname='d'\ntype='s3'\nendpoint='http://x'\naccess_key='a'\nsecret_key_env='NOPE'", []string{`region[3].secret_key_env: environment variable NOPE is not set`}},
		{"s3 both secrets", fs3 + "[[region]]\nname='d'\ntype='s3'\nendpoint='http://x'\naccess_key='a'\nsecret_key='s'\nsecret_key_env='NOPE'", []string{`region[3].secret_key_env: set either secret_key or secret_key_env, not both`}},
		{"short access secret", "[[access_key]]\naccess_key='alice'\nsecret_key='short'", []string{`access_key[0].secret_key: too short`}},
		{"dup access key", "[[access_key]]\naccess_key='alice'\nsecret_key='12345678'\n[[access_key]]\naccess_key='alice'\nsecret_key='12345678'", []string{`access_key[1].access_key: "alice" is also access_key[0]`}},
		{"bad bucket list", "[[access_key]]\naccess_key='alice'\nsecret_key='12345678'\nbuckets='photos'", []string{`access_key[0].buckets: want an array of strings, have a string`}},
		{"region not an array", "region = 'x'", []string{`region: want an array of tables`}},
		{"policy not a table", "policy = 'x'", []string{`policy: want a table`}},
		{"bad log level", "log_level = 'loud'", []string{`log_level: "loud" is not one of debug, info, warn, error`}},
		{"bad addr", "s3_addr = '8443'", []string{`s3_addr: "8443" is not host:port`}},
		{"syntax", "data_dir = ", []string{`config: line 1:`}},
		{"several errors at once", "data_dri = 1\n[policy]\nmode = 3", []string{`data_dri: unknown key`, `policy.mode: want a string`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(tc.text, "/base", noEnv)
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.text)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), "config: ") || !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1MiB": 1 << 20, "64 MiB": 64 << 20, "1mib": 1 << 20, "500KB": 500_000, "1048576": 1 << 20, "2GiB": 2 << 30, "0": 0, "7B": 7} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1MiB", "1.5MiB", "1 parsec", "99999999999TiB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add("data_dir = 'x'\n[policy]\nmode='erasure'\n[[region]]\nname='a'\ntype='fs'\npath='a'")
	f.Add("[[access_key]]\naccess_key='alice'\nsecret_key='12345678'\nbuckets=['a']")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseConfig(text, "/base", noEnv)
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("ParseConfig accepted a config Validate refuses: %v", verr)
			}
		} else if !strings.HasPrefix(err.Error(), "config: ") {
			t.Fatalf("error without the config prefix: %v", err)
		}
	})
}
