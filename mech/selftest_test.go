package mech

import (
	"testing"
	"time"
)

// TestSelfTest: the start-up self-tests pass, quickly (a budget of 20 ms,
// checked on the fastest of a few runs so a busy machine or the race
// detector does not make it flaky).
func TestSelfTest(t *testing.T) {
	best := time.Hour
	for range 3 {
		start := time.Now()
		if err := SelfTest(); err != nil {
			t.Fatal(err)
		}
		best = min(best, time.Since(start))
	}
	t.Logf("SelfTest: %v", best)
	if best > 20*time.Millisecond && !raceEnabled {
		t.Errorf("SelfTest took %v", best)
	}
}
