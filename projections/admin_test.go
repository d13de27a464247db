package projections

import (
	"testing"

	"github.com/prismd/prismd/log"
)

// TestAdminLogin: the admin password hash and API tokens follow their
// events and survive a snapshot.
func TestAdminLogin(t *testing.T) {
	s := New()
	evs := []log.Event{
		log.AdminPasswordSet{Hash: "h1"},
		log.AdminTokenCreated{ID: "t1", Hash: []byte{1}, Created: 5},
		log.AdminTokenCreated{ID: "t2", Hash: []byte{2}, Created: 6, Expires: 100},
		log.AdminPasswordSet{Hash: "h2"},
		log.AdminTokenRevoked{ID: "t1"},
	}
	for i, ev := range evs {
		if err := s.Apply(uint64(i+1), int64(i), ev); err != nil {
			t.Fatal(err)
		}
	}
	s.Publish()
	check := func(v *View) {
		t.Helper()
		if v.AdminPasswordHash() != "h2" {
			t.Errorf("password hash %q", v.AdminPasswordHash())
		}
		if _, ok := v.AdminToken("t1"); ok {
			t.Error("revoked token still there")
		}
		if tk, ok := v.AdminToken("t2"); !ok || tk.Expires != 100 || len(v.AdminTokens()) != 1 {
			t.Errorf("token t2: %+v %v", tk, ok)
		}
	}
	check(s.View())
	data, err := s.View().MarshalSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadSnapshot(data)
	if err != nil {
		t.Fatal(err)
	}
	check(loaded.View())
}
