package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/plotline-dev/plotline"
)

// strictCSP is stricter than the server's (no 'unsafe-inline' styles), so a
// page that passes here passes there.
const strictCSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// findChromium returns the browser to drive: $PLOTLINE_CHROMIUM, else
// Debian's chromium.
func findChromium() string {
	if p := os.Getenv("PLOTLINE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is one headless Chromium tab against a test server, collecting
// script errors and CSP violations.
type browser struct {
	t      *testing.T
	ctx    context.Context
	base   string
	shots  string
	db     plotline.Store
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	exe := findChromium()
	if exe == "" {
		t.Skip("no Chromium found (set PLOTLINE_CHROMIUM, or: apt-get install -y chromium); browser tests skipped")
	}
	db := mustOpenStore(t)
	ui := New(Config{Store: db, Analytics: analyticsOf(mustEngine(t, db)), Now: func() time.Time { return today }})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", strictCSP)
		ui.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900), // a laptop screen
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 150*time.Second)
	t.Cleanup(func() { cancelTime(); cancelCtx(); cancelAlloc() })

	shots := os.Getenv("PLOTLINE_ARTEFACTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, ctx: ctx, base: srv.URL, shots: shots, db: db}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	// Collect script errors and CSP violations (they reach the console).
	console := chromedp.Console(ctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			// A rejected form answers 422 on purpose; Chromium logs that as a failed load.
			if strings.Contains(m.Text, "status of 422") {
				continue
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				b.mu.Lock()
				b.errors = append(b.errors, fmt.Sprintf("%s: %s (%s)", m.Type, m.Text, m.URL))
				b.mu.Unlock()
			}
		}
	}()
	t.Logf("chromium: %s; screenshots: %s", exe, shots)
	return b
}

func (b *browser) run(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
	b.checkErrors(step)
}

// value runs one action that returns a value.
func value[T any](b *browser, step string, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
	b.checkErrors(step)
	return v
}

func (b *browser) checkErrors(step string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errors) > 0 {
		b.t.Fatalf("%s: the page reported errors:\n%s", step, strings.Join(b.errors, "\n"))
	}
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	png := value(b, "screenshot "+name, chromedp.FullScreenshot(100))
	p := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", p)
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(value(b, "read "+sel, chromedp.Text(chromedp.CSS(sel))))
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	return len(value(b, "count "+sel, chromedp.Nodes(chromedp.CSSAll(sel), chromedp.AtLeast(0))))
}

func (b *browser) location() string {
	b.t.Helper()
	return value(b, "location", chromedp.Location())
}

func TestBrowser(t *testing.T) {
	b := newBrowser(t)

	// Dashboard: the seed's H1 2024 report by default.
	b.run("open dashboard", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS("#count-total")))
	rep := h1Report(t, b.db)
	if got, want := b.text("#count-total .num"), fmt.Sprint(rep.Total); got != want {
		t.Errorf("H1 2024 total %q, want %q", got, want)
	}
	if got, want := b.text("#count-related .num"), fmt.Sprint(rep.Related); got != want {
		t.Errorf("H1 2024 related to ISKP %q, want %q", got, want)
	}
	b.screenshot("01-dashboard")

	// Change the period with the form's date inputs.
	b.run("change period",
		chromedp.SetValue(chromedp.CSS("#from"), "2024-07-01"),
		chromedp.SetValue(chromedp.CSS("#to"), "2024-12-31"),
		chromedp.Click(chromedp.CSS(`form.controls button[type=submit]`)),
		chromedp.WaitVisible(`//h1[contains(., "2024-07-01 to 2024-12-31")]`),
	)
	h2URL := b.location()
	if !strings.Contains(h2URL, "from=2024-07-01") || !strings.Contains(h2URL, "to=2024-12-31") {
		t.Errorf("period not in the URL: %s", h2URL)
	}
	h2Total := b.text("#count-total .num")
	b.screenshot("02-dashboard-h2-2024")

	// Apply a filter on the incident table.
	b.run("filter incidents",
		chromedp.Navigate(b.base+"/incidents"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#q"), "target:TUR date:2024-01"),
		chromedp.Submit(chromedp.CSS("#q")),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-id="2024-01-28-tur-istanbul-church"]`)),
	)
	// The Istanbul row is in the unfiltered table too: the filtered page may
	// still be loading. Give it a few seconds to show one row.
	n := b.count("#incident-table tbody tr")
	for i := 0; i < 50 && n != 1; i++ {
		time.Sleep(100 * time.Millisecond)
		n = b.count("#incident-table tbody tr")
	}
	if n != 1 {
		t.Errorf("filter target:TUR date:2024-01 shows %d rows, want 1", n)
	}
	b.screenshot("03-incidents-filtered")

	// Open the incident and see its attribution timeline.
	b.run("open incident",
		chromedp.Click(chromedp.CSS(`tr[data-id="2024-01-28-tur-istanbul-church"] a`)),
		chromedp.WaitVisible(chromedp.CSS("#timeline")),
	)
	if n := b.count("#timeline > li"); n != 3 {
		t.Errorf("timeline has %d statements, want 3", n)
	}
	if s := b.text("#timeline"); !strings.Contains(s, "Islamic State Turkey Province") || !strings.Contains(s, "Islamic State Khorasan Province") {
		t.Errorf("timeline lacks the claimed and the official unit: %s", s)
	}
	b.screenshot("04-incident")

	// The map draws the bundled basemap and one mark per counted incident.
	b.run("open map",
		chromedp.Navigate(b.base+"/map?from=2024-01-01&to=2024-06-30&related_to=is-khorasan&rule=any"),
		chromedp.WaitVisible(chromedp.CSS("#map[data-rendered] svg")),
	)
	if n := b.count("#map path.country"); n < 150 {
		t.Errorf("map has %d country shapes, want the Natural Earth 110m set (>150)", n)
	}
	if marks, rows := b.count("#map a.mark"), b.count("#map-table tbody tr"); marks == 0 || marks != rows {
		t.Errorf("map has %d marks for %d listed incidents", marks, rows)
	}
	if n := b.count(`#map path.country.target[data-country="RUS"]`); n != 1 {
		t.Errorf("Russia is not shaded as a target")
	}
	if n := b.count("#map path.arc"); n == 0 {
		t.Errorf("map draws no arcs from home regions")
	}
	b.screenshot("05-map")

	// Organisation chart on a chosen date.
	b.run("open org chart",
		chromedp.Navigate(b.base+"/org"),
		chromedp.WaitVisible(chromedp.CSS("#on")),
		chromedp.SetValue(chromedp.CSS("#on"), "2024-01-01"),
		chromedp.Submit(chromedp.CSS("#on")),
		chromedp.WaitVisible(`//h1[contains(., "2024-01-01")]`),
	)
	if n := b.count(`#org-tree li[data-actor="is-gdp"] li[data-actor="is-khorasan"]`); n == 0 {
		t.Errorf("org chart on 2024-01-01 does not place ISKP under the General Directorate of Provinces")
	}
	b.screenshot("06-org")

	// Create an incident: first a rejected submission with a field error.
	b.run("open new incident form",
		chromedp.Navigate(b.base+"/incidents/new"),
		chromedp.WaitVisible(chromedp.CSS("#f-title")),
		chromedp.SendKeys(chromedp.CSS("#f-id"), "2024-06-30-test-browser-plot"),
		chromedp.SendKeys(chromedp.CSS("#f-title"), "Browser test plot"),
		chromedp.SetValue(chromedp.CSS("#f-kind"), "attack"),
		chromedp.SetValue(chromedp.CSS("#f-outcome"), "foiled"),
		chromedp.SendKeys(chromedp.CSS("#f-date"), "2024-06"),
		chromedp.SendKeys(chromedp.CSS(`[name="location.country"]`), "DEU"),
		chromedp.SendKeys(chromedp.CSS("#f-target_country"), "DEU"),
		chromedp.SendKeys(chromedp.CSS("#f-sources"), "h1-winep-pw3904"),
		chromedp.Click(chromedp.CSS("#save")),
		chromedp.WaitVisible(chromedp.CSS("#form-errors")),
	)
	if n := b.count(`#f-outcome[aria-invalid="true"]`); n != 1 {
		t.Errorf("the outcome field is not marked invalid")
	}
	if s := b.text("#e-outcome"); !strings.Contains(s, "cannot be foiled") {
		t.Errorf("outcome error %q", s)
	}
	if got := b.text("#form-errors"); !strings.Contains(got, "outcome") {
		t.Errorf("error summary %q does not name the field", got)
	}
	b.screenshot("07-form-rejected")
	b.run("fix and resubmit",
		chromedp.SetValue(chromedp.CSS("#f-kind"), "plot"),
		chromedp.Click(chromedp.CSS("#save")),
		chromedp.WaitVisible(`//h1[. = "Browser test plot"]`),
	)
	if u := b.location(); !strings.HasSuffix(u, "/incidents/2024-06-30-test-browser-plot") {
		t.Errorf("after create the browser is at %s", u)
	}
	b.screenshot("08-created")

	// A copied URL reproduces the view: the filtered, sorted, column-chosen
	// table as of a past day, and the changed dashboard period.
	view := b.base + "/incidents?q=" + "kind%3Aplot+date%3A2024-01..2024-06" + "&sort=-date&cols=date,id,target,units&as_of=2024-06-30"
	b.run("open a view", chromedp.Navigate(view), chromedp.WaitVisible(chromedp.CSS("#incident-table")))
	first := b.text("#incident-table")
	copied := b.location()
	b.run("reload the copied URL", chromedp.Navigate("about:blank"), chromedp.Navigate(copied),
		chromedp.WaitVisible(chromedp.CSS("#incident-table")))
	second := b.text("#incident-table")
	if first == "" || first != second {
		t.Errorf("reloaded view differs:\n%s\n---\n%s", first, second)
	}
	b.run("reload the dashboard URL", chromedp.Navigate(h2URL), chromedp.WaitVisible(chromedp.CSS("#count-total")))
	if got := b.text("#count-total .num"); got != h2Total {
		t.Errorf("reloaded dashboard total %q, want %q", got, h2Total)
	}
	b.screenshot("09-reloaded")
}
