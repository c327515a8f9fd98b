// Package loopback tells a host of this machine's loopback interface, the
// one place where the broker and its tools accept plain HTTP or a debug
// listener: an identity provider, a webhook, the profiler, the load tool.
package loopback

import "net"

// Host reports whether host (a name or an address, without a port) is
// "localhost" or a loopback address (127.0.0.0/8, ::1). Any other name is
// not: a name is not resolved, so it cannot be pointed elsewhere later.
func Host(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
