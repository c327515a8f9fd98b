// Package auditout carries the audit log out of Redis as it grows: every
// entry, once it is in its log, to configured sinks (a JSON-lines file with
// rotation, syslog) that a SIEM can follow, and the alerts the entries raise
// to a webhook and to metrics.
//
// A Follower reads each log in order from a cursor kept beside the log (the
// Feed), hands the entries to one Output, and moves the cursor only once the
// Output took them. A restarted broker thus goes on where the last one
// stopped: every entry reaches every output at least once, in log order, and
// an output sees an entry again only if the broker stopped between its
// delivery and the cursor's move (each line carries its log's index, so a
// reader drops what it saw). Of several broker processes on one Redis one
// follows each log at a time (a claim that runs out if its holder dies).
//
// Following never holds up a request: it runs apart, after the entries are
// in the log, and an output that fails or hangs is retried with backoff
// while requests go on. Nothing here writes a field value: entries hold
// field names only, and alerts name people by actor and sub.
package auditout
