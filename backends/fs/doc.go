// Package fs is a backends.Backend over a local directory: the embedded
// default region and the test workhorse.
//
//	b, err := fs.New("/var/lib/prismd/region-local")
//
// # On-disk layout
//
//	<root>/<bucket>/<key>
//
// A bucket is a directory; a key is a plain file, and the '/'-separated
// elements of a key are nested directories, so "b/3f2a/0/1" is the file
// <root>/<bucket>/b/3f2a/0/1. Flipping a byte in a shard for a test is a
// plain file write. In-flight Puts are temporary files named
// ".prismd-tmp-*" at the top of the bucket directory; they are never listed,
// and ones older than an hour (left by a crash) are removed by New.
//
// # Keys
//
// A key is stored as is when it is a relative slash-separated path whose
// elements are non-empty, not "." or "..", not ".prismd-tmp-…", at most 255
// bytes, and free of NUL and backslash. Any other key (absolute, "a//b",
// "a/", "../x", …) is refused with backends.ErrInvalidKey: nothing is
// escaped, so a key can never name a file outside its bucket. Because
// elements are directories, a key cannot be both an object and a directory
// of another object ("a" and "a/b"); the second Put fails with
// ErrInvalidKey. Engine keys ("ab/<id>.<segment>.<shard>", and the older
// "<id>/<segment>/<shard>") never collide so.
// Bucket names must be non-empty, contain no '/', '\\' or NUL and not start
// with '.'.
//
// # Invariants
//
//   - Put streams into a temporary file, makes it durable, renames it over
//     the key and makes the rename (and any directory it created) durable
//     before it returns: a reader sees the old object or the new one, never
//     a partial one, also after a crash, and a failed Put (short or long
//     body, reader error, canceled context) leaves nothing behind.
//   - On Linux "durable" is a round of syncfs(2) shared by every Put of the
//     process on the same filesystem (all the regions on one disk): a Put
//     waits for a round that started after its data was written, renames,
//     then waits for a round that started after the rename. Concurrent Puts
//     share rounds, so a batch of them costs two syncfs calls instead of a
//     file fsync and up to three directory fsyncs each. A round's error
//     (a write-back error anywhere on the filesystem) fails every Put
//     waiting for it. Elsewhere each Put fsyncs its file and directories.
//   - A Put of 1 MiB or more writes its whole MiBs with O_DIRECT where the
//     filesystem allows it (ext4, xfs; not tmpfs), from a page-aligned
//     buffer, and its tail through the page cache: the bytes skip the copy
//     into the page cache and its reclaim, which under concurrent large
//     Puts cost more CPU than the rest of the Put. The pieces of a
//     backends.PiecewiseBody that direct I/O takes as they are go to disk
//     from the caller's memory, without even the copy into that buffer. Durability is unchanged:
//     the same syncfs (or fsync) rounds cover direct and cached writes.
//   - Get opens the file once and reads [offset, offset+length) from that
//     open file, so an overwrite or delete during a read does not affect it.
//   - List returns keys in lexical byte order (not directory-walk order) and
//     only descends into directories that can hold keys with the prefix.
//   - Delete removes files and prunes the directories it empties, up to (not
//     including) the bucket directory.
//   - DeleteBucket excludes concurrent Put commits while it checks for
//     emptiness, so an acknowledged Put is never deleted with its bucket.
package fs
