package main

import (
	"fmt"
	"time"
)

// rssSample is the broker's resident set at a moment of the run.
type rssSample struct {
	At time.Duration // since the sampling started
	KB int64
}

// rssInterval samples about sixty times a run, at most every 5s and at
// least every 250ms, so that a short run still has samples in its first
// and last fifth.
func rssInterval(d time.Duration) time.Duration {
	return min(max(d/60, 250*time.Millisecond), 5*time.Second)
}

// sampleRSS samples pid's VmRSS now and every interval until the returned
// stop is called; stop returns the samples (a failed read is left out).
func sampleRSS(pid int, every time.Duration) (stop func() []rssSample) {
	start := time.Now()
	done := make(chan struct{})
	out := make(chan []rssSample, 1)
	go func() {
		var got []rssSample
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			if kb, _ := rss(pid); kb > 0 {
				got = append(got, rssSample{At: time.Since(start), KB: kb})
			}
			select {
			case <-tick.C:
			case <-done:
				out <- got
				return
			}
		}
	}()
	return func() []rssSample {
		close(done)
		return <-out
	}
}

// memGrowth compares the mean RSS of the first window of a run with that of
// its last.
type memGrowth struct {
	Window        time.Duration
	First, Last   float64 // mean KiB
	NFirst, NLast int     // samples in each window
}

// rssGrowth windows a run of length d: its first and last minute, or its
// first and last fifth when it is shorter than 3 minutes (so that the two
// windows never overlap and each has samples). Samples taken after d (while
// the last requests answered) belong to the last window.
func rssGrowth(samples []rssSample, d time.Duration) memGrowth {
	m := memGrowth{Window: time.Minute}
	if d < 3*time.Minute {
		m.Window = d / 5
	}
	var sumFirst, sumLast float64
	for _, s := range samples {
		if s.At < m.Window {
			sumFirst += float64(s.KB)
			m.NFirst++
		}
		if s.At >= d-m.Window {
			sumLast += float64(s.KB)
			m.NLast++
		}
	}
	if m.NFirst > 0 {
		m.First = sumFirst / float64(m.NFirst)
	}
	if m.NLast > 0 {
		m.Last = sumLast / float64(m.NLast)
	}
	return m
}

// Growth is the last window's mean over the first's, minus one; 0 when
// either window has no sample.
func (m memGrowth) Growth() float64 {
	if m.First <= 0 || m.NLast == 0 {
		return 0
	}
	return m.Last/m.First - 1
}

// ok: both windows were sampled and the growth is at most maxRSSGrowth.
// Fails closed: a run without samples in either window has proved nothing.
func (m memGrowth) ok() bool {
	return m.NFirst > 0 && m.NLast > 0 && m.First > 0 && m.Last <= m.First*(1+maxRSSGrowth)
}

func (m memGrowth) String() string {
	if m.NFirst == 0 || m.NLast == 0 {
		return fmt.Sprintf("not measured (%d samples in the first %v, %d in the last)", m.NFirst, m.Window, m.NLast)
	}
	return fmt.Sprintf("mean RSS %.1f MB in the first %v (%d samples), %.1f MB in the last (%d samples): %+.1f%%",
		m.First/1024, m.Window, m.NFirst, m.Last/1024, m.NLast, m.Growth()*100)
}
