package replica_test

import (
	"testing"

	"github.com/prismd/prismd/backends/fs"
	"github.com/prismd/prismd/backends/mem"
	"github.com/prismd/prismd/replica"
	"github.com/prismd/prismd/replica/storetest"
)

func TestMemStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) replica.Store { return replica.NewMemStore() })
}

func TestBackendStoreMem(t *testing.T) {
	storetest.Run(t, func(t *testing.T) replica.Store {
		return replica.NewBackendStore(mem.New(), replica.SystemBucket, "")
	})
}

func TestBackendStoreFS(t *testing.T) {
	storetest.Run(t, func(t *testing.T) replica.Store {
		b, err := fs.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return replica.NewBackendStore(b, replica.SystemBucket, "sys/")
	})
}
