package main

import (
	"fmt"
	"io"
	"strings"
)

// barWidth is the number of cells of the progress bar.
const barWidth = 40

// progress reports how far a replay got on standard error: a bar redrawn in
// place when that is a terminal (or when asked), else a plain count at the
// end; nothing with quiet.
type progress struct {
	w     io.Writer
	total int64
	quiet bool
	bar   bool
	last  int   // the cells drawn last, to redraw only on change
	n     int64 // entries done
}

// newProgress returns the progress of a replay of total entries on w.
func newProgress(w io.Writer, total int64, quiet, force bool) *progress {
	return &progress{w: w, total: total, quiet: quiet, bar: force || isTerminal(w), last: -1}
}

// show draws the bar at done entries.
func (p *progress) show(done int64) {
	p.n = done
	if p.quiet || !p.bar {
		return
	}
	cells := barWidth
	pct := 100
	if p.total > 0 && done < p.total {
		cells = int(done * barWidth / p.total)
		pct = int(done * 100 / p.total)
	}
	if cells == p.last && done < p.total {
		return
	}
	p.last = cells
	fmt.Fprintf(p.w, "\r[%s%s] %3d%% %d/%d entries", strings.Repeat("#", cells), strings.Repeat(".", barWidth-cells), pct, done, p.total)
}

// done ends the bar's line, or prints the count when no bar was drawn.
func (p *progress) done() {
	if p.quiet {
		return
	}
	if p.bar {
		fmt.Fprintln(p.w)
		return
	}
	fmt.Fprintf(p.w, "replayed %d of %d entries\n", p.n, p.total)
}
