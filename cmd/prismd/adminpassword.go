package main

import (
	"context"
	"fmt"

	"github.com/prismd/prismd/admin"
	"github.com/prismd/prismd/engine"
)

// adminPasswordEnv gives the admin password of a new gateway.
const adminPasswordEnv = "PRISMD_ADMIN_PASSWORD"

// ensureAdminPassword sets the admin password on the first start: from
// PRISMD_ADMIN_PASSWORD, or a generated one that it returns for the
// banner (shown that once). Once the log holds a password it is kept
// (change it in the web UI or with PUT /api/password) and the variable is
// ignored.
func ensureAdminPassword(ctx context.Context, eng *engine.Engine, getenv func(string) string) (generated string, err error) {
	if eng.AdminPasswordHash() != "" {
		return "", nil
	}
	password := getenv(adminPasswordEnv)
	if password == "" {
		if password, err = admin.NewPassword(); err != nil {
			return "", err
		}
		generated = password
	}
	hash, err := admin.HashPassword(password)
	if err != nil {
		return "", fmt.Errorf("%s: %w", adminPasswordEnv, err)
	}
	if err := eng.SetAdminPassword(ctx, hash); err != nil {
		return "", fmt.Errorf("admin password: %w", err)
	}
	return generated, nil
}
