// Package broker holds the domain of a Local Integrated Security Cell (LIVC-R)
// information broker and the request pipeline that enforces its rules.
//
// Every request reads top to bottom in one place, its use case: begin
// (authenticate, rate-limit, check the purpose; service.go), judge (the
// uniform 404 for what the requester may not see, then the policy's
// decision), read the body or open the envelope, then release or write with
// the audit entry (commit.go). The pipeline fails closed: an error from
// authentication, the policy, the cryptography or the audit log denies the
// request and stores nothing.
//
// # Ports and adapters
//
// Each step sits behind an interface declared in ports.go (the write plans
// in commit.go) and implemented by an adapter under internal/; rate
// limiting is one of them (RateLimiter, internal/ratelimit). Adapters never
// import each other; cmd/ wires them.
//
// # Subpackages
//
// Import-free leaves that the domain (and anyone) may use, which import
// nothing of this project: auditlog (the verifiable part of the audit log:
// leaf hashes, signed checkpoints, replay, thinning), strictjson (the strict parser of untrusted JSON),
// recordcodec (the plaintext form of a sealed record), suppress (small-count
// suppression of the published statistics) and nationalnumber (Belgian
// national numbers: their check and the birth date they encode).
//
// # Where things are
//
// A use case lives in a file named after its family, the first segment of
// its route under /v1: signals_*.go, subjects_*.go, cases_*.go, tasks_*.go,
// stats_*.go, audit_*.go, retention_*.go, one file per use case or per small group of them
// (signals_submit.go, cases_transition.go). A family's types are in
// <family>_model.go (cases_model.go: the dossier; audit_model.go: the
// verifiable log's proofs and reports) and the steps its use cases share in
// <family>.go (cases.go: load, judge, open, seal and commit a dossier;
// subjects.go: the card read's reads). Files without a family are the
// pipeline and what every family uses: service.go (Conf, Service, the call
// and its audit entry), ports.go, commit.go, errors.go (the one error
// vocabulary), actions.go (the one table of action names), model.go,
// cell.go, ids.go, body.go (request bodies), envelope.go (opening and
// binding envelopes), plaintext.go and fields.go (parsing an envelope's
// plaintext against the catalogue), records.go (sealing records and their
// keys), minors.go, authfail.go (refused logins) and reload.go.
package broker
