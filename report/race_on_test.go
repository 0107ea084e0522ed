//go:build race

package report_test

// raceEnabled: the race detector is on; heap figures mean little under
// it (its shadow memory) and its slowness makes the heap tests long.
const raceEnabled = true
