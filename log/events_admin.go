package log

// Events of the management listener's login. The admin password and the
// API tokens are kept as hashes only: the log never holds a secret that
// would let its reader log in.

// AdminPasswordSet sets the admin password. Hash is the password's
// argon2id hash in PHC form ("$argon2id$v=19$m=…,t=…,p=…$salt$hash").
type AdminPasswordSet struct {
	Hash string `msgpack:"hash"`
}

// AdminTokenCreated adds a bearer token of the management API. Hash is the
// SHA-256 of the token's secret part (the secret is 256 random bits, so a
// fast hash is enough); the token itself is shown once, never logged.
type AdminTokenCreated struct {
	ID      string `msgpack:"id"`
	Name    string `msgpack:"name,omitempty"`
	Hash    []byte `msgpack:"hash"`
	Created int64  `msgpack:"created"` // unix nanoseconds
	Expires int64  `msgpack:"expires"` // unix nanoseconds; 0: never
}

// AdminTokenRevoked removes a bearer token.
type AdminTokenRevoked struct {
	ID string `msgpack:"id"`
}

func (AdminPasswordSet) EventType() Type  { return TypeAdminPasswordSet }
func (AdminTokenCreated) EventType() Type { return TypeAdminTokenCreated }
func (AdminTokenRevoked) EventType() Type { return TypeAdminTokenRevoked }
