package main

import (
	"math"
	"os"
	"runtime/debug"
)

// defaultMemoryLimit is the soft limit on the Go runtime's memory that
// mxaudit sets for itself when GOMEMLIMIT is not set. Rendering the reports
// of a large run makes much short-lived garbage (each domain's evidence is
// decoded, turned into rows and dropped); left to its default, the
// collector lets the heap grow to twice what is live before it runs. Near
// the limit it collects sooner instead. The limit is soft: a run that
// really holds more gets it, at the cost of more collection.
const defaultMemoryLimit = 384 << 20

// setMemoryLimit applies defaultMemoryLimit unless the GOMEMLIMIT
// environment variable chose one (GOMEMLIMIT=off removes it).
func setMemoryLimit() {
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		return
	}
	if debug.SetMemoryLimit(-1) == math.MaxInt64 {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}
