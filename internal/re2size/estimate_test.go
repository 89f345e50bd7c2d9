package re2size

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp/syntax"
	"strconv"
	"strings"
	"testing"
)

// TestEstimateAgainstRE2 compares the estimate with the program sizes
// RE2 itself gives (testdata/re2/program-sizes.tsv, see
// hack/re2-program-size): every regex Envoy would refuse (size above 100)
// must be refused, and few that it takes may be.
func TestEstimateAgainstRE2(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "program-sizes.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var accepted, falselyRefused, lines int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines++
		size, expr, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			t.Fatalf("line %d: no tab", lines)
		}
		real, err := strconv.Atoi(size)
		if err != nil {
			t.Fatalf("line %d: %v", lines, err)
		}
		re, err := syntax.Parse(expr, syntax.Perl)
		if err != nil {
			t.Errorf("line %d: RE2 compiles %q, Go does not: %v", lines, expr, err)
			continue
		}
		est := Estimate(re)
		refused := est > Threshold
		switch {
		case real > EnvoyLimit && !refused:
			t.Errorf("line %d: %q has RE2 program size %d but the estimate %d passes", lines, expr, real, est)
		case real <= EnvoyLimit:
			accepted++
			if refused {
				falselyRefused++
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if lines < 500 {
		t.Fatalf("only %d sizes in the table", lines)
	}
	// The table is mostly random, convoluted expressions; keep the share of
	// those Envoy takes but the check refuses small.
	if falselyRefused*100 > accepted*15 {
		t.Errorf("%d of %d expressions Envoy takes are refused, more than 15%%", falselyRefused, accepted)
	}
	t.Logf("%d expressions, %d of the %d Envoy takes refused", lines, falselyRefused, accepted)
}

func TestEstimateCommonExpressions(t *testing.T) {
	for _, expr := range []string{
		"/v[0-9]+",
		"^/api/v[0-9]+/users/[a-z0-9-]+$",
		".*\\.(png|jpg|gif)$",
		"(?i)^mozilla/.*",
		"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
	} {
		re, err := syntax.Parse(expr, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		if est := Estimate(re); est > Threshold {
			t.Errorf("%q: estimate %d refuses a common expression", expr, est)
		}
	}
}

func TestCheck(t *testing.T) {
	for expr, ok := range map[string]bool{
		"/v[0-9]+":                           true,
		"":                                   false,
		"(":                                  false,
		"/(v[0-9]+/)?[a-z]{40}/[0-9a-f]{40}": false,
		"(?P<v>[0-9]+)":                      true,
		"(?<v>[0-9]+)":                       false,
	} {
		if err := Check(expr); (err == nil) != ok {
			t.Errorf("Check(%q) = %v, want ok %v", expr, err, ok)
		}
	}
}
