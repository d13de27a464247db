// Package s3test runs a real S3 server (versitygw over a POSIX directory)
// for tests of the s3 backend and end-to-end tests.
//
//	srv := s3test.StartVersity(t, t.TempDir())
//	b, err := s3.New(ctx, s3.Config{
//		Name: "r1", Endpoint: srv.Endpoint(), Region: s3test.Region,
//		AccessKey: srv.AccessKey(), SecretKey: srv.SecretKey(), PathStyle: true,
//	})
//	srv.Stop()  // outage: the process is killed (SIGKILL, by PID)
//	srv.Start() // back, same port, same data
//
// The versitygw binary is looked up on PATH, then in $GOPATH/bin (as
// reported by `go env GOPATH`). If it is missing the test fails — it is never
// skipped — with the command that installs it. Objects are plain files under
// DataDir()/<bucket>/<key>, so tests can corrupt or remove them directly.
// The data directory needs extended attributes (ext4 or tmpfs have them).
package s3test
