package programme

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/mxaudit/mxaudit/audit/grade"
)

// SLA is the remediation deadline, in days, per severity and optionally
// per vendor tier: `critical: {1: 7, 2: 14, 3: 30}` gives tier-1 vendors a
// week, `low: 180` gives every tier 180 days. A severity without an entry
// has no deadline (info never has one).
type SLA struct {
	// Days maps a severity to its deadline per tier; tier 0 is the
	// deadline for every tier not listed (the plain-number form).
	Days map[grade.Severity]map[int]int
}

// DefaultSLA is the deadline table used when the configuration names
// none; templates/config-example.yaml documents it.
func DefaultSLA() SLA {
	return SLA{Days: map[grade.Severity]map[int]int{
		grade.Critical: {1: 7, 2: 14, 3: 30},
		grade.High:     {1: 30, 2: 45, 3: 60},
		grade.Medium:   {0: 90},
		grade.Low:      {0: 180},
	}}
}

// For is the deadline in days of a finding of severity sev at a vendor of
// tier (0 when the tier is unknown), and false when there is none. A tier
// the table does not list takes the plain number when there is one, else
// the shortest deadline listed for the severity: an unclassified vendor is
// held to the strictest deadline, never to none.
func (s SLA) For(sev grade.Severity, tier int) (int, bool) {
	if sev <= grade.Info {
		return 0, false
	}
	byTier, ok := s.Days[sev]
	if !ok || len(byTier) == 0 {
		return 0, false
	}
	if d, ok := byTier[tier]; ok && tier != 0 {
		return d, true
	}
	if d, ok := byTier[0]; ok {
		return d, true
	}
	best := -1
	for _, d := range byTier {
		if best < 0 || d < best {
			best = d
		}
	}
	return best, true
}

// String writes the table as the configuration would ("critical: 1=7
// 2=14 3=30; low: 180"), for the methodology and tests.
func (s SLA) String() string {
	var parts []string
	for sev := grade.Critical; sev > grade.Info; sev-- {
		byTier, ok := s.Days[sev]
		if !ok {
			continue
		}
		if len(byTier) == 1 {
			if d, ok := byTier[0]; ok {
				parts = append(parts, fmt.Sprintf("%s: %d", sev, d))
				continue
			}
		}
		tiers := make([]int, 0, len(byTier))
		for t := range byTier {
			tiers = append(tiers, t)
		}
		sort.Ints(tiers)
		var ts []string
		for _, t := range tiers {
			name := strconv.Itoa(t)
			if t == 0 {
				name = "other"
			}
			ts = append(ts, fmt.Sprintf("%s=%d", name, byTier[t]))
		}
		parts = append(parts, sev.String()+": "+strings.Join(ts, " "))
	}
	return strings.Join(parts, "; ")
}

// TierNumber reads the tier of a vendor list ("1", "Tier 2", "T3") as a
// number, 0 when it holds none ("high", "").
func TierNumber(tier string) int {
	start := strings.IndexFunc(tier, unicode.IsDigit)
	if start < 0 {
		return 0
	}
	end := start
	for end < len(tier) && tier[end] >= '0' && tier[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(tier[start:end])
	if err != nil || n > 99 {
		return 0
	}
	return n
}
