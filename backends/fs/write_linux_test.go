package fs

import (
	"bytes"
	"crypto/rand"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLargePutsWriteDirect: on a filesystem with O_DIRECT (ext4, xfs, the
// disks prismd runs on) a large Put bypasses the page cache, small ones do
// not, and the bytes written are the body's, tail included.
func TestLargePutsWriteDirect(t *testing.T) {
	dir := t.TempDir()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	supports := st.Type == unix.EXT4_SUPER_MAGIC || st.Type == unix.XFS_SUPER_MAGIC
	for _, size := range []int64{directMin - 1, directMin, 3*directChunk + 4097} {
		f, direct, err := createTemp(dir, size)
		if err != nil {
			t.Fatal(err)
		}
		if want := supports && size >= directMin; direct != want {
			t.Errorf("size %d: direct %v, want %v (filesystem type %#x)", size, direct, want, st.Type)
		}
		fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := fl&unix.O_DIRECT != 0; got != direct {
			t.Errorf("size %d: O_DIRECT set %v, createTemp said %v", size, got, direct)
		}
		data := make([]byte, size)
		rand.Read(data)
		if err := writeBody(f, direct, bytes.NewReader(data), size); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		f.Close()
		got, err := os.ReadFile(f.Name())
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("size %d: read back %d bytes (%v), equal %v", size, len(got), err, bytes.Equal(got, data))
		}
	}
}
