package plotline

import (
	"regexp"
	"strings"
	"testing"
)

// idSpec is the definition ValidID implements by hand.
var idSpec = regexp.MustCompile(`^[a-z0-9][a-z0-9._:/#-]{0,199}$`)

func TestValidID(t *testing.T) {
	for _, tt := range []struct {
		id   string
		want bool
	}{
		{"is", true},
		{"0", true},
		{"gtd:201701010001", true},
		{"acled:afg123/a1", true},
		{"src:gtd#scite1.a_b-c", true},
		{"a" + strings.Repeat("b", 199), true},
		{"a" + strings.Repeat("b", 200), false},
		{"", false},
		{"-is", false},
		{".is", false},
		{":x", false},
		{"Is", false},
		{"is state", false},
		{"is\n", false},
		{"is\x00", false},
		{"ïs", false},
		{"iś", false},
		{"is\xff", false},
		{"a+b", false},
		{"a@b", false},
		{"a\\b", false},
	} {
		if got := ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v; want %v", tt.id, got, tt.want)
		}
	}
}

// TestValidIDMatchesSpec compares ValidID with the regular expression on
// every string of up to two bytes and on IDs around the length limit.
func TestValidIDMatchesSpec(t *testing.T) {
	check := func(s string) {
		if got, want := ValidID(s), idSpec.MatchString(s); got != want {
			t.Fatalf("ValidID(%q) = %v; the regular expression says %v", s, got, want)
		}
	}
	check("")
	for a := range 256 {
		check(string([]byte{byte(a)}))
		for b := range 256 {
			check(string([]byte{byte(a), byte(b)}))
		}
	}
	for n := 195; n <= 205; n++ {
		check("x" + strings.Repeat("-", n-1))
		check(strings.Repeat("9", n-1) + "Z")
	}
}

func FuzzValidID(f *testing.F) {
	for _, s := range []string{"gtd:201701010001", "Is", "", "a b", "ïs", strings.Repeat("a", 201)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidID(s), idSpec.MatchString(s); got != want {
			t.Fatalf("ValidID(%q) = %v; the regular expression says %v", s, got, want)
		}
	})
}

func BenchmarkValidID(b *testing.B) {
	ids := []string{"acled:afg123456", "acled:afg123456/a1", "src:acled", "is-khorasan", "gtd:201701010001/g1"}
	b.Run("loop", func(b *testing.B) {
		for b.Loop() {
			for _, id := range ids {
				if !ValidID(id) {
					b.Fatal(id)
				}
			}
		}
	})
	b.Run("regexp", func(b *testing.B) {
		for b.Loop() {
			for _, id := range ids {
				if !idSpec.MatchString(id) {
					b.Fatal(id)
				}
			}
		}
	})
}
