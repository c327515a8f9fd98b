// Package browser holds the browser tests of the web application: headless
// Chromium (Debian's chromium, /usr/bin/chromium, or LIVC_CHROMIUM) driven
// from Go with chromedp.
//
// The tests need Chromium. Without it they fail with a message that says how
// to install it, unless LIVC_NO_BROWSER=1 is set, which skips them by name
// (for a machine that cannot run a browser; CI installs Chromium instead).
// Screenshots go to test/browser/screenshots/ (ignored by git), or to the
// folder named by LIVC_SCREENSHOTS.
package browser
