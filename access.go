package plotline

import (
	"context"
	"slices"
	"time"
)

// Roles, from least to most privileged. A reader sees published data only;
// an analyst creates and edits drafts; a reviewer publishes or sends back;
// an admin also manages users and sees the audit log.
const (
	RoleReader   = "reader"
	RoleAnalyst  = "analyst"
	RoleReviewer = "reviewer"
	RoleAdmin    = "admin"
)

// Roles lists the roles in order of privilege.
var Roles = []string{RoleReader, RoleAnalyst, RoleReviewer, RoleAdmin}

// RoleAtLeast reports whether role has at least the privilege of min.
func RoleAtLeast(role, min string) bool {
	return slices.Index(Roles, role) >= slices.Index(Roles, min) && slices.Contains(Roles, role)
}

// tlpRank orders TLP 2.0 labels by restriction.
var tlpRank = map[string]int{"clear": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}

// TLPAllows reports whether a user cleared up to clearance may see material
// marked tlp. An unknown marking is treated as the most restrictive.
func TLPAllows(clearance, tlp string) bool {
	c, ok := tlpRank[clearance]
	if !ok {
		return false
	}
	t, ok := tlpRank[tlp]
	if !ok {
		t = tlpRank["red"]
	}
	return t <= c
}

// MaxTLP returns the more restrictive of two markings.
func MaxTLP(a, b string) string {
	if !TLPAllows(a, b) {
		return b
	}
	return a
}

// User is an account. Clearance is the highest TLP marking the user may see.
type User struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Clearance string    `json:"clearance"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

// LocalUser is the user of single-user mode (plotline serve on localhost
// without accounts): everything is visible and editable, and the UI says so.
var LocalUser = User{ID: 0, Name: "local", Role: RoleAdmin, Clearance: "red"}

type userKey struct{}

// WithUser returns a context carrying the acting user.
func WithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the acting user, if any. Callers that find none must
// treat the request as anonymous: published CLEAR material only.
func UserFrom(ctx context.Context) (*User, bool) {
	u, ok := ctx.Value(userKey{}).(*User)
	return u, ok && u != nil
}

// Anonymous is what a caller without a user may see.
var Anonymous = User{ID: -1, Name: "anonymous", Role: "", Clearance: "clear"}

// Acting returns the acting user, or Anonymous.
func Acting(ctx context.Context) *User {
	if u, ok := UserFrom(ctx); ok {
		return u
	}
	a := Anonymous
	return &a
}
