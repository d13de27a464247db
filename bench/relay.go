package bench

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// relayBufferSize is the relay's copy buffer and socket buffer size: that of
// the bench client and of the engine's blocks, so that the relay makes no
// more system calls per byte than a gateway would (the default 32 KiB copy
// buffer costs a quarter more CPU on 8 MiB objects).
const relayBufferSize = 256 << 10

// NewRelay returns a plain relay to target (e.g. "http://127.0.0.1:9001"):
// a reverse proxy that passes every request and every response through
// unchanged, streaming bodies both ways. It keeps the inbound Host header,
// path, query and body, so a SigV4 signature made for the relay's address
// stays valid at a target that checks it against the Host it receives. It
// neither hashes nor authenticates anything: it is the least work a
// gateway that passes bytes through one process can do.
//
// An Expect: 100-continue request waits for the target's 100 Continue
// (forwarded to the client) before its body is read. When the target
// cannot be reached the client gets 502 Bad Gateway. NewRelay returns
// ErrInvalidConfig when target is not an http or https URL with a host.
func NewRelay(target string) (http.Handler, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: relay target %q is not an http(s)://host:port URL", ErrInvalidConfig, target)
	}
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme = u.Scheme
			r.Out.URL.Host = u.Host
			r.Out.URL.RawQuery = r.In.URL.RawQuery
			r.Out.Host = r.In.Host
		},
		Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   256,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
			DisableCompression:    true,
			ReadBufferSize:        relayBufferSize,
			WriteBufferSize:       relayBufferSize,
		},
		BufferPool: &relayBuffers{pool: sync.Pool{New: func() any { return make([]byte, relayBufferSize) }}},
	}, nil
}

// relayBuffers is the relay's httputil.BufferPool.
type relayBuffers struct{ pool sync.Pool }

func (b *relayBuffers) Get() []byte  { return b.pool.Get().([]byte) }
func (b *relayBuffers) Put(p []byte) { b.pool.Put(p) }
