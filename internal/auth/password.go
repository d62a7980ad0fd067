package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id parameters of a password hash. They are stored in
// every hash (PHC string format), so they can be raised later: a hash made
// with other parameters still verifies, and is replaced at the next login.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams is the parameter set Plotline hashes passwords with:
// 64 MiB of memory, 3 passes, 2 lanes, a 16-byte random salt and a 32-byte
// key. That is RFC 9106's second recommended option (64 MiB, t=3) with the
// lanes cut to this project's two-core machines, and above OWASP's minimum
// (19 MiB, t=2, p=1). BenchmarkHashPassword measures one hash (0.83 s on
// the shared two-core machine under a load average of 13); the Service
// lets only as many run at once as there are CPUs, so a flood of logins
// cannot exhaust memory.
var DefaultParams = Params{Memory: 64 * 1024, Time: 3, Threads: 2, SaltLen: 16, KeyLen: 32}

// Bounds on a password's length in bytes: long enough to resist guessing,
// short enough that hashing one is cheap to bound.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 1024
)

var b64 = base64.RawStdEncoding

// HashPassword returns the PHC string of password under p:
// $argon2id$v=19$m=65536,t=3,p=2$SALT$KEY (salt and key in unpadded base64).
func HashPassword(password string, p Params) string {
	salt := make([]byte, p.SaltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never returns an error (Go 1.24+)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether password matches the PHC string hash,
// comparing in constant time. A malformed hash is an error; the bool also
// says whether the hash used params (so that the caller can rehash).
func VerifyPassword(hash, password string, params Params) (ok, current bool, err error) {
	p, salt, key, err := ParseHash(hash)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return ok, p == params, nil
}

// ParseHash reads a PHC argon2id string. Parameters are bounded, so that a
// tampered hash cannot make a login take minutes or gigabytes.
func ParseHash(hash string) (p Params, salt, key []byte, err error) {
	bad := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("password hash: %s", why)
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return bad("not an argon2id PHC string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported argon2 version " + strconv.Quote(parts[2]))
	}
	var vals [3]uint64 // m, t, p in this order
	kvs := strings.Split(parts[3], ",")
	if len(kvs) != len(vals) {
		return bad("malformed parameters " + strconv.Quote(parts[3]))
	}
	for i, kv := range kvs {
		name, val, _ := strings.Cut(kv, "=")
		n, perr := strconv.ParseUint(val, 10, 32)
		if perr != nil || name != "mtp"[i:i+1] {
			return bad("malformed parameters " + strconv.Quote(parts[3]))
		}
		vals[i] = n
	}
	m, t, th := vals[0], vals[1], vals[2]
	if m < 8 || m > 4<<20 || t < 1 || t > 100 || th < 1 || th > 64 || m < 8*th {
		return bad("parameters out of range " + strconv.Quote(parts[3]))
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 || len(salt) > 64 {
		return bad("malformed salt")
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return bad("malformed key")
	}
	return Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(th)}, salt, key, nil
}
