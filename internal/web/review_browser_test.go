package web

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// newTeamBrowser is newBrowser against the accounts-mode server (the API
// server's own headers, CSP included, and its login sessions).
func newTeamBrowser(t *testing.T) (*browser, *teamServer) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	exe := findChromium()
	if exe == "" {
		t.Skip("no Chromium found (set PLOTLINE_CHROMIUM, or: apt-get install -y chromium); browser tests skipped")
	}
	ts := newTeamServer(t, mustOpenStore(t))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1366, 900))
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 120*time.Second)
	t.Cleanup(func() { cancelTime(); cancelCtx(); cancelAlloc() })
	shots := os.Getenv("PLOTLINE_ARTEFACTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, ctx: ctx, base: ts.URL, shots: shots, db: ts.db}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	console := chromedp.Console(ctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				b.mu.Lock()
				b.errors = append(b.errors, fmt.Sprintf("%s: %s (%s)", m.Type, m.Text, m.URL))
				b.mu.Unlock()
			}
		}
	}()
	return b, ts
}

// logIn logs in through the login page and lands on next.
func (b *browser) logIn(name, next, waitFor string) {
	b.t.Helper()
	b.run("log in as "+name,
		chromedp.Navigate(b.base+"/login?next="+next),
		chromedp.WaitVisible(chromedp.CSS("#f-name")),
		chromedp.SendKeys(chromedp.CSS("#f-name"), name),
		chromedp.SendKeys(chromedp.CSS("#f-password"), teamPassword),
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS(waitFor)),
	)
}

// TestBrowserReview: an analyst edits an incident in the browser and is
// told the edit awaits review; a reviewer finds it in the queue, reads the
// diff and publishes it; then the incident page shows it.
func TestBrowserReview(t *testing.T) {
	b, _ := newTeamBrowser(t)
	inc := "2024-01-28-tur-istanbul-church"

	b.logIn("analyst", "/incidents/"+inc+"/edit", "#f-title")
	if n := b.count("#draft-note"); n != 1 {
		t.Errorf("the analyst's form does not say that saving makes a draft")
	}
	b.run("save an edit",
		chromedp.SetValue(chromedp.CSS("#f-title"), "Retitled in the browser"),
		chromedp.SendKeys(chromedp.CSS("#f-_note"), "a clearer title"),
		chromedp.Click(chromedp.CSS("#save")),
		chromedp.WaitVisible(chromedp.CSS("#saved-draft")),
	)
	if s := b.text("#saved-draft"); !strings.Contains(s, "Saved as a draft awaiting review") {
		t.Errorf("after saving the page says %q", s)
	}
	draftURL := b.location()
	if !strings.Contains(draftURL, "/review/") {
		t.Errorf("after saving the browser is at %s, not on the draft", draftURL)
	}
	b.screenshot("10-draft-saved")
	b.run("log out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#f-name")))

	b.logIn("reviewer", "/review", "table.drafts")
	b.run("open the draft",
		chromedp.Click(chromedp.CSS("table.drafts tbody tr a")),
		chromedp.WaitVisible(chromedp.CSS("#publish-form")),
	)
	if s := b.text("section.draft-record table.diff"); !strings.Contains(s, "Retitled in the browser") {
		t.Errorf("the diff lacks the proposed title: %s", s)
	}
	if s := b.text("#draft-note"); s != "a clearer title" {
		t.Errorf("the draft's note reads %q", s)
	}
	b.screenshot("11-draft-review")
	b.run("publish",
		chromedp.SendKeys(chromedp.CSS("#publish-note"), "checked against the sources"),
		chromedp.Click(chromedp.CSS("#publish")),
		chromedp.WaitVisible(chromedp.CSS("#reviews .review-publish")),
	)
	b.run("open the incident", chromedp.Navigate(b.base+"/incidents/"+inc), chromedp.WaitVisible(chromedp.CSS("h1")))
	if s := b.text("h1"); s != "Retitled in the browser" {
		t.Errorf("after publishing the incident's title is %q", s)
	}
	b.screenshot("12-published")
}
