package admin

import (
	"crypto/subtle"
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes lists every route of the management listener with who may call
// it (auth.go): the one table a test walks to check that each needs a login.
func (s *Server) routes() {
	metrics := promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{ErrorLog: slogErrorLog{s.cfg.Logger}})
	for _, r := range []struct {
		pattern string
		access  access
		h       http.Handler
	}{
		{"GET /health", public, http.HandlerFunc(s.health)},
		{"GET /metrics", public, s.metricsToken(metrics)},

		{"POST /api/login", anyHost, http.HandlerFunc(s.login)},
		{"POST /api/logout", login, http.HandlerFunc(s.logout)},
		{"GET /api/session", login, api(s.sessionInfo)},
		{"PUT /api/password", login, api(s.changePassword)},

		{"POST /api/tokens", login, api(s.createToken)},
		{"GET /api/tokens", login, api(s.listTokens)},
		{"DELETE /api/tokens/{id}", login, api(s.revokeToken)},

		{"GET /api/status", login, api(s.status)},
		{"GET /api/history", login, api(s.historyAPI)},

		{"GET /{$}", anyHost, s.ui()},
		{"GET /app.js", anyHost, s.ui()},
		{"GET /style.css", anyHost, s.ui()},

		{"GET /api/regions", login, api(s.listRegions)},
		{"PUT /api/regions/{name}", login, api(s.putRegion)},
		{"POST /api/regions/{name}/test", login, api(s.testRegion)},
		{"POST /api/regions/{name}/drain", login, api(s.drainRegion)},
		{"DELETE /api/regions/{name}", login, api(s.deleteRegion)},

		{"GET /api/discovery/providers", login, api(s.providers)},
		{"POST /api/discovery/measure", login, api(s.measure)},
		{"POST /api/discovery/propose", login, api(s.propose)},
		{"POST /api/discovery/throughput", login, api(s.throughput)},
		{"POST /api/discovery/apply", login, api(s.applyProposal)},

		{"GET /api/policies", login, api(s.listPolicies)},
		{"POST /api/policies/preview", login, api(s.previewPolicy)},
		{"PUT /api/policies/{bucket}", login, api(s.setPolicy)},

		{"GET /api/buckets", login, api(s.listBuckets)},
		{"POST /api/buckets", login, api(s.createBucket)},
		{"GET /api/buckets/{bucket}/objects", login, api(s.listObjects)},
		{"GET /api/buckets/{bucket}/object", login, api(s.objectDetails)},
		{"GET /api/buckets/{bucket}/download", login, http.HandlerFunc(s.download)},

		{"GET /api/keys", login, api(s.listKeys)},
		{"POST /api/keys", login, api(s.createKey)},
		{"DELETE /api/keys/{id}", login, api(s.revokeKey)},

		{"GET /api/background", login, api(s.background)},
		{"GET /api/events", login, http.HandlerFunc(s.events)},

		{"GET /api/config", login, api(s.exportConfig)},
		{"POST /api/config/import", login, api(s.importConfig)},

		{"POST /api/scrub", login, http.HandlerFunc(s.startScrub)},
		{"GET /api/scrub", login, http.HandlerFunc(s.watchScrub)},
		{"DELETE /api/scrub", login, http.HandlerFunc(s.stopScrub)},

		{"/debug/pprof/", login, loopbackOnly(http.HandlerFunc(pprof.Index))},
		{"/debug/pprof/cmdline", login, loopbackOnly(http.HandlerFunc(pprof.Cmdline))},
		{"/debug/pprof/profile", login, loopbackOnly(http.HandlerFunc(pprof.Profile))},
		{"/debug/pprof/symbol", login, loopbackOnly(http.HandlerFunc(pprof.Symbol))},
		{"/debug/pprof/trace", login, loopbackOnly(http.HandlerFunc(pprof.Trace))},
	} {
		s.mux.Handle(r.pattern, s.guard(r.access, r.h))
		s.patterns = append(s.patterns, routeInfo{r.pattern, r.access})
	}
}

// routeInfo is a route as the tests see it.
type routeInfo struct {
	pattern string
	access  access
}

// metricsToken requires Config.MetricsToken on /metrics when it is set.
func (s *Server) metricsToken(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.MetricsToken != "" {
			token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.MetricsToken)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="prismd metrics"`)
				writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "/metrics needs its bearer token"})
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}
