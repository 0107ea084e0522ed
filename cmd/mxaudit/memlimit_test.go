package main

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

func TestSetMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	tests := []struct {
		name, env string
		set       bool // GOMEMLIMIT present
		start     int64
		want      int64
	}{
		{name: "unset", start: math.MaxInt64, want: defaultMemoryLimit},
		{name: "chosen by GOMEMLIMIT", env: "1GiB", set: true, start: 1 << 30, want: 1 << 30},
		{name: "off", env: "off", set: true, start: math.MaxInt64, want: math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.set {
				t.Setenv("GOMEMLIMIT", tt.env)
			} else {
				t.Setenv("GOMEMLIMIT", "") // restored after the test
				if err := os.Unsetenv("GOMEMLIMIT"); err != nil {
					t.Fatal(err)
				}
			}
			debug.SetMemoryLimit(tt.start)
			setMemoryLimit()
			if got := debug.SetMemoryLimit(-1); got != tt.want {
				t.Errorf("limit = %d, want %d", got, tt.want)
			}
		})
	}
}
