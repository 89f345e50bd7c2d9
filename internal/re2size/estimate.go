package re2size

import (
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// EnvoyLimit is Envoy's default re2.max_program_size.error_level: a regex
// whose RE2 program is bigger makes Envoy refuse the configuration.
const EnvoyLimit = 100

// Threshold is the largest estimate Check accepts: 80% of EnvoyLimit, to
// leave room for the estimate's error.
const Threshold = EnvoyLimit * 4 / 5

// Check parses expr as RE2 syntax (Go's regexp/syntax with Perl flags, the
// same syntax) and fails when it is empty, invalid, or its estimated
// program size is above Threshold.
func Check(expr string) error {
	if expr == "" {
		return fmt.Errorf("regular expression must not be empty")
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return fmt.Errorf("regular expression %q is invalid: %w", expr, err)
	}
	if strings.Contains(expr, "(?<") {
		// Go takes "(?<name>x)"; RE2 releases before mid-2023 do not.
		return fmt.Errorf("regular expression %q is invalid: write named groups as (?P<name>...)", expr)
	}
	if size := Estimate(re); size > Threshold {
		return fmt.Errorf("regular expression %q is too complex for Envoy: its RE2 program size is estimated at %d, "+
			"and Envoy refuses programs bigger than %d (estimates above %d are refused to leave room for the estimate's error)",
			expr, size, EnvoyLimit, Threshold)
	}
	return nil
}

// Envoy measures a regex by RE2's ProgramSize: the number of instructions
// of the compiled, flattened RE2 program, which works on UTF-8 bytes. Go's
// regexp/syntax parses the same syntax and simplifies repetitions the same
// way, but compiles to rune instructions and does not flatten. The estimate
// below counts Go's compiled instructions with each rune instruction
// weighted by the UTF-8 byte ranges RE2 needs for it, drops Go's capture of
// the whole match (RE2 has none), and adds RE2's unanchored ".*?" prefix
// loop unless the regex starts with "^".
//
// Checked against RE2 itself (testdata/program-sizes.tsv, produced by
// hack/re2-program-size with the real library), the estimate ranges from
// about 0.8 to 1.7 times the real size. Check therefore refuses estimates
// above Threshold, 80% of Envoy's limit: no regex of the table that Envoy
// would refuse passes, at the cost of refusing some that Envoy would take
// (TestEstimateAgainstRE2 keeps both properties).

// Estimate estimates RE2's program size of a parsed regex.
func Estimate(re *syntax.Regexp) int {
	anchored := startsWithBeginText(re)
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		// Too big for Go's compiler: too big for Envoy.
		return 1 << 30
	}
	n := 0
	for i := range prog.Inst {
		n += instructionWeight(&prog.Inst[i])
	}
	n -= 2 // Go's capture of the whole match
	if !anchored {
		n += 2 // RE2's ".*?" loop: an alternation and a byte range
	}
	return n
}

// instructionWeight is the number of RE2 instructions one Go instruction
// stands for.
func instructionWeight(in *syntax.Inst) int {
	switch in.Op {
	case syntax.InstNop:
		return 0
	case syntax.InstRune1:
		return utf8.RuneLen(in.Rune[0])
	case syntax.InstRune:
		if syntax.Flags(in.Arg)&syntax.FoldCase != 0 && len(in.Rune) == 1 {
			return max(utf8.RuneLen(in.Rune[0]), 1)
		}
		return utf8Ranges(in.Rune)
	case syntax.InstRuneAny:
		return utf8Ranges([]rune{0, utf8.MaxRune})
	case syntax.InstRuneAnyNotNL:
		return utf8Ranges([]rune{0, '\n' - 1, '\n' + 1, utf8.MaxRune})
	}
	return 1
}

// utf8Ranges counts the byte-range instructions of the UTF-8 sequences that
// cover rune ranges (pairs lo, hi), without sharing common suffixes.
func utf8Ranges(ranges []rune) int {
	n := 0
	for i := 0; i+1 < len(ranges); i += 2 {
		n += utf8RangeInsts(ranges[i], min(ranges[i+1], utf8.MaxRune))
	}
	return n
}

// utf8LengthLimits are the last runes encoded in 1, 2 and 3 bytes.
var utf8LengthLimits = []rune{0x7f, 0x7ff, 0xffff}

// utf8RangeInsts splits [lo, hi] into ranges whose UTF-8 encodings have one
// length and differ only in full trailing bytes, and counts one instruction
// per byte of each.
func utf8RangeInsts(lo, hi rune) int {
	if lo > hi {
		return 0
	}
	for _, b := range utf8LengthLimits {
		if lo <= b && hi > b {
			return utf8RangeInsts(lo, b) + utf8RangeInsts(b+1, hi)
		}
	}
	n := utf8.RuneLen(lo)
	if n <= 1 {
		return 1
	}
	for i := 1; i < n; i++ {
		m := rune(1)<<(6*i) - 1
		if lo&^m == hi&^m {
			continue
		}
		if lo&m != 0 {
			return utf8RangeInsts(lo, lo|m) + utf8RangeInsts((lo|m)+1, hi)
		}
		if hi&m != m {
			return utf8RangeInsts(lo, (hi&^m)-1) + utf8RangeInsts(hi&^m, hi)
		}
	}
	return n
}

// startsWithBeginText reports whether a regex starts with "^" (or "\A"):
// RE2 then compiles no unanchored prefix loop.
func startsWithBeginText(re *syntax.Regexp) bool {
	for {
		switch re.Op {
		case syntax.OpBeginText:
			return true
		case syntax.OpConcat, syntax.OpCapture:
			if len(re.Sub) == 0 {
				return false
			}
			re = re.Sub[0]
		default:
			return false
		}
	}
}
