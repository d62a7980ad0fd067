package auth_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/auth"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const pw = "correct horse battery staple"

// newService returns a service on a new SQLite database with users ann
// (admin) and bob (reader), and its clock.
func newService(t *testing.T, mod func(*auth.Config)) (*auth.Service, *sqlite.DB, *clock) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{t: time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)}
	cfg := auth.Config{Store: db, Now: clk.Now, Params: &cheap}
	if mod != nil {
		mod(&cfg)
	}
	s := auth.New(cfg)
	for _, u := range []*plotline.User{{Name: "ann", Role: plotline.RoleAdmin, Clearance: "red"}, {Name: "bob", Role: plotline.RoleReader, Clearance: "green"}} {
		if err := s.AddUser(context.Background(), u, pw); err != nil {
			t.Fatal(err)
		}
	}
	return s, db, clk
}

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h := auth.HashPassword(pw, auth.DefaultParams)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Errorf("got %q, want the documented argon2id parameters in PHC form", h)
	}
	if ok, current, err := auth.VerifyPassword(h, pw, auth.DefaultParams); !ok || !current || err != nil {
		t.Errorf("default parameters: got %v %v %v", ok, current, err)
	}
	// The rest with cheap parameters: the default ones cost a tenth of a
	// second and 64 MiB each.
	h = auth.HashPassword(pw, cheap)
	if h2 := auth.HashPassword(pw, cheap); h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for _, c := range []struct {
		password      string
		params        auth.Params
		ok, isCurrent bool
	}{
		{pw, cheap, true, true},
		{pw + " ", cheap, false, true},
		{"", cheap, false, true},
		{pw, auth.DefaultParams, true, false}, // right password, old parameters: rehash
	} {
		ok, current, err := auth.VerifyPassword(h, c.password, c.params)
		if err != nil || ok != c.ok || current != c.isCurrent {
			t.Errorf("verify %q: got %v %v %v, want %v %v", c.password, ok, current, err, c.ok, c.isCurrent)
		}
	}
	for _, bad := range []string{
		"", "plain", "$argon2i$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=16$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=3,p=2$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5", // 95 GiB
		"$argon2id$v=19$t=3,m=65536,p=2$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=65536,t=3,p=2$!!$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0$a2V5",
	} {
		if _, _, err := auth.VerifyPassword(bad, pw, auth.DefaultParams); err == nil {
			t.Errorf("hash %q: verified without error", bad)
		}
	}
}

func FuzzParseHash(f *testing.F) {
	f.Add(auth.HashPassword("x", cheap))
	f.Add("$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := auth.ParseHash(s)
		if err != nil {
			return
		}
		if p.Memory > 4<<20 || p.Time > 100 || p.Threads == 0 || len(salt) < 8 || len(key) < 16 {
			t.Errorf("%q: accepted out-of-bounds parameters %+v", s, p)
		}
	})
}

// TestLoginSlowsBruteForce drives the limiter with the test clock: five
// free failures per account, then waits of 1 s, 2 s, 4 s … during which
// even the right password is refused unchecked.
func TestLoginSlowsBruteForce(t *testing.T) {
	t.Parallel()
	s, _, clk := newService(t, nil)
	ctx := context.Background()
	try := func(name, password, client string) string {
		_, _, err := s.Login(ctx, name, password, client)
		return plotline.ErrorCode(err)
	}
	for i := range 5 {
		if got := try("bob", "guess", "198.51.100.7:4000"); got != plotline.EUNAUTHORIZED {
			t.Fatalf("failure %d: got %q, want unauthorized", i+1, got)
		}
	}
	if got := try("bob", pw, "198.51.100.7:4000"); got != plotline.ETOOMANY {
		t.Fatalf("right password after 5 failures: got %q, want too_many_requests", got)
	}
	// Another address does not help: the account is slowed.
	if got := try("BOB", pw, "203.0.113.9:1"); got != plotline.ETOOMANY {
		t.Errorf("right password from another address: got %q, want too_many_requests", got)
	}
	// Other accounts are not affected.
	if got := try("ann", pw, "203.0.113.9:1"); got != "" {
		t.Errorf("ann: got %q, want success", got)
	}
	wait := time.Second
	for round := range 4 {
		clk.Add(wait - time.Millisecond)
		if got := try("bob", pw, "198.51.100.7:4000"); got != plotline.ETOOMANY {
			t.Fatalf("round %d, just before the %s wait: got %q", round, wait, got)
		}
		clk.Add(time.Millisecond)
		if got := try("bob", "guess", "198.51.100.7:4000"); got != plotline.EUNAUTHORIZED {
			t.Fatalf("round %d, after the %s wait: got %q, want a checked (wrong) password", round, wait, got)
		}
		wait *= 2
	}
	clk.Add(wait)
	if got := try("bob", pw, "198.51.100.7:4000"); got != "" {
		t.Fatalf("right password after waiting: got %q", got)
	}
	// Success resets the account: five free failures again.
	for range 5 {
		try("bob", "guess", "198.51.100.8:1")
	}
	if got := try("bob", "guess", "198.51.100.8:1"); got != plotline.ETOOMANY {
		t.Errorf("after a reset and 5 failures: got %q", got)
	}
}

// TestLoginSlowsOneAddress: 20 failures from one address across many
// names slow that address, not others; IPv6 counts per /64.
func TestLoginSlowsOneAddress(t *testing.T) {
	t.Parallel()
	s, _, clk := newService(t, nil)
	ctx := context.Background()
	for i := range 20 {
		if _, _, err := s.Login(ctx, "user"+string(rune('a'+i)), "guess", "[2001:db8:1:2::10]:5000"); plotline.ErrorCode(err) != plotline.EUNAUTHORIZED {
			t.Fatalf("failure %d: got %v", i, err)
		}
	}
	if _, _, err := s.Login(ctx, "ann", pw, "[2001:db8:1:2::99]:7000"); plotline.ErrorCode(err) != plotline.ETOOMANY {
		t.Errorf("same /64: got %v, want too_many_requests", err)
	}
	if _, _, err := s.Login(ctx, "ann", pw, "[2001:db8:1:3::10]:5000"); err != nil {
		t.Errorf("another /64: got %v", err)
	}
	clk.Add(time.Second)
	if _, _, err := s.Login(ctx, "ann", pw, "[2001:db8:1:2::10]:5000"); err != nil {
		t.Errorf("after the wait: got %v", err)
	}
}

func TestLoginRefusals(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t, nil)
	ctx := context.Background()
	u, err := s.User(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, password string }{
		{"nobody", pw}, {"bob", pw}, {"ann", strings.Repeat("x", auth.MaxPasswordLen+1)}, {"", ""},
	} {
		_, _, err := s.Login(ctx, c.name, c.password, "192.0.2.1:1")
		if plotline.ErrorCode(err) != plotline.EUNAUTHORIZED || plotline.ErrorMessage(err) != "wrong name or password" {
			t.Errorf("login %q: got %v, want the one unrevealing refusal", c.name, err)
		}
	}
	for _, c := range []struct {
		u    plotline.User
		pw   string
		want string
	}{
		{plotline.User{Name: "ok.name", Role: "reader", Clearance: "clear"}, "short", "password"},
		{plotline.User{Name: "bad name", Role: "reader", Clearance: "clear"}, pw, "name"},
		{plotline.User{Name: "x", Role: "owner", Clearance: "clear"}, pw, "role"},
		{plotline.User{Name: "y", Role: "reader", Clearance: "secret"}, pw, "clearance"},
	} {
		var pe *plotline.Error
		err := s.AddUser(ctx, &c.u, c.pw)
		if e, ok := err.(*plotline.Error); ok {
			pe = e
		}
		if pe == nil || pe.Field != c.want {
			t.Errorf("AddUser %+v: got %v, want an error on %s", c.u, err, c.want)
		}
	}
}

// TestSessions: a session names its user until logout, expiry, idleness,
// disabling or a new password; only the digest of its secret is stored.
func TestSessions(t *testing.T) {
	t.Parallel()
	s, db, clk := newService(t, func(c *auth.Config) { c.SessionTTL = 8 * time.Hour; c.IdleTTL = time.Hour })
	ctx := context.Background()
	login := func() string {
		secret, _, err := s.Login(ctx, "bob", pw, "192.0.2.1:1")
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	user := func(secret string) string {
		u, err := s.SessionUser(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if u == nil {
			return ""
		}
		return u.Name
	}
	a := login()
	if got := user(a); got != "bob" {
		t.Fatalf("got %q", got)
	}
	var n int
	sum := sha256.Sum256([]byte(a))
	if err := db.ReadDB().QueryRow(`SELECT count(*) FROM session WHERE hash = ?`, []byte(a)).Scan(&n); err != nil || n != 0 {
		t.Errorf("the secret itself is stored: %d, %v", n, err)
	}
	if err := db.ReadDB().QueryRow(`SELECT count(*) FROM session WHERE hash = ?`, sum[:]).Scan(&n); err != nil || n != 1 {
		t.Errorf("its digest is not stored: %d, %v", n, err)
	}
	if got := user(a + "x"); got != "" {
		t.Errorf("altered secret: got %q", got)
	}
	// Used every 50 minutes, it outlives the idle hour, not the 8 hours.
	for range 9 {
		clk.Add(50 * time.Minute)
		user(a)
	}
	if got := user(a); got != "bob" {
		t.Errorf("after 7.5 h of regular use: got %q, want bob", got)
	}
	clk.Add(50 * time.Minute)
	if got := user(a); got != "" {
		t.Errorf("after 8 h 20 min: got %q, want expired", got)
	}
	b := login()
	clk.Add(time.Hour)
	if got := user(b); got != "" {
		t.Errorf("after an idle hour: got %q, want expired", got)
	}
	c := login()
	if err := s.Logout(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got := user(c); got != "" {
		t.Errorf("after logout: got %q", got)
	}
	d := login()
	if err := s.SetPassword(ctx, "bob", "another long password"); err != nil {
		t.Fatal(err)
	}
	if got := user(d); got != "" {
		t.Errorf("after a new password: got %q", got)
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	s, _, clk := newService(t, nil)
	ctx := context.Background()
	secret, tok, err := s.NewToken(ctx, "bob", "nightly", 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "plt_") || len(secret) < 40 {
		t.Errorf("secret %q", secret)
	}
	req := func(h string) (*plotline.User, error) {
		r := httptest.NewRequest("GET", "/api/v1/incidents", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		return s.Authenticate(r)
	}
	if u, err := req("Bearer " + secret); err != nil || u.Name != "bob" || u.Role != plotline.RoleReader {
		t.Fatalf("got %+v, %v", u, err)
	}
	if u, err := req("bearer " + secret); err != nil || u == nil {
		t.Errorf("lower-case scheme: got %+v, %v", u, err)
	}
	for _, h := range []string{"Bearer plt_wrong", "Basic Ym9iOnB3", "Bearer", secret} {
		if u, err := req(h); plotline.ErrorCode(err) != plotline.EUNAUTHORIZED {
			t.Errorf("Authorization %q: got %+v, %v, want unauthorized", h, u, err)
		}
	}
	if u, err := req(""); u != nil || err != nil {
		t.Errorf("no credentials: got %+v, %v, want anonymous", u, err)
	}
	list, err := s.Tokens(ctx, "bob")
	if err != nil || len(list) != 1 || list[0].UsedAt == nil || list[0].Label != "nightly" {
		t.Errorf("Tokens: got %+v, %v (want last use recorded)", list, err)
	}
	clk.Add(48 * time.Hour)
	if _, err := req("Bearer " + secret); plotline.ErrorCode(err) != plotline.EUNAUTHORIZED {
		t.Errorf("expired token: got %v", err)
	}
	secret2, tok2, err := s.NewToken(ctx, "bob", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, tok2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := req("Bearer " + secret2); plotline.ErrorCode(err) != plotline.EUNAUTHORIZED {
		t.Errorf("revoked token: got %v", err)
	}
	secret3, _, _ := s.NewToken(ctx, "bob", "", 0)
	u, _ := s.User(ctx, "bob")
	u.Disabled = true
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := req("Bearer " + secret3); plotline.ErrorCode(err) != plotline.EUNAUTHORIZED {
		t.Errorf("token of a disabled user: got %v", err)
	}
	if _, _, err := s.NewToken(ctx, "bob", "", 0); plotline.ErrorCode(err) != plotline.ECONFLICT {
		t.Errorf("new token for a disabled user: got %v", err)
	}
	_ = tok
}

// TestSessionCookie checks the cookie's attributes and the logout.
func TestSessionCookie(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name         string
		secureFlag   bool
		tls          bool
		wantName     string
		wantSecure   bool
		wantSameSite http.SameSite
	}{
		{"plain HTTP", false, false, "plotline_session", false, http.SameSiteLaxMode},
		{"behind a TLS proxy", true, false, "__Host-plotline_session", true, http.SameSiteLaxMode},
		{"direct TLS", false, true, "__Host-plotline_session", true, http.SameSiteLaxMode},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _, _ := newService(t, func(cfg *auth.Config) { cfg.SecureCookies = c.secureFlag })
			r := httptest.NewRequest("POST", "/login", nil)
			if c.tls {
				r = httptest.NewRequest("POST", "https://plotline.example/login", nil)
			}
			w := httptest.NewRecorder()
			if _, err := s.LogIn(w, r, "ann", pw); err != nil {
				t.Fatal(err)
			}
			cookies := w.Result().Cookies()
			if len(cookies) != 1 {
				t.Fatalf("got %d cookies", len(cookies))
			}
			ck := cookies[0]
			if ck.Name != c.wantName || !ck.HttpOnly || ck.Secure != c.wantSecure || ck.SameSite != c.wantSameSite || ck.Path != "/" || ck.Domain != "" || ck.MaxAge != 12*3600 {
				t.Errorf("got %+v", ck)
			}
			r2 := httptest.NewRequest("GET", r.URL.String(), nil)
			r2.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
			if u, err := s.Authenticate(r2); err != nil || u == nil || u.Name != "ann" {
				t.Fatalf("with the cookie: got %+v, %v", u, err)
			}
			w = httptest.NewRecorder()
			if err := s.LogOut(w, r2); err != nil {
				t.Fatal(err)
			}
			if cl := w.Result().Cookies(); len(cl) != 1 || cl[0].MaxAge >= 0 || cl[0].Value != "" {
				t.Errorf("logout cookie: got %+v, want it cleared", cl)
			}
			if u, err := s.Authenticate(r2); err != nil || u != nil {
				t.Errorf("old cookie after logout: got %+v, %v, want anonymous", u, err)
			}
		})
	}
}

// BenchmarkHashPassword measures one hash with the default parameters,
// the cost of each login.
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		auth.HashPassword(pw, auth.DefaultParams)
	}
}
