package broker

import (
	"context"
	"slices"
)

// loadCase reads a dossier of the requester's cell; a malformed or unknown id
// is the same 404, and so is a dossier whose person has no data key: only an
// erasure takes it (a dossier needs records, which need the key), and a
// store written before erasures deleted dossiers may still hold one.
func (s *Service) loadCase(ctx context.Context, c *call, id string) (Case, error) {
	if !ValidCaseID(id) {
		return Case{}, ErrNotFoundForRequester
	}
	c.entry.CaseID = id
	k, err := s.c.Store.Case(ctx, c.cell.ID, id)
	if isNotFound(err) {
		return Case{}, ErrNotFoundForRequester
	}
	if err != nil {
		return Case{}, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	c.entry.SubjectRef = k.SubjectRef
	if _, err := s.c.Store.ExistingDataKey(ctx, c.cell.ID, k.SubjectRef); isNotFound(err) {
		return Case{}, ErrNotFoundForRequester
	} else if err != nil {
		return Case{}, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	return k, nil
}

// sealText seals a text of dossier k under its person's data key, bound to
// the dossier and the text's place in it (what), and returns the key it
// used, which the write must carry (its commit holds only while the key is
// still the person's). A person without a key was erased: the dossier is the
// uniform 404, and no key is made for them again.
func (s *Service) sealText(ctx context.Context, k Case, what, text string) ([]byte, KeyUse, error) {
	wrapped, err := s.c.Store.ExistingDataKey(ctx, k.Livc, k.SubjectRef)
	if isNotFound(err) {
		// Only an erasure takes a person's key (a dossier needs records,
		// which need the key): no write ever makes a fresh one for them.
		return nil, KeyUse{}, ErrNotFoundForRequester
	}
	if err != nil {
		return nil, KeyUse{}, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	out, err := s.c.Sealer.Seal(wrapped, textAD(k, what), []byte(text))
	if err != nil {
		return nil, KeyUse{}, Wrap(KindInternal, err, "a text could not be sealed")
	}
	return out, KeyUse{Wrapped: wrapped}, nil
}

// openText reverses sealText; no sealed text is "". A person erased (its
// data key gone) has texts that no longer open: they read as "".
func (s *Service) openText(ctx context.Context, k Case, what string, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	wrapped, err := s.c.Store.ExistingDataKey(ctx, k.Livc, k.SubjectRef)
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", Wrap(KindUnavailable, err, "the store is unavailable")
	}
	plain, err := s.c.Sealer.Open(wrapped, textAD(k, what), sealed)
	if err != nil {
		return "", Wrap(KindInternal, err, "a text could not be decrypted")
	}
	return string(plain), nil
}

func textAD(k Case, what string) []byte {
	return []byte("livc-case-text-v1\x00" + k.Livc + "\x00" + k.ID + "\x00" + what)
}

// openCase begins a request on one dossier that brings a JSON body:
// authenticate and check the purpose (begin), judge the dossier (judgeCase:
// the uniform 404 for one the requester may not see, then the decision),
// and only then read the body and decode it into a T, strictly. Every
// refusal is audited; on success the caller holds the call, the dossier as
// loaded (to clone before changing what it shares) and the request.
func openCase[T any](ctx context.Context, s *Service, req *Request, action, caseID string) (*call, Case, T, error) {
	return openCaseBy[T](ctx, s, req, action, func(c *call) (Case, error) { return s.judgeCase(ctx, c, caseID) })
}

// openCaseBy is openCase with the dossier loaded and judged by judge
// (judgeTask, for a request on one task of it).
func openCaseBy[T any](ctx context.Context, s *Service, req *Request, action string, judge func(*call) (Case, error)) (*call, Case, T, error) {
	var in T
	c, err := s.begin(ctx, req, action)
	if err != nil {
		return nil, Case{}, in, err
	}
	k, err := judge(c)
	if err != nil {
		return nil, Case{}, in, err
	}
	if in, err = readBody[T](ctx, c); err != nil {
		return nil, Case{}, in, err
	}
	return c, k, in, nil
}

// decideOnCase asks the policy about an action on dossier k. A dossier the
// requester may not see is the same 404 as an unknown one, whatever else
// the policy refuses: whether one may see a dossier is judged before what
// one may do with it.
func (c *call) decideOnCase(ctx context.Context, k Case, target map[string]any) (Decision, error) {
	d, err := c.decide(ctx, DecisionInput{
		Case:   &CaseScope{State: k.State, OnRoster: slices.Contains(k.Roster, c.actor.ID)},
		Target: target,
	})
	if err != nil && slices.Contains(d.Reasons, "case_out_of_scope") {
		return d, ErrNotFoundForRequester
	}
	return d, err
}

// purposeReasons are the policy's reasons that refuse the request's purpose
// itself, whatever the dossier.
var purposeReasons = []string{"unknown_purpose", "purpose_not_allowed", "purpose_not_bound"}

// judgeCase loads dossier id and judges the request on it before its body is
// read, in the order of the API: the purpose (403), whether the requester
// may see the dossier at all (the uniform 404, for an unknown dossier too),
// then the policy's decision on the action (403), asked without a target:
// what the body names is decided again once the body is read. Every refusal
// is audited.
func (s *Service) judgeCase(ctx context.Context, c *call, id string) (Case, error) {
	k, err := s.loadCase(ctx, c, id)
	if err != nil {
		return Case{}, s.refuseMissing(ctx, c, err)
	}
	if _, err := c.decideOnCase(ctx, k, nil); err != nil {
		return Case{}, err
	}
	return k, nil
}

// refuseMissing audits and returns the refusal of a request whose dossier
// (or task) could not be loaded: for one that does not exist, a purpose the
// requester may not use is still 403 (judged before the dossier), anything
// else the uniform 404.
func (s *Service) refuseMissing(ctx context.Context, c *call, err error) error {
	if KindOf(err) == KindNotFound {
		d, derr := c.policy.Decide(ctx, c.input(DecisionInput{}))
		if derr == nil && slices.ContainsFunc(d.Reasons, func(r string) bool { return slices.Contains(purposeReasons, r) }) {
			c.entry.PolicyRevision = d.Revision
			return c.fail(ctx, c.forbidden(d))
		}
	}
	return c.fail(ctx, err)
}

// commitCase commits the change of prev to k with its allow entry, which
// names what the answer releases (releaseView), and answers k's view.
func (s *Service) commitCase(ctx context.Context, c *call, prev, k Case, key KeyUse) (CaseView, error) {
	v, err := s.releaseView(ctx, c, k)
	if err != nil {
		return CaseView{}, c.fail(ctx, err)
	}
	if err := s.updateCase(ctx, c, prev, k, key); err != nil {
		return CaseView{}, err
	}
	return v, nil
}

// updateCase commits the change of a dossier from prev, as loaded, to next,
// with the request's allow entry, in one step. A dossier changed by another
// request in between is not overwritten: the answer is 409, and the client
// reloads and decides again (the policy decided on prev).
func (s *Service) updateCase(ctx context.Context, c *call, prev, next Case, key KeyUse) error {
	return c.write(ctx, 1, func() (Write, error) { return s.c.Store.PlanUpdateCase(ctx, prev, next, key) })
}
