package tlsprobe

import (
	"encoding/hex"
	"math/big"
	"testing"
)

func TestKnownDHPrimes(t *testing.T) {
	for h, name := range knownDHPrimes {
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// A typo in the table would make a prime silently unknown: every
		// entry must be an odd probable prime.
		if !new(big.Int).SetBytes(b).ProbablyPrime(8) {
			t.Errorf("%s is not prime", name)
		}
		if got := KnownDHPrime(append([]byte{0}, b...)); got != name {
			t.Errorf("KnownDHPrime = %q, want %q", got, name)
		}
	}
	if got := KnownDHPrime([]byte{0xff, 0xfb}); got != "" {
		t.Errorf("unknown prime named %q", got)
	}
}
