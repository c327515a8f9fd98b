package broker

import "context"

// KeyForgetter is what a Sealer implements to drop a data key's unwrapped
// form from memory at once.
type KeyForgetter interface {
	Forget(wrapped []byte)
}

// EraseSubject answers DELETE /v1/subjects/{ref}: it crypto-shreds a person.
// Their wrapped data key is deleted, so every sealed record is unreadable at
// once, the unwrapped key is dropped from memory, and the records, alias
// links and dossier links are deleted. The audit entry keeps only the
// pseudonym. Afterwards the person is the same 404 as anyone unknown. Older
// copies of the store stay readable until the key epoch of the deleted data
// key is destroyed (see keys/epoch.go and the README).
//
// Steps: authenticate, decide, check the person exists (404 otherwise,
// audited), one commit of the allow entry with the erasure, forget.
func (s *Service) EraseSubject(ctx context.Context, req *Request, ref string) error {
	c, err := s.begin(ctx, req, ActionSubjectErase)
	if err != nil {
		return err
	}
	if !ValidSubjectRef(ref) {
		return c.fail(ctx, ErrNotFoundForRequester)
	}
	c.entry.SubjectRef = ref
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return err
	}
	known, err := s.known(ctx, c.cell.ID, ref)
	if err != nil {
		return c.fail(ctx, err)
	}
	if !known {
		return c.fail(ctx, ErrNotFoundForRequester)
	}
	var wrapped []byte
	err = c.write(ctx, maxReplans, func() (Write, error) {
		w, dk, err := s.c.Store.PlanErase(ctx, c.cell.ID, ref)
		if isNotFound(err) { // erased meanwhile
			return nil, ErrNotFoundForRequester
		}
		if err != nil {
			return nil, Wrap(KindUnavailable, err, "the store is unavailable")
		}
		wrapped = dk
		return w, nil
	})
	if err != nil {
		return err
	}
	if f, ok := s.c.Sealer.(KeyForgetter); ok && len(wrapped) > 0 {
		f.Forget(wrapped)
	}
	return nil
}

// known reports whether the store holds a data key or a record of ref.
func (s *Service) known(ctx context.Context, livc, ref string) (bool, error) {
	if _, err := s.c.Store.ExistingDataKey(ctx, livc, ref); err == nil {
		return true, nil
	} else if !isNotFound(err) {
		return false, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	recs, err := s.c.Store.Records(ctx, livc, ref)
	if err != nil && !isNotFound(err) {
		return false, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	return len(recs) > 0, nil
}
