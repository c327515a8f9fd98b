package broker

import (
	"context"
	"errors"
)

// review runs the common steps of every audit review: authenticate, decide,
// audit the read (before anything is read), and hand over the prover of the
// requester's cell. set fills the entry's scope before it is written.
func (s *Service) review(ctx context.Context, req *Request, action string, set func(*AuditEntry) error) (*call, AuditProver, error) {
	c, err := s.begin(ctx, req, action)
	if err != nil {
		return nil, nil, err
	}
	// The query is checked first, so that the entry names what was asked
	// for, but judged after the decision: a requester who may not review is
	// told that, whatever it asked.
	var invalid error
	if set != nil {
		invalid = set(&c.entry)
	}
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return nil, nil, err
	}
	if invalid != nil {
		return nil, nil, c.fail(ctx, invalid)
	}
	p := s.c.Prover
	if p == nil {
		return nil, nil, c.fail(ctx, Errorf(KindUnavailable, "the audit log is not verifiable"))
	}
	if err := c.allow(ctx); err != nil {
		return nil, nil, err
	}
	return c, p, nil
}

// unavailable keeps a broker error as it is and turns any other into 503.
func unavailable(err error) error {
	var be *Error
	if errors.As(err, &be) {
		return err
	}
	return Wrap(KindUnavailable, err, "the audit log is unavailable")
}

// AuditCheckpoint answers GET /v1/audit/checkpoint: the latest signed
// checkpoint of the requester's cell, a fresh one with fresh.
func (s *Service) AuditCheckpoint(ctx context.Context, req *Request, fresh bool) ([]byte, error) {
	c, p, err := s.review(ctx, req, ActionAuditCheckpoint, nil)
	if err != nil {
		return nil, err
	}
	note, err := p.Checkpoint(ctx, c.cell.ID, fresh)
	if err != nil {
		return nil, unavailable(err)
	}
	return note, nil
}

// AuditCheckpoints answers GET /v1/audit/checkpoints: every signed
// checkpoint kept, oldest first.
func (s *Service) AuditCheckpoints(ctx context.Context, req *Request) ([]string, error) {
	c, p, err := s.review(ctx, req, ActionAuditCheckpoint, nil)
	if err != nil {
		return nil, err
	}
	notes, err := p.Checkpoints(ctx, c.cell.ID)
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]string, len(notes))
	for i, n := range notes {
		out[i] = string(n)
	}
	return out, nil
}

// AuditProof answers GET /v1/audit/proof?id=…: the inclusion proof of the
// entry a user quoted (X-Audit-Id), or with from=N the consistency proof from
// the tree of size N to the latest checkpoint.
func (s *Service) AuditProof(ctx context.Context, req *Request, auditID string, from int64) (any, error) {
	c, p, err := s.review(ctx, req, ActionAuditProof, func(e *AuditEntry) error {
		if (auditID == "") == (from < 0) {
			return Invalid("id", "give either id (an audit id) or from (a tree size)")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if auditID != "" {
		pr, err := p.Prove(ctx, c.cell.ID, auditID)
		if isNotFound(err) {
			return nil, Errorf(KindNotFound, "no such audit entry in this cell's log")
		}
		if err != nil {
			return nil, unavailable(err)
		}
		return pr, nil
	}
	cp, err := p.Consistency(ctx, c.cell.ID, from)
	if err != nil {
		return nil, unavailable(err)
	}
	return cp, nil
}

// AuditVerify answers GET /v1/audit/verify: the whole log replayed against
// every signed checkpoint, and with since > 0 a consistency proof from the
// tree of that size.
func (s *Service) AuditVerify(ctx context.Context, req *Request, since int64) (VerifyReport, error) {
	c, p, err := s.review(ctx, req, ActionAuditVerify, nil)
	if err != nil {
		return VerifyReport{}, err
	}
	rep, err := p.Verify(ctx, c.cell.ID, since)
	if err != nil {
		return VerifyReport{}, unavailable(err)
	}
	return rep, nil
}

// AuditExport answers GET /v1/audit/export: entries from index from, as
// stored, with their inclusion proofs unless proofs is false; with size > 0
// pinned to the tree of that size (see AuditProver.Export).
func (s *Service) AuditExport(ctx context.Context, req *Request, from int64, limit int, size int64, proofs bool) (Export, error) {
	c, p, err := s.review(ctx, req, ActionAuditExport, func(*AuditEntry) error {
		if from < 0 {
			return Invalid("from", "must be 0 or more")
		}
		if limit < 1 || limit > MaxLimit {
			return Invalid("limit", "must be from 1 to %d", MaxLimit)
		}
		if size < 0 {
			return Invalid("size", "must be 0 or more")
		}
		return nil
	})
	if err != nil {
		return Export{}, err
	}
	x, err := p.Export(ctx, c.cell.ID, from, limit, size, proofs)
	if err != nil {
		return Export{}, unavailable(err)
	}
	return x, nil
}
