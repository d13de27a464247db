package s3_test

import (
	"github.com/prismd/prismd/engine"
	"github.com/prismd/prismd/s3"
)

// The engine implements the narrow interface the S3 layer declares.
var _ s3.Engine = (*engine.Engine)(nil)
