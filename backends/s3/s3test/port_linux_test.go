package s3test

import (
	"os"
	"testing"
)

// A port one server keeps for its restart cannot be picked by another
// until that server lets it go.
func TestReservePortExcludesOthersUntilClosed(t *testing.T) {
	port, first := 0, (*os.File)(nil)
	for p := 10001; p < 10100 && first == nil; p++ { // another test process may hold one
		if f, ok := reservePort(p); ok {
			port, first = p, f
		}
	}
	if first == nil {
		t.Fatal("no port in 10001..10099 could be reserved")
	}
	if second, ok := reservePort(port); ok {
		second.Close()
		first.Close()
		t.Fatalf("port %d reserved twice", port)
	}
	first.Close()
	again, ok := reservePort(port)
	if !ok {
		t.Fatalf("port %d not free after its reservation was closed", port)
	}
	again.Close()
}
