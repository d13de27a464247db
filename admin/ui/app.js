// prismd management UI: plain JavaScript, no dependencies. Every value
// shown goes through text nodes, never parsed as HTML. State-changing calls
// carry the session's CSRF token.
"use strict";

let csrf = "";
let stop = []; // cleanups of the current page (timers, event streams)

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c == null) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function call(method, path, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const resp = await fetch(path, opts);
  if (resp.status === 401) { showLogin(); throw new Error("not logged in"); }
  if (resp.status === 204) return null;
  const data = await resp.json();
  if (!resp.ok) throw new Error(data.error || resp.statusText);
  return data;
}

function bytes(n) {
  const u = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + " " + u[i];
}

function table(headers, rows) {
  return h("table", {}, h("thead", {}, h("tr", {}, headers.map(x => h("th", {}, x)))),
    h("tbody", {}, rows.map(r => h("tr", {}, r.map(c => h("td", {}, c))))));
}

function errorBox(err) { return h("p", { class: "error" }, String(err.message || err)); }

function card(title, ...children) { return h("div", { class: "card" }, h("h2", {}, title), ...children); }

function form(fields, label, onsubmit) {
  const f = h("form", {}, fields, h("button", { type: "submit" }, label), h("span", { class: "error" }));
  f.addEventListener("submit", async ev => {
    ev.preventDefault();
    f.lastChild.textContent = "";
    try { await onsubmit(f); } catch (e) { f.lastChild.textContent = e.message; }
  });
  return f;
}

function field(label, name, attrs) { return h("label", {}, label + " ", h("input", Object.assign({ name }, attrs || {}))); }
function val(f, name) { return f.elements[name].value; }

// --- login -----------------------------------------------------------------

function showLogin() {
  document.getElementById("nav").hidden = true;
  document.getElementById("page").replaceChildren();
  document.getElementById("login").hidden = false;
}

document.getElementById("login").addEventListener("submit", async ev => {
  ev.preventDefault();
  const err = document.getElementById("login-error");
  err.textContent = "";
  const resp = await fetch("/api/login", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ password: document.getElementById("password").value }) });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) { err.textContent = data.error || resp.statusText; return; }
  csrf = data.csrf;
  document.getElementById("password").value = "";
  document.getElementById("login").hidden = true;
  document.getElementById("nav").hidden = false;
  route();
});

document.getElementById("logout").addEventListener("click", async () => {
  await call("POST", "/api/logout").catch(() => {});
  csrf = "";
  showLogin();
});

// --- pages -----------------------------------------------------------------

const pages = {};

pages.dashboard = async page => {
  const st = await call("GET", "/api/status");
  const scrub = st.scrub || {};
  page.append(card("Gateway",
    h("div", { class: "grid" },
      h("div", {}, "Status", h("div", { class: "stat " + (st.status === "serving" ? "ok" : "bad"), id: "status" }, st.status)),
      h("div", {}, "Version", h("div", { class: "stat" }, st.version)),
      h("div", {}, "Uptime", h("div", { class: "stat" }, Math.round(st.uptime_seconds) + " s")),
      h("div", {}, "Log index", h("div", { class: "stat" }, st.log.last_index)),
      h("div", {}, "Pending shards", h("div", { class: "stat" }, st.pending.shards)),
      h("div", {}, "Pending purges", h("div", { class: "stat" }, st.pending.purges))),
    st.error ? errorBox(st.error) : null));
  page.append(card("Regions", table(["Region", "State", "Latency", "Error rate", "Pending"],
    st.regions.map(r => [r.name, h("span", { class: r.healthy ? "ok" : "bad" }, r.state || (r.healthy ? "ok" : "down")),
      r.latency_ms.toFixed(1) + " ms", (100 * r.error_rate).toFixed(1) + " %", r.pending_shards]))));
  page.append(card("Shipping", table(["Region", "Shipped index", "Snapshot", "Lag (events)", "Lag (s)", "Error"],
    st.shipping.map(s => [s.region, s.shipped_index, s.snapshot_index, s.lag_events, s.lag_seconds.toFixed(1), s.error || ""]))));
  page.append(card("Scrub", h("p", {}, scrub.running ? `running: ${scrub.objects} of ${scrub.total_objects} objects` :
    `idle; last quick pass ${scrub.last_quick || "never"}, next due ${scrub.next_due || "—"}`)));
  const tp = h("canvas", { width: 1000, height: 160, id: "chart-throughput" });
  const lat = h("canvas", { width: 1000, height: 160, id: "chart-latency" });
  page.append(card("S3 requests per second (last hour)", tp), card("Region latency, ms (last hour)", lat));
  const hist = await call("GET", "/api/history");
  const samples = hist.samples || [];
  chart(tp, { "requests/s": samples.map(s => s.requests_per_second) });
  const series = {};
  for (const s of samples) for (const [k, v] of Object.entries(s.latency_ms || {})) (series[k] = series[k] || []).push(v);
  chart(lat, series);
};

const colors = ["#2f6fd6", "#d6532f", "#2fa85a", "#9b42c8", "#c89b12", "#178f99"];

function chart(canvas, series) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, pad = 30;
  ctx.clearRect(0, 0, W, H);
  const all = Object.values(series).flat();
  const max = Math.max(1, ...all);
  ctx.fillStyle = "#566"; ctx.font = "12px sans-serif";
  ctx.fillText(max.toFixed(1), 2, 12); ctx.fillText("0", 2, H - 4);
  let i = 0;
  for (const [name, ys] of Object.entries(series)) {
    ctx.strokeStyle = colors[i % colors.length]; ctx.beginPath();
    ys.forEach((y, j) => {
      const x = pad + (W - pad - 10) * (ys.length > 1 ? j / (ys.length - 1) : 0);
      const yy = H - 10 - (H - 25) * y / max;
      j ? ctx.lineTo(x, yy) : ctx.moveTo(x, yy);
    });
    ctx.stroke();
    ctx.fillStyle = colors[i % colors.length]; ctx.fillText(name, W - 120, 14 + 14 * i);
    i++;
  }
  if (!all.length) { ctx.fillStyle = "#999"; ctx.fillText("no samples yet", W / 2 - 40, H / 2); }
}

pages.regions = async page => {
  const list = await call("GET", "/api/regions");
  page.append(card("Regions", table(["Name", "Type", "Where", "Health", "Latency", "Reads", "Errors", "Shards", "Bytes", "Pending", ""],
    list.map(r => [r.name, r.type, r.endpoint || r.path || "", h("span", { class: r.healthy ? "ok" : "bad", "data-region": r.name }, r.state || (r.healthy ? "ok" : "down")),
      r.latency_ms.toFixed(1) + " ms", r.read_mib_s ? r.read_mib_s.toFixed(1) + " MiB/s" : "—", (100 * r.error_rate).toFixed(1) + " %", r.shards, bytes(r.bytes), r.pending_shards,
      h("span", {}, r.configured ? "bootstrap config " : "",
        h("button", { "data-drain": r.name, onclick: async ev => {
          if (!confirm(`Drain region ${r.name}? Every shard is copied to the other regions, then the region is removed.` +
            (r.configured ? " It is in the bootstrap config: remove it there before the next start." : ""))) return;
          ev.target.textContent = "draining…";
          const res = await call("POST", `/api/regions/${encodeURIComponent(r.name)}/drain`).catch(e => ({ error: e.message }));
          alert(res.error ? "drain: " + res.error : `moved ${res.moved} shards (${res.failed} to rebuild)` + (res.note ? ". " + res.note : "")); route();
        } }, "Drain"), " ",
        r.configured ? null : h("button", { onclick: async () => {
          if (!confirm(`Remove region ${r.name}? Its shards are rebuilt on the others.`)) return;
          await call("DELETE", "/api/regions/" + encodeURIComponent(r.name)); route();
        } }, "Remove"))]))));
  const out = h("p", {});
  const body = f => {
    const b = { type: val(f, "type") };
    for (const k of ["path", "endpoint", "region", "access_key", "secret_key", "bucket"]) if (val(f, k)) b[k] = val(f, k);
    if (f.elements.path_style.checked) b.path_style = true;
    return b;
  };
  const f = form([
    field("Name", "name", { required: true, pattern: "[a-z0-9][a-z0-9_-]{0,62}" }),
    h("label", {}, "Type ", h("select", { name: "type" }, h("option", { value: "s3" }, "s3"), h("option", { value: "fs" }, "fs"))),
    field("Endpoint", "endpoint", { placeholder: "https://s3.example.com" }), field("Signing region", "region"),
    field("Access key", "access_key"), field("Secret key", "secret_key", { type: "password", autocomplete: "off" }),
    field("Bucket (prefix mode)", "bucket"), field("Path (fs)", "path"),
    h("label", {}, h("input", { type: "checkbox", name: "path_style" }), " path-style addressing"),
    h("button", { type: "button", onclick: async ev => {
      const fm = ev.target.form;
      out.textContent = "testing…";
      try {
        const r = await call("POST", `/api/regions/${encodeURIComponent(val(fm, "name"))}/test`, body(fm));
        out.textContent = r.ok ? `reachable (${r.latency_ms} ms)` : "unreachable: " + r.error;
      } catch (e) { out.textContent = e.message; }
    } }, "Test connection"), " "], "Add or change", async fm => {
      await call("PUT", "/api/regions/" + encodeURIComponent(val(fm, "name")), body(fm));
      route();
    });
  page.append(card("Add a region", f, out));
};

pages.discovery = async page => {
  const cat = await call("GET", "/api/discovery/providers");
  let results = [];
  const out = h("div", {});
  const tp = h("div", { id: "throughput-result" });
  const prop = h("div", {});
  page.append(card("Measure latency",
    form([h("label", {}, "Provider ", h("select", { name: "provider" }, h("option", { value: "" }, "(the endpoints below)"),
      cat.map(p => h("option", { value: p.name }, p.title)))),
      field("Account (R2, IDrive e2)", "account"),
      h("label", {}, "Endpoints, one URL a line ", h("textarea", { name: "endpoints" })),
      field("Samples", "samples", { type: "number", value: 10, min: 1, max: 50 })], "Measure", async f => {
      const q = { samples: +val(f, "samples") };
      if (val(f, "provider")) { q.provider = val(f, "provider"); if (val(f, "account")) q.vars = { account: val(f, "account") }; }
      else q.endpoints = val(f, "endpoints").split("\n").map(s => s.trim()).filter(Boolean).map(url => ({ provider: new URL(url).host, geo: new URL(url).host, url }));
      out.textContent = "measuring…";
      results = results.concat(await call("POST", "/api/discovery/measure", q));
      out.replaceChildren(table(["Endpoint", "p50", "p95", "p99", "Jitter", "Failed"],
        results.map(r => [r.url, r.p50_ms.toFixed(1), r.p95_ms.toFixed(1), r.p99_ms.toFixed(1), r.jitter_ms.toFixed(1), `${r.failed}/${r.samples}`])));
    }), out));
  page.append(card("Throughput test (optional)",
    h("p", {}, "Uploads and downloads a test object to each measured endpoint with these credentials, in a scratch bucket that is removed afterwards."),
    form([field("Access key", "tp_access_key", { required: true }), field("Secret key", "tp_secret_key", { type: "password", autocomplete: "off", required: true }),
      field("Signing region (empty: the endpoint's)", "tp_region"), field("Size (bytes)", "tp_size", { type: "number", value: 1048576, min: 1 }),
      h("label", {}, h("input", { type: "checkbox", name: "tp_path_style" }), " path-style addressing")], "Test throughput", async f => {
      if (!results.length) throw new Error("measure some endpoints first");
      tp.textContent = "testing…";
      const res = await call("POST", "/api/discovery/throughput", { endpoints: results.map(r => ({ provider: r.provider, region: r.region, geo: r.geo, url: r.url })),
        access_key: val(f, "tp_access_key"), secret_key: val(f, "tp_secret_key"), signing_region: val(f, "tp_region"),
        path_style: f.elements.tp_path_style.checked, size: +val(f, "tp_size") });
      tp.replaceChildren(table(["Endpoint", "Size", "Upload", "Download", "Error"],
        res.map(r => [r.url, bytes(r.bytes), r.error ? "" : `${r.put_mib_s.toFixed(1)} MiB/s (${r.put_ms.toFixed(0)} ms)`,
          r.error ? "" : `${r.get_mib_s.toFixed(1)} MiB/s (${r.get_ms.toFixed(0)} ms)`, r.error || ""])));
    }), tp));
  page.append(card("Propose regions", form([field("k", "k", { type: "number", value: 2, min: 1 }), field("m", "m", { type: "number", value: 1, min: 0 })], "Propose", async f => {
    const p = await call("POST", "/api/discovery/propose", { results, k: +val(f, "k"), m: +val(f, "m") });
    prop.replaceChildren(h("p", {}, `${p.regions.length} regions over ${p.providers} providers and ${p.geos} geographies; stores ${p.overhead.toFixed(2)}× the data` + (p.error ? " — " + p.error : "")),
      table(["Provider", "Region", "Endpoint", "p50"], p.regions.map(r => [r.provider, r.region, r.url, r.p50_ms.toFixed(1)])),
      p.regions.length ? applyForm(p.regions) : null);
  }), prop));
};

// applyForm adds a proposal's endpoints as regions in one step: a name
// for each, credentials for each provider.
function applyForm(regions) {
  const providers = [...new Set(regions.map(r => r.provider))];
  const slug = s => (s || "").toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63) || "region";
  const result = h("p", { id: "apply-result" });
  const f = form([
    h("h3", {}, "Add these as regions"),
    ...regions.map((r, i) => field(`Name for ${r.url}`, `apply_name_${i}`, { required: true, value: slug(`${r.provider}-${r.region || i}`), pattern: "[a-z0-9][a-z0-9_-]{0,62}" })),
    ...providers.map((p, j) => h("fieldset", {}, h("legend", {}, p),
      field("Access key", `apply_ak_${j}`, { required: true }), field("Secret key", `apply_sk_${j}`, { type: "password", autocomplete: "off", required: true }),
      field("Signing region (empty: the endpoint's)", `apply_region_${j}`))),
    h("label", {}, h("input", { type: "checkbox", name: "apply_path_style" }), " path-style addressing")], "Add these as regions", async fm => {
    result.textContent = "testing the connections…";
    const body = { regions: regions.map((r, i) => {
      const j = providers.indexOf(r.provider);
      const b = { name: val(fm, `apply_name_${i}`), type: "s3", endpoint: r.url, access_key: val(fm, `apply_ak_${j}`), secret_key: val(fm, `apply_sk_${j}`) };
      const region = val(fm, `apply_region_${j}`) || r.region;
      if (region) b.region = region;
      if (fm.elements.apply_path_style.checked) b.path_style = true;
      return b;
    }) };
    try {
      const res = await call("POST", "/api/discovery/apply", body);
      result.textContent = "added: " + res.added.join(", ");
    } catch (e) { result.textContent = ""; throw e; }
  });
  return h("div", {}, f, result);
}

pages.policies = async page => {
  const p = await call("GET", "/api/policies");
  const show = x => `${x.mode} k=${x.k} m=${x.m}` + (x.mode === "hybrid" && x.threshold ? ` threshold=${bytes(x.threshold)}` : "") + (x.quorum ? ` quorum=${x.quorum}` : "") + ` ${x.placement || ""}`;
  page.append(card("Default policy", h("p", {}, show(p.default), ` over ${p.regions} regions`)));
  page.append(card("Buckets", table(["Bucket", "Policy"], p.buckets.map(b => [b.bucket, (b.default ? "default: " : "") + show(b.policy)]))));
  const out = h("pre", {});
  const pol = f => ({ mode: val(f, "mode"), k: +val(f, "k"), m: +val(f, "m"), threshold: +val(f, "threshold") || 0, quorum: +val(f, "quorum") || 0, placement: val(f, "placement") });
  const f = form([
    field("Bucket", "bucket", { required: true, list: "bucket-names" }),
    h("datalist", { id: "bucket-names" }, p.buckets.map(b => h("option", { value: b.bucket }))),
    h("label", {}, "Mode ", h("select", { name: "mode" }, ["erasure", "hybrid", "replica"].map(m => h("option", { value: m }, m)))),
    field("k", "k", { type: "number", value: 2, min: 0 }), field("m", "m", { type: "number", value: 1, min: 0 }),
    field("Hybrid threshold (bytes)", "threshold", { type: "number", value: 1048576 }), field("Write quorum (0: default)", "quorum", { type: "number", value: 0 }),
    h("label", {}, "Placement ", h("select", { name: "placement" }, h("option", { value: "shuffle" }, "shuffle"), h("option", { value: "priority" }, "priority"))),
    h("button", { type: "button", onclick: async ev => {
      const r = await call("POST", "/api/policies/preview", pol(ev.target.form)).catch(e => ({ error: e.message }));
      out.textContent = r.valid ? `${r.shards} shards per segment; stores ${r.overhead.toFixed(2)}× the data` +
        (r.small_overhead ? ` (${r.small_overhead}× for small objects)` : "") + `; survives the loss of ${r.regions_may_be_lost} of ${r.regions} regions` : "invalid: " + r.error;
    } }, "Preview"), " "], "Set bucket policy", async fm => {
      await call("PUT", "/api/policies/" + encodeURIComponent(val(fm, "bucket")), pol(fm));
      route();
    });
  page.append(card("Change a bucket's policy", f, out));
};

pages.buckets = async (page, args) => {
  if (args[0]) return objectBrowser(page, args[0], args.slice(1).join("/"));
  const list = await call("GET", "/api/buckets");
  const configs = b => Object.entries(b.configs || {}).map(([c, set]) => `${c}: ${set ? "set" : "not set"}`).join(", ");
  page.append(card("Buckets", table(["Bucket", "Objects", "Bytes", "Per region", "Policy", "Versioning", "Configuration"],
    list.map(b => [h("a", { href: "#buckets/" + encodeURIComponent(b.name) }, b.name), b.objects + (b.partial ? "+" : ""), bytes(b.bytes),
      Object.entries(b.region_bytes || {}).map(([r, n]) => `${r}: ${bytes(n)}`).join(", "),
      (b.default_policy ? "default " : "") + `${b.policy.mode} ${b.policy.k}+${b.policy.m}`,
      h("span", { class: "versioning", "data-bucket": b.name }, b.versioning || "unversioned"), configs(b)]))));
  page.append(card("Create a bucket", form([field("Name", "name", { required: true })], "Create", async f => {
    await call("POST", "/api/buckets", { name: val(f, "name") }); route();
  })));
};

async function objectBrowser(page, bucket, prefix) {
  bucket = decodeURIComponent(bucket);
  prefix = decodeURIComponent(prefix || "");
  const q = new URLSearchParams({ prefix });
  const res = await call("GET", `/api/buckets/${encodeURIComponent(bucket)}/objects?${q}`);
  const details = h("div", {});
  const up = prefix ? prefix.replace(/[^/]*\/$/, "") : null;
  page.append(card(`${bucket}/${prefix}`,
    up !== null ? h("p", {}, h("a", { href: `#buckets/${encodeURIComponent(bucket)}/${encodeURIComponent(up)}` }, "↑ up")) : null,
    table(["Name", "Size", "Modified", ""], [
      ...res.prefixes.map(p => [h("a", { href: `#buckets/${encodeURIComponent(bucket)}/${encodeURIComponent(p)}` }, p.slice(prefix.length)), "", "", ""]),
      ...res.objects.map(o => [h("a", { href: "javascript:void 0", class: "object", onclick: () => objectDetails(details, bucket, o.key) }, o.key.slice(prefix.length)),
        bytes(o.size), o.last_modified,
        h("a", { href: `/api/buckets/${encodeURIComponent(bucket)}/download?key=${encodeURIComponent(o.key)}` }, "download")]),
    ]), res.truncated ? h("p", {}, "more objects follow (the first 200 are shown)") : null), details);
}

async function objectDetails(box, bucket, key) {
  const d = await call("GET", `/api/buckets/${encodeURIComponent(bucket)}/object?key=${encodeURIComponent(key)}`);
  box.replaceChildren(card(key, h("p", {}, `${bytes(d.size)}, ETag ${d.etag}, ${d.content_type || ""}`),
    table(["Segment", "Shard", "Region", "State", "Backend key"], d.shards.map(s => [s.segment, s.shard, s.region, s.state, s.backend_key]))));
}

pages.keys = async page => {
  const list = await call("GET", "/api/keys");
  page.append(card("Access keys", table(["Access key", "Buckets", "Access", ""],
    list.map(k => [k.access_key, (k.buckets || ["all"]).join(", "), k.root ? "root" : k.read_only ? "read-only" : "read-write",
      k.root ? "" : h("button", { onclick: async () => { if (confirm("Revoke " + k.access_key + "?")) { await call("DELETE", "/api/keys/" + encodeURIComponent(k.access_key)); route(); } } }, "Revoke")]))));
  const out = h("div", {});
  page.append(card("Create an access key", form([
    field("Buckets (comma-separated; empty: all)", "buckets"),
    h("label", {}, h("input", { type: "checkbox", name: "read_only" }), " read-only")], "Create", async f => {
      const b = val(f, "buckets").split(",").map(s => s.trim()).filter(Boolean);
      const k = await call("POST", "/api/keys", { buckets: b.length ? b : undefined, read_only: f.elements.read_only.checked });
      out.replaceChildren(h("p", {}, "Copy the secret now: it is not shown again."),
        h("div", { class: "secret", id: "new-key" }, h("div", {}, "access key: ", h("span", { id: "new-access-key" }, k.access_key)),
          h("div", {}, "secret key: ", h("span", { id: "new-secret-key" }, k.secret_key))));
    }), out));
};

pages.background = async page => {
  const bg = await call("GET", "/api/background");
  const prog = h("progress", { id: "scrub-progress", max: 1, value: 0 });
  const line = h("p", { id: "scrub-line" }, "");
  page.append(card("Work queues", h("p", {}, `${bg.pending.shards} shards to write or repair, ${bg.pending.purges} deletions to do`)));
  page.append(card("Scrub",
    form([h("label", {}, h("input", { type: "checkbox", name: "deep" }), " deep (read every block)"), field("Bucket", "bucket")], "Start scrub", async f => {
      const body = { deep: f.elements.deep.checked };
      if (val(f, "bucket")) body.bucket = val(f, "bucket");
      await call("POST", "/api/scrub", body);
      watchScrub(prog, line);
    }),
    h("button", { onclick: async () => { await call("DELETE", "/api/scrub").catch(e => { line.textContent = e.message; }); } }, "Stop scrub"),
    prog, line));
  if (bg.manual_scrub) showScrub(bg.manual_scrub, prog, line);
  if (bg.manual_scrub && bg.manual_scrub.type === "progress") watchScrub(prog, line);
  page.append(card("Pending shards", table(["Bucket/key", "Segment", "Shard", "Region", "Reason"], bg.pending_shards.map(w => [`${w.Bucket}/${w.Key}`, w.Segment, w.Shard, w.Region, w.Reason]))));
  page.append(card("Purge queue", table(["Bucket/key", "Regions", "Queued"], bg.purge_queue.map(w => [`${w.Bucket}/${w.Key}`, (w.Regions || []).join(", "), w.Queued]))));
  page.append(card("Recent repairs", table(["Index", "Time", "Event"], bg.recent_repairs.map(e => [e.index, e.time, e.type + " " + JSON.stringify(e.event)]))));
};

function showScrub(ev, prog, line) {
  if (ev.type === "summary") {
    const s = ev.summary || {};
    prog.max = 1; prog.value = 1;
    line.textContent = `done: ${s.Objects} objects, ${s.Missing} missing, ${s.Corrupt} corrupt, ${s.Repaired} repaired, ${s.Unrepairable} unrepairable` + (ev.error ? " — " + ev.error : "");
    line.dataset.done = "1";
  } else {
    prog.max = Math.max(1, ev.total_objects || 0); prog.value = ev.Objects || 0;
    line.textContent = `scrubbing ${ev.bucket || ""}/${ev.key || ""}: ${ev.Objects || 0} of ${ev.total_objects || 0} objects`;
  }
}

async function watchScrub(prog, line) {
  const ctl = new AbortController();
  stop.push(() => ctl.abort());
  const resp = await fetch("/api/scrub", { signal: ctl.signal, credentials: "same-origin" });
  const reader = resp.body.getReader();
  const dec = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read().catch(() => ({ done: true }));
    if (done) return;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const ev = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      showScrub(ev, prog, line);
    }
  }
}

pages.events = async page => {
  const list = h("div", { id: "events-list" });
  const start = f => {
    stop.forEach(s => s()); stop = [];
    list.replaceChildren();
    const q = new URLSearchParams({ from: "0" });
    if (val(f, "type")) q.set("type", val(f, "type"));
    if (val(f, "bucket")) q.set("bucket", val(f, "bucket"));
    const es = new EventSource("/api/events?" + q);
    stop.push(() => es.close());
    es.onmessage = m => {
      const e = JSON.parse(m.data);
      list.prepend(h("pre", {}, `#${e.index} ${e.time} ${e.type} ${JSON.stringify(e.event)}`));
      while (list.childNodes.length > 500) list.lastChild.remove();
    };
  };
  const f = form([field("Types (comma-separated)", "type", { placeholder: "ObjectCommitted,ObjectDeleted" }), field("Bucket", "bucket")], "Follow", async fm => start(fm));
  page.append(card("Live events", f, list));
  start(f);
};

pages.settings = async page => {
  const out = h("pre", { id: "import-result" });
  const text = h("textarea", { name: "config", id: "import-text" });
  page.append(card("Export", h("p", {}, "Regions, buckets with their policies and access keys; secrets sealed with the master key."),
    h("button", { id: "export", onclick: async () => {
      const cfg = await call("GET", "/api/config");
      const a = h("a", { href: URL.createObjectURL(new Blob([JSON.stringify(cfg, null, 2)], { type: "application/json" })), download: "prismd-config.json" });
      text.value = JSON.stringify(cfg, null, 2);
      a.click();
    } }, "Export config")));
  page.append(card("Import", text,
    h("button", { id: "import-dry", onclick: async () => { out.textContent = JSON.stringify(await call("POST", "/api/config/import?dry_run=1", text.value).catch(e => e.message), null, 1); } }, "Dry run"), " ",
    h("button", { id: "import-apply", onclick: async () => { out.textContent = JSON.stringify(await call("POST", "/api/config/import", text.value).catch(e => e.message), null, 1); } }, "Import"),
    out));
  const tokens = await call("GET", "/api/tokens");
  const shown = h("div", {});
  page.append(card("API tokens", table(["Id", "Name", "Created", "Expires", ""], tokens.map(t => [t.id, t.name, t.created, t.expires || "never",
    h("button", { onclick: async () => { await call("DELETE", "/api/tokens/" + t.id); route(); } }, "Revoke")])),
  form([field("Name", "name"), field("Expires in", "expires_in", { placeholder: "720h" })], "Create token", async f => {
    const t = await call("POST", "/api/tokens", { name: val(f, "name"), expires_in: val(f, "expires_in") });
    shown.replaceChildren(h("p", {}, "Copy the token now: it is not shown again."), h("div", { class: "secret" }, t.token));
  }), shown));
  page.append(card("Admin password", form([field("Current", "current", { type: "password" }), field("New (12 characters or more)", "new", { type: "password" })], "Change", async f => {
    await call("PUT", "/api/password", { current: val(f, "current"), new: val(f, "new") });
    showLogin();
  })));
};

async function route() {
  stop.forEach(s => s()); stop = [];
  const current = location.hash.slice(1) || "dashboard";
  const [name, ...args] = current.split("/");
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.getAttribute("href") === "#" + name);
  const page = document.getElementById("page");
  page.replaceChildren();
  page.dataset.page = name;
  delete page.dataset.ready; // set again, to the whole route, once this page has its data
  try {
    await (pages[name] || pages.dashboard)(page, args);
    if ((location.hash.slice(1) || "dashboard") === current) page.dataset.ready = current;
  } catch (e) {
    if (csrf) page.append(errorBox(e));
  }
}

window.addEventListener("hashchange", () => { if (csrf) route(); });

// A reload keeps the session (the cookie); fetch its CSRF token.
(async () => {
  const resp = await fetch("/api/session", { credentials: "same-origin" });
  if (!resp.ok) return showLogin();
  csrf = (await resp.json()).csrf || "";
  document.getElementById("nav").hidden = false;
  route();
})();
