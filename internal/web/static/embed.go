// Package static holds the web application's built browser assets, embedded
// in the broker binary so that a fresh clone serves them with no Node.js.
//
// The scripts are built from web/ by `make assets` (esbuild, pinned packages
// of web/package-lock.json) and committed; do not edit them by hand.
package static

import "embed"

// FS holds the assets by file name: signal.js (the new-signal form's
// encryption and checks) and the style sheets.
//
//go:embed *.js
var FS embed.FS
