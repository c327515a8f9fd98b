// Package broker holds the domain of a Local Integrated Security Cell (LIVC-R)
// information broker and the request pipeline that enforces its rules.
//
// Every request reads top to bottom in one place (see service.go):
// authenticate, open the envelope, decide, release, audit. Each step sits
// behind a small interface declared in ports.go and implemented by an adapter
// under internal/. Adapters never import each other; cmd/ wires them.
//
// The pipeline fails closed: an error from authentication, the policy, the
// cryptography or the audit log denies the request and stores nothing.
package broker
