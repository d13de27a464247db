// Package admin is prismd's management listener: GET /health, Prometheus
// GET /metrics, the regions API and the scrub API. The web UI comes later.
//
//	a := admin.New(admin.Config{Engine: eng, Version: version})
//	go http.Serve(adminListener, a)
//	s3 := a.InstrumentS3(s3.New(...)) // request counts and latencies
//	a.SetReady(true)                   // /health answers 200 from now on
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
// scrub` asks for — and streams its progress as newline-delimited JSON. It
// needs the bearer token Config.Token, from every address, loopback
// included; `prismd serve` writes a new one to <data_dir>/admin.token
// (mode 0600) at every start. One function, authorized, decides.
//
// The regions API and pprof answer clients on loopback only, and only with
// a Host header naming this machine (localhost or a loopback address), so
// that a web page cannot reach them from a browser on this machine by
// rebinding its own name to 127.0.0.1.
//
// Metrics (besides the Go runtime and process collectors):
//
//	prismd_build_info{version}                 1
//	prismd_up                                  1 while ready (0 starting, draining, or after the log failed)
//	prismd_pending_shards                      shards of committed objects still to be written
//	prismd_pending_purges                      (blob, region) deletions still to do
//	prismd_region_healthy{region}              1 if the region's breaker is closed
//	prismd_region_latency_seconds{region}      EWMA of time to first byte
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
package admin
