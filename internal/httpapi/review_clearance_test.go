package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/plotline-dev/plotline"
)

// A reviewer may not publish, return or revert a change that wrote
// material above their clearance, posted directly or not; a change within
// it stays theirs to decide.
func TestReviewBelowClearance(t *testing.T) {
	s, db := reviewServer(t)
	ctx := context.Background()
	green := &plotline.User{ID: 6, Name: "gina", Role: plotline.RoleReviewer, Clearance: "green"}
	put := func(draft bool, id, tlp string) int64 {
		t.Helper()
		ch, err := db.Apply(ctx, &plotline.Batch{By: "alice", Note: "source " + id, Draft: draft, Sources: []plotline.Source{{
			ID: id, Publisher: "Example", Title: "Source " + id, URL: "https://example.org/" + id,
			Kind: "news", TLP: tlp, Published: plotline.MustDate("2024-02-01")}}})
		if err != nil {
			t.Fatal(err)
		}
		return ch.ID
	}
	redChange, clearChange := put(false, "src-red-1", "red"), put(false, "src-clear-1", "clear")
	redDraft := put(true, "src-red-2", "red")
	for _, c := range []struct {
		name string
		h    func(http.ResponseWriter, *http.Request) error
		id   int64
		want string // error code; "" = allowed
	}{
		{"revert red", s.revertChange, redChange, plotline.EFORBIDDEN},
		{"publish red draft", s.publishDraft, redDraft, plotline.EFORBIDDEN},
		{"return red draft", s.returnDraft, redDraft, plotline.EFORBIDDEN},
		{"revert clear", s.revertChange, clearChange, ""},
	} {
		_, err := call(t, green, reviewCall{c.h, "POST", "/api/v1/changes/x", strconv.FormatInt(c.id, 10), `{"note":"why"}`})
		if got := plotline.ErrorCode(err); got != c.want && !(c.want == "" && err == nil) {
			t.Errorf("%s as a GREEN reviewer: %v; want %q", c.name, err, c.want)
		}
	}
	// A RED reviewer may.
	if _, err := call(t, rita, reviewCall{s.revertChange, "POST", "/api/v1/changes/x", strconv.FormatInt(redChange, 10), `{"note":"why"}`}); err != nil {
		t.Errorf("revert red as a RED reviewer: %v", err)
	}
}
