package loopback

import "testing"

func TestHost(t *testing.T) {
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"localhost", true}, {"127.0.0.1", true}, {"127.8.9.10", true}, {"::1", true},
		{"", false}, {"0.0.0.0", false}, {"10.0.0.1", false}, {"localhost.example", false},
		{"LOCALHOST.", false}, {"idp.example", false}, {"[::1]", false}, {"::ffff:10.0.0.1", false},
	} {
		if got := Host(tc.host); got != tc.want {
			t.Errorf("Host(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
}
