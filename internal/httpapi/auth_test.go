package httpapi_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/plotline-dev/plotline/internal/httpapi"
	"github.com/plotline-dev/plotline/internal/web"
)

// TestCrossOriginRefused: a state-changing request that a browser marks as
// cross-site, or whose Origin is another host, is refused before it reaches
// a handler, in both modes and even with valid credentials; safe methods
// and same-origin requests pass.
func TestCrossOriginRefused(t *testing.T) {
	t.Parallel()
	as := newAuthServer(t, nil)
	single := newTestServer(t, func(c *httpapi.Config) {
		c.UI = web.New(web.Config{Store: c.Store, Now: func() time.Time { return fixedNow }})
	})
	analyst := as.session(t, "analyst")
	incident := `{"id":"2099-01-01-csrf-probe","kind":"attack","outcome":"completed","date":"2099-01-01","location":{"country":"DEU"},"target_country":"DEU","summary":"x"}`
	for _, c := range []struct {
		name, method, path, body, cred string
		header                         []string
		want                           int
	}{
		{"API write, cross-site fetch", "POST", "/api/v1/incidents", incident, "cookie:" + analyst, []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"API write, foreign Origin", "POST", "/api/v1/incidents", incident, "cookie:" + analyst, []string{"Origin", "https://evil.example"}, 403},
		{"API delete, same-site other origin", "DELETE", "/api/v1/incidents/x", "", "cookie:" + analyst, []string{"Sec-Fetch-Site", "same-site"}, 403},
		{"form post, cross-site", "POST", "/incidents/new", "id=x", "cookie:" + analyst, []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"login, cross-site (login CSRF)", "POST", "/login", "name=analyst&password=" + url.QueryEscape(testPassword), "", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"logout, cross-site", "POST", "/logout", "", "cookie:" + analyst, []string{"Origin", "https://evil.example"}, 403},
		{"GET, cross-site", "GET", "/api/v1/incidents?limit=1", "", "cookie:" + analyst, []string{"Sec-Fetch-Site", "cross-site"}, 200},
		{"form post, same-origin", "POST", "/incidents/new", "id=", "cookie:" + analyst, []string{"Sec-Fetch-Site", "same-origin"}, 422},
		{"API write, no browser headers (scripts)", "POST", "/api/v1/incidents", "{}", "bearer:" + as.tokens["analyst"], nil, 400},
	} {
		res := as.send(t, c.method, c.path, c.body, c.cred, c.header...)
		if res.StatusCode != c.want {
			t.Errorf("accounts mode, %s: got %d, want %d", c.name, res.StatusCode, c.want)
		}
		// Single-user mode: no credentials at all, the same refusals.
		req, err := http.NewRequest(c.method, single.URL+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if c.body != "" && !strings.HasPrefix(c.path, "/api/") {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for i := 0; i+1 < len(c.header); i += 2 {
			req.Header.Set(c.header[i], c.header[i+1])
		}
		sres, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		sres.Body.Close()
		if (sres.StatusCode == 403) != (c.want == 403) {
			t.Errorf("single-user mode, %s: got %d", c.name, sres.StatusCode)
		}
	}
	// Nothing was written by the refused requests.
	if res := as.send(t, "GET", "/api/v1/incidents/2099-01-01-csrf-probe", "", "bearer:"+as.tokens["reader"]); res.StatusCode != 404 {
		t.Errorf("the probe incident: got %d, want 404 (never created)", res.StatusCode)
	}
	if res := single.do(t, "GET", "/api/v1/incidents/2099-01-01-csrf-probe", nil); res.status != 404 {
		t.Errorf("single-user: the probe incident: got %d, want 404", res.status)
	}
}

// TestLoginFlow walks a browser through the login page: redirect, wrong
// password, right password back to where it was going, the page showing
// who is logged in, logout, and brute force answered 429.
func TestLoginFlow(t *testing.T) {
	t.Parallel()
	as := newAuthServer(t, nil)
	body := func(res *http.Response) string {
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, form, cookie string) *http.Response {
		req, err := http.NewRequest(method, as.URL+path, strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		if form != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "plotline_session", Value: cookie})
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	res := do("GET", "/incidents?q=kind:plot", "", "")
	if res.StatusCode != 303 || res.Header.Get("Location") != "/login?next=%2Fincidents%3Fq%3Dkind%3Aplot" {
		t.Fatalf("anonymous page: got %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	res = do("GET", "/login?next=%2Fincidents%3Fq%3Dkind%3Aplot", "", "")
	if b := body(res); res.StatusCode != 200 || !strings.Contains(b, `name="password"`) || !strings.Contains(b, `value="/incidents?q=kind:plot"`) || strings.Contains(b, "Single-user mode") {
		t.Fatalf("login page: got %d\n%s", res.StatusCode, b)
	}
	res = do("POST", "/login", "name=reader&password=wrong&next=%2Fincidents", "")
	if b := body(res); res.StatusCode != 401 || !strings.Contains(b, "wrong name or password") || len(res.Cookies()) != 0 {
		t.Errorf("wrong password: got %d %v\n%s", res.StatusCode, res.Cookies(), b)
	}
	res = do("POST", "/login", "name=reader&password="+url.QueryEscape(testPassword)+"&next=%2Fincidents%3Fq%3Dkind%3Aplot", "")
	if res.StatusCode != 303 || res.Header.Get("Location") != "/incidents?q=kind:plot" || len(res.Cookies()) != 1 {
		t.Fatalf("right password: got %d %q %v", res.StatusCode, res.Header.Get("Location"), res.Cookies())
	}
	cookie := res.Cookies()[0].Value
	res = do("GET", "/incidents", "", cookie)
	b := body(res)
	if res.StatusCode != 200 || !strings.Contains(b, "Log out") || !strings.Contains(b, ">reader<") || strings.Contains(b, "Single-user mode") {
		t.Errorf("page when logged in: got %d\n%s", res.StatusCode, b)
	}
	if strings.Contains(b, `href="/incidents/new"`) {
		t.Errorf("a reader's page links to the new-incident form, which would be refused")
	}
	// The session works on the API too (the pages' scripts call it).
	if res := do("GET", "/api/v1/incidents?limit=1", "", cookie); res.StatusCode != 200 {
		t.Errorf("API with the session cookie: got %d", res.StatusCode)
	}
	if res := do("POST", "/api/v1/incidents", "", cookie); res.StatusCode != 403 {
		t.Errorf("reader writing through the API: got %d, want 403", res.StatusCode)
	}
	res = do("POST", "/logout", "", cookie)
	if res.StatusCode != 303 || res.Header.Get("Location") != "/login" {
		t.Errorf("logout: got %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := do("GET", "/incidents", "", cookie); res.StatusCode != 303 {
		t.Errorf("old cookie after logout: got %d, want a redirect to log in", res.StatusCode)
	}
	// An open redirect through next= is not possible.
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		res := do("POST", "/login", "name=analyst&password="+url.QueryEscape(testPassword)+"&next="+url.QueryEscape(next), "")
		if res.StatusCode != 303 || res.Header.Get("Location") != "/" {
			t.Errorf("next=%q: got %d %q, want /", next, res.StatusCode, res.Header.Get("Location"))
		}
	}
	// Brute force: five failures, then 429 until the clock moves on.
	for i := range 5 {
		if res := do("POST", "/login", "name=admin&password=guess", ""); res.StatusCode != 401 {
			t.Fatalf("failure %d: got %d", i+1, res.StatusCode)
		}
	}
	res = do("POST", "/login", "name=admin&password="+url.QueryEscape(testPassword), "")
	if b := body(res); res.StatusCode != 429 || !strings.Contains(b, "try again in 1s") {
		t.Errorf("sixth attempt: got %d\n%s", res.StatusCode, b)
	}
	as.clock.Add(time.Second)
	if res := do("POST", "/login", "name=admin&password="+url.QueryEscape(testPassword), ""); res.StatusCode != 303 {
		t.Errorf("after the wait: got %d", res.StatusCode)
	}
}

// TestSingleUserBanner: without accounts every page says so, and the API
// needs no credentials.
func TestSingleUserBanner(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(c *httpapi.Config) {
		c.UI = web.New(web.Config{Store: c.Store, Now: func() time.Time { return fixedNow }})
	})
	for _, path := range []string{"/", "/incidents", "/login"} {
		res := ts.do(t, "GET", path, nil)
		if res.status != 200 || !strings.Contains(string(res.body), "Single-user mode: no accounts, everything editable.") {
			t.Errorf("%s: got %d, no single-user banner", path, res.status)
		}
		if strings.Contains(string(res.body), "Log out") {
			t.Errorf("%s: a logout button in single-user mode", path)
		}
	}
	if res := ts.do(t, "GET", "/api/v1/incidents?limit=1", nil); res.status != 200 {
		t.Errorf("API without credentials: got %d", res.status)
	}
	if !ts.api.SingleUser() {
		t.Error("SingleUser() is false without Config.Auth")
	}
}
