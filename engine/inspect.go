package engine

import (
	"fmt"
	"log/slog"
	"time"
)

// Summary describes the state a data directory holds.
type Summary struct {
	Buckets, Objects int
	Bytes            int64 // total size of the objects
	LastIndex        uint64
	LastTime         time.Time // of the last event
	// RootAccessKey and RootSecret are the root key's credentials (empty
	// when the log has none); the secret is unsealed with the master key.
	RootAccessKey, RootSecret string
}

// Inspect loads the state a data directory holds (its newest snapshot and
// the log after it) without starting anything or writing to it, and
// describes it. masterKey unseals the root key's secret (nil: not
// unsealed).
func Inspect(dataDir string, masterKey []byte) (Summary, error) {
	e := &Engine{cfg: Config{DataDir: dataDir, MasterKey: masterKey, Logger: slog.Default()}, logger: slog.Default()}
	if err := e.load(); err != nil {
		return Summary{}, err
	}
	defer e.log.Close()
	v := e.view()
	buckets, objects, _, _, _ := v.Counts()
	s := Summary{Buckets: buckets, Objects: objects, Bytes: v.StoredBytes(), LastIndex: e.log.LastIndex()}
	if v.AppliedTime() != 0 {
		s.LastTime = time.Unix(0, v.AppliedTime()).UTC()
	}
	for _, k := range v.AccessKeys() {
		if !k.Root {
			continue
		}
		s.RootAccessKey = k.AccessKey
		if masterKey != nil {
			secret, err := e.unseal(k.SealedSecret)
			if err != nil {
				return s, fmt.Errorf("root access key %s: %w", k.AccessKey, err)
			}
			s.RootSecret = secret
		}
	}
	return s, nil
}
