package ingest

import (
	"math"
	"strconv"
	"strings"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/resolve"
)

// countryNames maps normalised English country names, as GTD, ACLED and
// UCDP spell them, to ISO 3166-1 alpha-3 (and Kosovo to the user-assigned
// XKX the three datasets use). It is built once and only read.
var countryNames = func() map[string]string {
	m := map[string]string{}
	for _, code := range plotline.CountryCodes() {
		name, _ := plotline.CountryName(code)
		m[resolve.Normalize(name)] = code
		if short, _, ok := strings.Cut(name, ","); ok { // "Iran, Islamic Republic of" → "Iran"
			m[resolve.Normalize(short)] = code
		}
		m[strings.ToLower(code)] = code
	}
	for name, code := range map[string]string{
		"United States": "USA", "United States of America": "USA", "Russia": "RUS", "Syria": "SYR", "Iran": "IRN",
		"South Korea": "KOR", "North Korea": "PRK", "Laos": "LAO", "Vietnam": "VNM", "Tanzania": "TZA",
		"Moldova": "MDA", "Macedonia": "MKD", "Taiwan": "TWN", "Democratic Republic of the Congo": "COD",
		"Democratic Republic of Congo": "COD", "DR Congo": "COD", "DR Congo (Zaire)": "COD", "Zaire": "COD",
		"Republic of the Congo": "COG", "Republic of Congo": "COG", "People's Republic of the Congo": "COG",
		"Congo": "COG", "West Bank and Gaza Strip": "PSE", "Palestine": "PSE", "Palestinian Territory": "PSE",
		"Czech Republic": "CZE", "Slovak Republic": "SVK", "Swaziland": "SWZ", "East Timor": "TLS",
		"Brunei": "BRN", "Ivory Coast": "CIV", "Cote d'Ivoire": "CIV", "Bosnia-Herzegovina": "BIH",
		"Bosnia-Herzegovina (Bosnia and Herzegovina)": "BIH", "Turkey": "TUR", "Bolivia": "BOL", "Venezuela": "VEN",
		"Cape Verde": "CPV", "Vatican City": "VAT", "Macau": "MAC", "St. Kitts and Nevis": "KNA",
		"St. Lucia": "LCA", "Falkland Islands": "FLK", "Myanmar (Burma)": "MMR", "Burma": "MMR",
		"Cambodia (Kampuchea)": "KHM", "Kampuchea": "KHM", "Yemen (North Yemen)": "YEM", "Madagascar (Malagasy)": "MDG",
		"Zimbabwe (Rhodesia)": "ZWE", "Rhodesia": "ZWE", "Sri Lanka": "LKA", "Great Britain": "GBR",
		"Federated States of Micronesia": "FSM", "Micronesia": "FSM", "The Gambia": "GMB", "Gambia": "GMB",
		"eSwatini": "SWZ", "Russia (Soviet Union)": "RUS", "Bosnia-Herzegovina (Yugoslavia)": "BIH", "Kyrgyzstan": "KGZ", "Serbia (Yugoslavia)": "SRB",
		// Historical states whose territory lies in one present-day state.
		// The importer keeps the name as the dataset gives it in a tag.
		"West Germany (FRG)": "DEU", "East Germany (GDR)": "DEU", "West Germany": "DEU", "East Germany": "DEU",
		"South Vietnam": "VNM", "North Yemen": "YEM", "South Yemen": "YEM", "New Hebrides": "VUT",
	} {
		m[resolve.Normalize(name)] = code
	}
	return m
}()

// CountryCode returns the ISO alpha-3 code for a country name or code as
// a dataset spells it.
func CountryCode(name string) (string, bool) {
	if _, ok := plotline.CountryName(name); ok {
		return name, true
	}
	c, ok := countryNames[resolve.Normalize(name)]
	return c, ok
}

// WhyNoCode explains why a country name has no code.
func WhyNoCode(name string) string {
	switch resolve.Normalize(name) {
	case "soviet union", "yugoslavia", "czechoslovakia", "serbia montenegro":
		return "a former state whose territory is now several states; the row cannot be placed without a geocoder"
	case "international", "":
		return "no single country"
	}
	return "unknown country name"
}

// historical holds the normalised names of states that no longer exist.
var historical = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range []string{"West Germany (FRG)", "East Germany (GDR)", "West Germany", "East Germany",
		"South Vietnam", "North Yemen", "South Yemen", "New Hebrides", "Zaire", "Rhodesia", "People's Republic of the Congo"} {
		m[resolve.Normalize(n)] = true
	}
	return m
}()

// Historical reports whether a country name is a state that no longer
// exists, mapped to its present-day successor.
func Historical(name string) bool { return historical[resolve.Normalize(name)] }

// Count parses a count, treating "" and the GTD unknown codes -9 and -99 as
// unknown (nil). Any other negative number is not a count (false): taking
// it for unknown would hide a typo. Decimal forms ("3.0", from
// spreadsheets) are accepted when whole.
func Count(s string) (*int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1e9 {
			return nil, false
		}
		n = int(f)
	}
	switch {
	case n == -9 || n == -99:
		return nil, true
	case n < 0:
		return nil, false
	}
	return &n, true
}

// Float parses an optional decimal; "" is unknown.
func Float(s string) (*float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, false
	}
	return &f, true
}

// LatLon parses a coordinate pair; both or neither. A pair outside the
// valid ranges is an error, (0, 0) with a flag is the caller's business.
func LatLon(lat, lon string) (*float64, *float64, string) {
	la, ok1 := Float(lat)
	lo, ok2 := Float(lon)
	switch {
	case !ok1:
		return nil, nil, "latitude"
	case !ok2:
		return nil, nil, "longitude"
	case la == nil || lo == nil:
		return nil, nil, ""
	case *la < -90 || *la > 90:
		return nil, nil, "latitude"
	case *lo < -180 || *lo > 180:
		return nil, nil, "longitude"
	}
	return la, lo, ""
}

// Slug turns free text into an ID fragment: lower-case ASCII letters,
// digits and '-'.
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '.' || r == '_' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// Truncate shortens s to at most n runes, marking the cut.
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
