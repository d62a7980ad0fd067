package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/plotline-dev/plotline"
)

func asError(err error, target **plotline.Error) bool { return errors.As(err, target) }

// FuzzRead feeds arbitrary bytes to the importer: it must never panic, and
// whatever it accepts must be valid records citing sources it also returns.
func FuzzRead(f *testing.F) {
	for _, p := range []string{"testdata/partner.json", filepath.Join(examplesDir, "indicators-for-C2-with-COA.json")} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`[{"type":"opinion","spec_version":"2.1","id":"opinion--b01efc25-77b4-4003-b18b-f6e24b5cd9f7","created":"2024-02-12T08:00:00Z","modified":"2024-02-12T08:00:00Z","opinion":1,"object_refs":[]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Read(bytes.NewReader(data), Options{File: "fuzz.json", BundleURL: "https://example.org/bundle.json"})
		if err != nil {
			if plotline.ErrorCode(err) != plotline.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		srcs := map[string]bool{}
		for _, s := range res.Batch.Sources {
			if errs := s.Validate(); len(errs) > 0 {
				t.Fatalf("accepted invalid source %+v: %v", s, errs[0])
			}
			srcs[s.ID] = true
		}
		for _, a := range res.Batch.Actors {
			if errs := a.Validate(); len(errs) > 0 {
				t.Fatalf("accepted invalid actor %+v: %v", a, errs[0])
			}
		}
		for _, in := range res.Batch.Incidents {
			if errs := in.Validate(); len(errs) > 0 {
				t.Fatalf("accepted invalid incident %+v: %v", in, errs[0])
			}
			for _, s := range in.Sources {
				if !srcs[s] {
					t.Fatalf("incident %s cites %s, not returned", in.ID, s)
				}
			}
		}
	})
}

// BenchmarkRead measures importing the OASIS APT1 bundle (about 70
// objects), beside a plain encoding/json decode of the same bytes.
func BenchmarkRead(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(examplesDir, "threat-reports/apt1.json"))
	if err != nil {
		b.Skipf("OASIS STIX examples not found: %v", err)
	}
	b.Run("stix.Read", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := Read(bytes.NewReader(data), Options{BundleURL: "https://example.org/apt1.json"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
