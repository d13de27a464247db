package s3

import (
	"errors"
	"io"
	"net"
	"os"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// regionConn is a connection to a region as the HTTP transport uses it:
//   - reads fail once the connection delivers nothing for timeout (the
//     deadline rolls before each read, as the SDK's read timeout does, with
//     the same *awshttp.ResponseTimeoutError);
//   - a Put's body in pieces (safeBody.pieces) goes to the socket straight
//     from the pieces' memory. net/http copies a request body to the
//     connection with io.Copy through an io.LimitedReader, which finds this
//     ReadFrom; any other body is copied as net/http would.
type regionConn struct {
	net.Conn
	timeout time.Duration
}

func (c *regionConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return n, &awshttp.ResponseTimeoutError{TimeoutDur: c.timeout}
	}
	return n, err
}

// ReadFrom implements io.ReaderFrom.
func (c *regionConn) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok {
		if body, ok := lr.R.(*safeBody); ok && body.pieces() != nil {
			n, err := body.writeTo(c.Conn)
			lr.N -= n
			return n, err
		}
	}
	// The connection's own ReadFrom (sendfile, splice, or a plain copy).
	return io.Copy(c.Conn, r)
}
