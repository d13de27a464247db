package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// MinIOPackage is the MinIO server the comparison runs, installed with
// `go install MinIOPackage` when it is missing.
const MinIOPackage = "github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

// minioReadyTimeout bounds MinIO's start: it formats its drives first.
const minioReadyTimeout = 2 * time.Minute

// MinIO is a MinIO server on 127.0.0.1 over three drive directories with
// one parity drive (MINIO_STORAGE_CLASS_STANDARD=EC:1): erasure 2+1, as
// prismd's policy in the comparison.
type MinIO struct {
	*Process
	Endpoint             string
	AccessKey, SecretKey string
}

// StartMinIO starts bin (minio) over dir/drive-1..3 on a free port of
// 127.0.0.1 and waits until it is ready.
func StartMinIO(ctx context.Context, bin, dir string) (*MinIO, error) {
	var drives []string
	for i := range 3 {
		d := filepath.Join(dir, fmt.Sprintf("drive-%d", i+1))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrProcess, err)
		}
		drives = append(drives, d)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProcess, err)
	}
	console, err := freeAddr()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProcess, err)
	}
	m := &MinIO{Endpoint: "http://" + addr, AccessKey: "benchminio", SecretKey: "benchminio-secret"}
	args := append([]string{"server", "--address", addr, "--console-address", console, "--certs-dir", filepath.Join(dir, "certs"), "--quiet"}, drives...)
	env := []string{
		"MINIO_CI_CD=on", // drives on the root disk are allowed
		"MINIO_STORAGE_CLASS_STANDARD=EC:1",
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_ROOT_USER=" + m.AccessKey,
		"MINIO_ROOT_PASSWORD=" + m.SecretKey,
	}
	m.Process, err = startProcess("minio", bin, args, env, filepath.Join(dir, "minio.log"), nil)
	if err != nil {
		return nil, err
	}
	m.Command = strings.Join(env[:2], " ") + " " + m.Command
	if err := waitHTTPWithin(ctx, m.Process, m.Endpoint+"/minio/health/ready", http.StatusOK, minioReadyTimeout); err != nil {
		m.Stop(5 * time.Second)
		return nil, err
	}
	return m, nil
}

// FindMinIO returns the minio binary: on PATH, else in $GOPATH/bin.
func FindMinIO() (string, error) { return findTool("minio", MinIOPackage) }
