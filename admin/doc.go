// Package admin is prismd's management listener: the web UI (ui/,
// embedded), the JSON API under /api/ (one file per resource: status,
// regions, policies, buckets, objects, keys, background, events, settings,
// tokens, login, scrub), GET /health, Prometheus GET /metrics and pprof.
//
//	a := admin.New(admin.Config{Engine: eng, Version: version, Token: dataDirToken})
//	go http.Serve(adminListener, a)
//	s3 := a.InstrumentS3(s3.New(...)) // request counts and latencies
//	a.StartSampling(ctx)               // the charts' hour of samples
//	a.SetReady(true)                   // /health answers 200 from now on
//
// Who may call what is decided in one place, guard (auth.go), from the one
// route table (routes.go): everything but /health, /metrics and the UI's
// static files needs a session (argon2id password, expiring cookie, CSRF
// token on state-changing requests) or a bearer token, from every address;
// the Host header must name this listener. Sessions and login lockouts
// are kept in the Server's memory on purpose, not in the log: a restart
// logs every browser out and clears the lockouts. Persisting them would
// put an event in the log for every login and failed attempt; a restart
// needs access to the host, and password checks run one at a time
// (argon2id), which bounds guessing with or without a lockout.
//
// Handlers of the JSON API return a value or an error and api (api.go)
// writes it; secrets are never
// returned, only shown once when made (access keys, API tokens).
//
// /health answers 503 until SetReady(true) and again after SetReady(false)
// (a draining server), so a load balancer stops sending before shutdown,
// and for good once the engine's log failed (status "failed", with the
// error and what the operator does: free space or fix the device, restart;
// nothing acknowledged is lost). Its JSON body lists each region's health
// (state ok, down, write-failing or checking, the last write error, its
// pending shards); a degraded region does not make the process unhealthy,
// since prismd keeps serving from the others. Its "scrub" object shows the
// background scrubber: enabled, running (deep, bucket/key, objects of
// total_objects), last_quick and last_deep (the last complete passes),
// next_due, the last pass's counts, and manual_running.
//
// The scrub API (scrub.go) runs a scrub in the server — what `prismd
// scrub` asks for, with the bearer token `prismd serve` writes to
// <data_dir>/admin.token (mode 0600) at every start — and streams its
// progress as newline-delimited JSON. pprof answers loopback clients only,
// on top of the login.
//
// Metrics (besides the Go runtime and process collectors):
//
//	prismd_build_info{version}                 1
//	prismd_up                                  1 while ready (0 starting, draining, or after the log failed)
//	prismd_pending_shards                      shards of committed objects still to be written
//	prismd_pending_purges                      (blob, region) deletions still to do
//	prismd_region_healthy{region}              1 if the region's breaker is closed
//	prismd_region_latency_seconds{region}      EWMA of time to first byte
//	prismd_region_read_bytes_per_second{region} how fast read bodies flow once started (0: not known)
//	prismd_region_error_rate{region}           EWMA of failed calls, 0..1
//	prismd_s3_requests_total{method,code}      S3 requests served
//	prismd_s3_request_duration_seconds{method} S3 request latency
//	prismd_scrub_running{kind}                 1 while a scrub runs (background, manual)
//	prismd_scrub_position_objects              objects the background pass under way walked
//	prismd_scrub_position_total_objects        objects it walks in all
//	prismd_scrub_last_completion_timestamp_seconds{mode}  the last complete pass (quick, deep)
//	prismd_scrub_next_due_timestamp_seconds    when the next background pass is due
//	prismd_scrub_last{count}                   the last complete pass's counts (objects, shards_checked,
//	                                           bytes_read, missing, corrupt, repaired, unrepairable,
//	                                           orphans_found, orphans_purged, failed)
//	prismd_bucket_objects{bucket}              objects of the largest buckets (Config.BucketMetrics of them; off by default)
//	prismd_bucket_bytes{bucket}                their object bytes
package admin
