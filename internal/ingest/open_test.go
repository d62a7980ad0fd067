package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
)

func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "rows.csv")
	if err := os.WriteFile(good, []byte("a,b\n1,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, size, err := OpenFile(good)
	if err != nil || size != 8 {
		t.Fatalf("good file: size %d, %v", size, err)
	}
	f.Close()
	if b, err := ReadFile(good); err != nil || string(b) != "a,b\n1,2\n" {
		t.Fatalf("ReadFile: %q, %v", b, err)
	}
	for _, tt := range []struct {
		path, code, says string
	}{
		{filepath.Join(dir, "missing.csv"), plotline.ENOTFOUND, "no such file"},
		{dir, plotline.EINVALID, "is a folder"},
	} {
		for name, open := range map[string]func(string) error{
			"OpenFile": func(p string) error { _, _, err := OpenFile(p); return err },
			"ReadFile": func(p string) error { _, err := ReadFile(p); return err },
		} {
			err := open(tt.path)
			if plotline.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.says) || !strings.HasPrefix(err.Error(), tt.path+": ") {
				t.Errorf("%s(%s) = %v (code %s), want %s naming the path and saying %q", name, tt.path, err, plotline.ErrorCode(err), tt.code, tt.says)
			}
		}
	}
}
