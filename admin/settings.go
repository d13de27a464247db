package admin

import (
	"net/http"

	"github.com/prismd/prismd/engine"
)

// Config export and import:
//
//	GET  /api/config                 → engine.ConfigExport: {"format": 2, "regions": […], "buckets": […], "keys": […]}
//	POST /api/config/import?dry_run=1 ← an export → {"dry_run": true, "changes": [{"kind", "name", "action", "note"}]}
//
// Secrets travel sealed with the master key ("sealed_secret"), never in
// clear: a gateway imports what a gateway with the same master key
// exported. Import is validated as a whole (every secret must unseal)
// before anything is applied; the changes are applied as events. The
// export holds the bootstrap config's regions ("bootstrap": true) and the
// root key ("root": true); import keeps this gateway's own bootstrap
// regions and root key and never adds a second region over a storage
// one of its regions uses (see engine.ImportConfig).

func (s *Server) exportConfig(r *http.Request) (any, error) {
	return s.cfg.Engine.ExportConfig()
}

func (s *Server) importConfig(r *http.Request) (any, error) {
	var in engine.ConfigExport
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	dry := r.URL.Query().Get("dry_run")
	dryRun := dry != "" && dry != "0" && dry != "false"
	changes, err := s.cfg.Engine.ImportConfig(r.Context(), in, dryRun)
	if err != nil {
		return nil, err
	}
	if changes == nil {
		changes = []engine.ImportChange{}
	}
	return map[string]any{"dry_run": dryRun, "changes": changes}, nil
}
