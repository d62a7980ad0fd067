package web

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestBundleFresh fails when internal/web/static/dist differs from a fresh
// esbuild build of web/ — someone changed web/src (or the lockfile) and did
// not run `npm run build`. It needs Node and `npm ci` in web/; without them
// it skips, and CI runs it with both.
func TestBundleFresh(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found; install nodejs and run `cd web && npm ci` to check the committed bundle")
	}
	dir := filepath.Join("..", "..", "web")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "esbuild")); err != nil {
		t.Skip("web/node_modules missing; run `cd web && npm ci` to check the committed bundle")
	}
	cmd := exec.Command(node, "build.mjs", "--check")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("committed bundle is stale (%v):\n%s", err, out)
	}
	t.Logf("%s", out)
}

// The embedded bundle is what `go build` ships: it must be there and small
// enough for a fast first load.
func TestBundleEmbedded(t *testing.T) {
	limits := map[string]int{"dist/app.js": 4 << 10, "dist/style.css": 16 << 10, "dist/map.js": 200 << 10}
	for name, limit := range limits {
		b, err := staticFS.ReadFile("static/" + name)
		if err != nil {
			t.Fatalf("%s is not embedded: %v", name, err)
		}
		if len(b) == 0 || len(b) > limit {
			t.Errorf("%s is %d bytes, want 1..%d", name, len(b), limit)
		}
	}
}
