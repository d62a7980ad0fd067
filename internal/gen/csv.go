package gen

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// ACLEDColumns is ACLED's 31-column export layout.
var ACLEDColumns = []string{"event_id_cnty", "event_date", "year", "time_precision", "disorder_type",
	"event_type", "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2",
	"inter2", "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2",
	"admin3", "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
	"fatalities", "tags", "timestamp"}

// GTDColumns is the Global Terrorism Database's 135-column layout.
var GTDColumns = []string{"eventid", "iyear", "imonth", "iday", "approxdate", "extended", "resolution",
	"country", "country_txt", "region", "region_txt", "provstate", "city", "latitude", "longitude",
	"specificity", "vicinity", "location", "summary", "crit1", "crit2", "crit3", "doubtterr",
	"alternative", "alternative_txt", "multiple", "success", "suicide", "attacktype1", "attacktype1_txt",
	"attacktype2", "attacktype2_txt", "attacktype3", "attacktype3_txt", "targtype1", "targtype1_txt",
	"targsubtype1", "targsubtype1_txt", "corp1", "target1", "natlty1", "natlty1_txt", "targtype2",
	"targtype2_txt", "targsubtype2", "targsubtype2_txt", "corp2", "target2", "natlty2", "natlty2_txt",
	"targtype3", "targtype3_txt", "targsubtype3", "targsubtype3_txt", "corp3", "target3", "natlty3",
	"natlty3_txt", "gname", "gsubname", "gname2", "gsubname2", "gname3", "gsubname3", "motive",
	"guncertain1", "guncertain2", "guncertain3", "individual", "nperps", "nperpcap", "claimed",
	"claimmode", "claimmode_txt", "claim2", "claimmode2", "claimmode2_txt", "claim3", "claimmode3",
	"claimmode3_txt", "compclaim", "weaptype1", "weaptype1_txt", "weapsubtype1", "weapsubtype1_txt",
	"weaptype2", "weaptype2_txt", "weapsubtype2", "weapsubtype2_txt", "weaptype3", "weaptype3_txt",
	"weapsubtype3", "weapsubtype3_txt", "weaptype4", "weaptype4_txt", "weapsubtype4",
	"weapsubtype4_txt", "weapdetail", "nkill", "nkillus", "nkillter", "nwound", "nwoundus", "nwoundte",
	"property", "propextent", "propextent_txt", "propvalue", "propcomment", "ishostkid", "nhostkid",
	"nhostkidus", "nhours", "ndays", "divert", "kidhijcountry", "ransom", "ransomamt", "ransomamtus",
	"ransompaid", "ransompaidus", "ransomnote", "hostkidoutcome", "hostkidoutcome_txt", "nreleased",
	"addnotes", "scite1", "scite2", "scite3", "dbsource", "INT_LOG", "INT_IDEO", "INT_MISC", "INT_ANY",
	"related"}

// region names a coarse world region from a country box's centre, in
// ACLED's region vocabulary. It is a rough geographic rule, good enough for
// synthetic rows, not ACLED's own assignment.
func region(p place) string {
	lat, lon := (p.minLat+p.maxLat)/2, (p.minLon+p.maxLon)/2
	switch {
	case lon < -30 && lat > 24:
		return "North America"
	case lon < -30 && lat > 7:
		return "Central America"
	case lon < -30:
		return "South America"
	case lat > 35 && lon < 40 && p.code != "TUR" && p.code != "CYP":
		return "Europe"
	case lon >= 34 && lon < 63 && lat > 12 && lat < 42 || p.code == "TUR" || p.code == "CYP":
		if lat > 38 && lon > 40 {
			return "Caucasus and Central Asia"
		}
		return "Middle East"
	case lon < 52 && lat < 38:
		switch {
		case lat > 19:
			return "Northern Africa"
		case lon < 15 && lat > 4:
			return "Western Africa"
		case lat < -10:
			return "Southern Africa"
		case lon >= 29:
			return "Eastern Africa"
		}
		return "Middle Africa"
	case lat > 35 && lon < 90:
		return "Caucasus and Central Asia"
	case lon < 92 && lat > 0:
		return "South Asia"
	case lat > 22 && lon < 150:
		return "East Asia"
	case lon < 130 && lat > -11:
		return "Southeast Asia"
	}
	return "Oceania"
}

// gtdRegion maps the coarse region to GTD's region codes.
func gtdRegion(p place) (int, string) {
	switch region(p) {
	case "North America":
		return 1, "North America"
	case "Central America":
		return 2, "Central America & Caribbean"
	case "South America":
		return 3, "South America"
	case "East Asia":
		return 4, "East Asia"
	case "Southeast Asia":
		return 5, "Southeast Asia"
	case "South Asia":
		return 6, "South Asia"
	case "Caucasus and Central Asia":
		return 7, "Central Asia"
	case "Europe":
		if (p.minLon+p.maxLon)/2 < 16 {
			return 8, "Western Europe"
		}
		return 9, "Eastern Europe"
	case "Middle East", "Northern Africa":
		return 10, "Middle East & North Africa"
	case "Oceania":
		return 12, "Australasia & Oceania"
	}
	return 11, "Sub-Saharan Africa"
}

// WriteACLED writes header and rows in ACLED's layout, reporting progress
// after every `every` rows when progress is not nil.
func (g *Generator) WriteACLED(ctx context.Context, w io.Writer, progress func(done int)) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ACLEDColumns); err != nil {
		return err
	}
	rec := make([]string, len(ACLEDColumns))
	for {
		e, ok := g.Next()
		if !ok {
			break
		}
		if e.Seq%10000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if progress != nil {
				progress(e.Seq)
			}
		}
		c := &g.countries[e.country]
		a1 := g.actors[e.Actor1]
		inter2, assoc, civ, tags := "", "", "", ""
		a2name := ""
		if e.Actor2 >= 0 {
			a2 := g.actors[e.Actor2]
			a2name, inter2 = a2.Name, a2.Inter
			if a2.Inter == "Civilians" {
				civ = "Civilian targeting"
			}
		}
		if e.Assoc1 >= 0 {
			assoc = g.actors[e.Assoc1].Name
		}
		interaction := a1.Inter
		if inter2 != "" {
			interaction += "-" + inter2
		} else {
			interaction += " only"
		}
		if e.EventType == "Protests" {
			tags = "crowd size=no report"
		}
		t := e.Day.Time()
		rec = append(rec[:0], e.ID, t.Format(time.DateOnly), strconv.Itoa(t.Year()), strconv.Itoa(e.TimePrec),
			e.DisorderType, e.EventType, e.SubEventType, a1.Name, assoc, a1.Inter, a2name, "", inter2,
			interaction, civ, strconv.Itoa(c.numeric), region(c.place), c.name, e.Admin1, "", "", e.Location,
			strconv.FormatFloat(e.Lat, 'f', 4, 64), strconv.FormatFloat(e.Lon, 'f', 4, 64),
			strconv.Itoa(e.GeoPrec), "Synthetic Source", "National", e.Notes, strconv.Itoa(e.Fatalities), tags,
			strconv.FormatInt(t.Unix()+7*86400, 10))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// GTD vocabulary used by the rows.
var (
	gtdAttack = map[string]int{
		"Armed clash": 2, "Attack": 2, "Mob violence": 2, "Government regains territory": 2,
		"Non-state actor overtakes territory": 2, "Shelling/artillery/missile attack": 3, "Air/drone strike": 3,
		"Remote explosive/landmine/IED": 3, "Suicide bomb": 3, "Grenade": 3, "Chemical weapon": 3,
		"Abduction/forced disappearance": 6, "Sexual violence": 8, "Looting/property destruction": 7,
	}
	gtdAttackText = map[int]string{1: "Assassination", 2: "Armed Assault", 3: "Bombing/Explosion", 4: "Hijacking",
		5: "Hostage Taking (Barricade Incident)", 6: "Hostage Taking (Kidnapping)", 7: "Facility/Infrastructure Attack",
		8: "Unarmed Assault", 9: "Unknown"}
	gtdWeapon     = map[int]int{2: 5, 3: 6, 6: 5, 7: 8, 8: 9, 9: 13}
	gtdWeaponText = map[int]string{2: "Chemical", 5: "Firearms", 6: "Explosives", 8: "Incendiary", 9: "Melee", 13: "Unknown"}
)

// WriteGTD writes header and rows in GTD's layout. Country codes are ISO
// 3166-1 numeric (GTD keeps its own numbering) and country_txt the ISO name.
func (g *Generator) WriteGTD(ctx context.Context, w io.Writer, progress func(done int)) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(GTDColumns); err != nil {
		return err
	}
	col := map[string]int{}
	for i, c := range GTDColumns {
		col[c] = i
	}
	rec := make([]string, len(GTDColumns))
	set := func(name, v string) {
		i, ok := col[name]
		if !ok {
			panic("gen: no GTD column " + name) // a typo in this file, caught by the tests
		}
		rec[i] = v
	}
	var lastDay, perDay int
	for {
		e, ok := g.Next()
		if !ok {
			break
		}
		if e.Seq%10000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if progress != nil {
				progress(e.Seq)
			}
		}
		if int(e.Day) != lastDay {
			lastDay, perDay = int(e.Day), 0
		}
		perDay++
		clear(rec)
		c := &g.countries[e.country]
		t := e.Day.Time()
		set("eventid", fmt.Sprintf("%04d%02d%02d%04d", t.Year(), t.Month(), t.Day(), perDay))
		set("iyear", strconv.Itoa(t.Year()))
		set("imonth", strconv.Itoa(int(t.Month())))
		set("iday", strconv.Itoa(t.Day()))
		set("extended", "0")
		set("country", strconv.Itoa(c.numeric))
		set("country_txt", c.name)
		rc, rt := gtdRegion(c.place)
		set("region", strconv.Itoa(rc))
		set("region_txt", rt)
		set("provstate", e.Admin1)
		set("city", e.Location)
		set("latitude", strconv.FormatFloat(e.Lat, 'f', 6, 64))
		set("longitude", strconv.FormatFloat(e.Lon, 'f', 6, 64))
		set("specificity", strconv.Itoa(e.GeoPrec))
		set("vicinity", "0")
		set("summary", e.Notes)
		for _, k := range []string{"crit1", "crit2", "crit3", "success"} {
			set(k, "1")
		}
		for _, k := range []string{"doubtterr", "multiple", "guncertain1", "individual", "claimed", "property", "ishostkid", "nkillus"} {
			set(k, "0")
		}
		suicide := "0"
		if e.SubEventType == "Suicide bomb" {
			suicide = "1"
		}
		set("suicide", suicide)
		at := gtdAttack[e.SubEventType]
		if at == 0 {
			at = 9
		}
		set("attacktype1", strconv.Itoa(at))
		set("attacktype1_txt", gtdAttackText[at])
		tt, ttx := 20, "Unknown"
		target := "Unknown"
		if e.Actor2 >= 0 {
			a2 := g.actors[e.Actor2]
			target = a2.Name
			switch a2.Inter {
			case "Civilians":
				tt, ttx = 14, "Private Citizens & Property"
			case "State forces":
				tt, ttx = 4, "Military"
			case "Protesters":
				tt, ttx = 14, "Private Citizens & Property"
			default:
				tt, ttx = 17, "Terrorists/Non-State Militia"
			}
		}
		set("targtype1", strconv.Itoa(tt))
		set("targtype1_txt", ttx)
		set("target1", target)
		set("natlty1", strconv.Itoa(c.numeric))
		set("natlty1_txt", c.name)
		set("gname", g.actors[e.Actor1].Name)
		if e.Assoc1 >= 0 {
			set("gname2", g.actors[e.Assoc1].Name)
			set("guncertain2", "0")
		}
		wt := gtdWeapon[at]
		if e.SubEventType == "Chemical weapon" {
			wt = 2
		}
		set("weaptype1", strconv.Itoa(wt))
		set("weaptype1_txt", gtdWeaponText[wt])
		set("nkill", strconv.Itoa(e.Fatalities))
		set("scite1", "Synthetic record from plotline gen; not a real event.")
		set("dbsource", "PLOTLINE-SYNTHETIC")
		for _, k := range []string{"INT_LOG", "INT_IDEO", "INT_MISC", "INT_ANY"} {
			set(k, "-9")
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
