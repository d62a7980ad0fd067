package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/auth"
	"github.com/plotline-dev/plotline/internal/httpapi"
	"github.com/plotline-dev/plotline/internal/web"
)

// cheapParams keep password hashing fast in tests; the default parameters
// are tested in internal/auth.
var cheapParams = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// clock is a settable test clock.
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

// authServer is a server in accounts mode with the real UI, on a copy of
// the curated database, with one user per role.
type authServer struct {
	*httptest.Server
	api   *httpapi.Server
	auth  *auth.Service
	clock *clock
	// tokens and passwords of the users named after their roles.
	tokens map[string]string
}

const testPassword = "correct horse battery staple"

func newAuthServer(t *testing.T, mod func(*auth.Config)) *authServer {
	t.Helper()
	db := mustOpenCurated(t)
	clk := &clock{t: time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)}
	cfg := auth.Config{Store: db, Now: clk.Now, Params: &cheapParams}
	if mod != nil {
		mod(&cfg)
	}
	svc := auth.New(cfg)
	ui := web.New(web.Config{Store: db, Now: func() time.Time { return fixedNow }, Accounts: svc})
	api := httpapi.NewServer(httpapi.Config{Store: db, UI: ui, Auth: svc, Now: func() time.Time { return fixedNow }})
	ts := httptest.NewServer(api)
	t.Cleanup(ts.Close)
	as := &authServer{Server: ts, api: api, auth: svc, clock: clk, tokens: map[string]string{}}
	ctx := context.Background()
	for _, role := range plotline.Roles {
		if err := svc.AddUser(ctx, &plotline.User{Name: role, Role: role, Clearance: "red"}, testPassword); err != nil {
			t.Fatal(err)
		}
		secret, _, err := svc.NewToken(ctx, role, "matrix", 0)
		if err != nil {
			t.Fatal(err)
		}
		as.tokens[role] = secret
	}
	return as
}

// session logs name in through the service and returns the cookie value.
func (as *authServer) session(t *testing.T, name string) string {
	t.Helper()
	secret, _, err := as.auth.Login(context.Background(), name, testPassword, "192.0.2.1:1234")
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// send makes a request without following redirects. cred is "" (none),
// "bearer:SECRET" or "cookie:SECRET"; header adds key/value pairs.
func (as *authServer) send(t *testing.T, method, path, body, cred string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, as.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case strings.HasPrefix(path, "/api/"):
		req.Header.Set("Content-Type", "application/json")
	case body != "":
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	kind, secret, _ := strings.Cut(cred, ":")
	switch kind {
	case "bearer":
		req.Header.Set("Authorization", "Bearer "+secret)
	case "cookie":
		req.AddCookie(&http.Cookie{Name: "plotline_session", Value: secret})
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body) //nolint:errcheck // only the status and headers matter
	res.Body.Close()
	return res
}

// allRoutes lists every pattern the server answers: its API routes, the
// UI's pages, and the two root endpoints.
func allRoutes(t *testing.T, api *httpapi.Server) []string {
	t.Helper()
	ui := api.UIRoutes()
	if len(ui) < 20 {
		t.Fatalf("the UI lists %d routes; the matrix would prove little", len(ui))
	}
	if len(api.Routes()) < 30 {
		t.Fatalf("the API lists %d routes; the matrix would prove little", len(api.Routes()))
	}
	return slices.Concat([]string{"GET /healthz", "GET /metrics"}, api.Routes(), ui)
}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// requestFor turns a route pattern into a concrete request: wildcards get
// IDs that exist nowhere, so that allowed writes fail validation or find
// nothing and the matrix changes no data.
func requestFor(pattern string) (method, path, body string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	switch {
	case path == "/":
		path = "/no-such-page"
	case path == "/static/":
		path = "/static/favicon.svg"
	}
	path = strings.ReplaceAll(path, "{$}", "")
	path = wildcard.ReplaceAllString(path, "matrix-no-such-id")
	if method != "GET" && method != "HEAD" && method != "DELETE" {
		body = "{}"
		if !strings.HasPrefix(path, "/api/") {
			body = "matrix=1"
		}
	}
	return method, path, body
}

func isAPIPath(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/metrics" || path == "/healthz"
}

// TestAuthorisationMatrix sends every route × every role, and anonymous,
// and checks the answer: allowed, 403 for too low a role, and 401 (API) or
// a redirect to the login page (pages) without credentials. Routes come
// from the server's own lists, so a new route without a policy entry fails
// here.
func TestAuthorisationMatrix(t *testing.T) {
	t.Parallel()
	as := newAuthServer(t, nil)
	policy := httpapi.AccessPolicy()
	routes := allRoutes(t, as.api)

	for _, r := range routes {
		if _, ok := policy[r]; !ok {
			t.Errorf("route %q has no entry in httpapi.AccessPolicy (internal/httpapi/auth.go): decide who may use it", r)
		}
	}
	for p := range policy {
		if !slices.Contains(routes, p) {
			t.Errorf("AccessPolicy lists %q, which is not a route", p)
		}
	}

	identities := append([]string{"anonymous"}, plotline.Roles...)
	counts := map[string]int{}
	for _, pattern := range routes {
		need, ok := policy[pattern]
		if !ok {
			need = plotline.RoleAdmin // what the server applies to routes missing from the policy
		}
		method, path, body := requestFor(pattern)
		for _, who := range identities {
			cred := ""
			if who != "anonymous" {
				if isAPIPath(path) {
					cred = "bearer:" + as.tokens[who]
				} else {
					cred = "cookie:" + as.session(t, who) // a fresh session: POST /logout ends it
				}
			}
			res := as.send(t, method, path, body, cred)
			loc := res.Header.Get("Location")
			// The access layer never redirects on a public route; there a
			// redirect to the login page is the handler's (logout's) answer.
			toLogin := res.StatusCode == http.StatusSeeOther && strings.HasPrefix(loc, "/login") && need != httpapi.Public
			refused := res.StatusCode == http.StatusForbidden || toLogin ||
				(res.StatusCode == http.StatusUnauthorized && isAPIPath(path))
			var want string
			switch {
			case need == httpapi.Public:
				want = "allowed"
			case who == "anonymous" && isAPIPath(path):
				want = "401"
			case who == "anonymous":
				want = "login"
			case plotline.RoleAtLeast(who, need):
				want = "allowed"
			default:
				want = "403"
			}
			got := fmt.Sprint(res.StatusCode)
			switch {
			case toLogin:
				got = "login"
			case !refused:
				got = "allowed"
			}
			counts[want]++
			if got != want {
				t.Errorf("%s as %s (needs %s): got %s (%d %s), want %s", pattern, who, need, got, res.StatusCode, loc, want)
			}
			if want == "401" && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s as %s: 401 without a Bearer challenge", pattern, who)
			}
			if want == "login" && method == "GET" && loc != "/login?next="+url.QueryEscape(path) {
				t.Errorf("%s as %s: redirected to %q, want the login page with next=%s", pattern, who, loc, path)
			}
		}
	}
	t.Logf("%d routes × %d identities: %v", len(routes), len(identities), counts)
	for _, w := range []string{"allowed", "401", "login", "403"} {
		if counts[w] == 0 {
			t.Errorf("no case expected %s; the matrix does not exercise it", w)
		}
	}
}

// TestAccessPolicyShape checks the policy against the rules it is meant to
// follow, so that a careless entry cannot pass the matrix just by being
// consistent with itself.
func TestAccessPolicyShape(t *testing.T) {
	t.Parallel()
	valid := append([]string{httpapi.Public}, plotline.Roles...)
	public := []string{"GET /healthz", "GET /static/", "GET /login", "POST /login", "POST /logout"}
	for pattern, need := range httpapi.AccessPolicy() {
		method, path, _ := strings.Cut(pattern, " ")
		if path == "" {
			method, path = "", method
		}
		if !slices.Contains(valid, need) {
			t.Errorf("%s: %q is not a role or public", pattern, need)
		}
		if (need == httpapi.Public) != slices.Contains(public, pattern) {
			t.Errorf("%s: public is %v; only %v are public", pattern, need == httpapi.Public, public)
		}
		if need == httpapi.Public {
			continue
		}
		write := method != "GET" && method != "HEAD" && method != ""
		switch {
		case strings.Contains(path, "/users") || strings.Contains(path, "/audit") || strings.Contains(path, "/admin") || path == "/metrics":
			if need != plotline.RoleAdmin {
				t.Errorf("%s: needs %s; user management, audit and metrics are for admins", pattern, need)
			}
		case strings.Contains(path, "publish") || strings.Contains(path, "/return") || strings.Contains(path, "/revert"):
			if !plotline.RoleAtLeast(need, plotline.RoleReviewer) {
				t.Errorf("%s: needs %s; publishing, sending back and reverting are for reviewers", pattern, need)
			}
		case strings.Contains(path+"/", "/review/"):
			if !plotline.RoleAtLeast(need, plotline.RoleAnalyst) {
				t.Errorf("%s: needs %s; drafts are not for readers", pattern, need)
			}
		case write || strings.HasSuffix(path, "/new") || strings.HasSuffix(path, "/edit"):
			if !plotline.RoleAtLeast(need, plotline.RoleAnalyst) {
				t.Errorf("%s: needs %s; creating and editing is for analysts", pattern, need)
			}
		default:
			if need != plotline.RoleReader {
				t.Errorf("%s: needs %s; reading is for readers", pattern, need)
			}
		}
	}
}
