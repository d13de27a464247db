package mem_test

import (
	"testing"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/backendtest"
	"github.com/prismd/prismd/backends/mem"
)

func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Backend { return mem.New() })
}
