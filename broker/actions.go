package broker

import "slices"

// The actions of the audit log, one table. A request names its action when
// it begins (begin); the policy decides it by that name, and the audit log
// records it. No action is written as a string literal anywhere else.

// The actions the policy decides (DecidedActions): exactly the set
// `actions` of policies/decision.rego, which a test in policies/ checks.
const (
	ActionSignalSubmit      = "signal.submit"
	ActionObservationSubmit = "observation.submit"
	ActionSignalList        = "signal.list"
	ActionSignalMine        = "signal.mine"
	ActionSignalDismiss     = "signal.dismiss"
	ActionSignalWithdraw    = "signal.withdraw"
	ActionSignalShare       = "signal.share"
	ActionSignalCorrect     = "signal.correct"
	ActionCardRead          = "card.read"
	ActionSubjectLookup     = "subject.lookup"
	ActionSubjectErase      = "subject.erase"
	ActionCaseCreate        = "case.create"
	ActionCaseList          = "case.list"
	ActionCaseRead          = "case.read"
	ActionCaseTransition    = "case.transition"
	ActionCasePriority      = "case.priority"
	ActionCaseTakeSignals   = "case.take_signals"
	ActionCaseReview        = "case.review"
	ActionMeetingRecord     = "meeting.record"
	ActionMeetingList       = "meeting.list"
	ActionRetentionList     = "retention.list"
	ActionRosterChange      = "roster.change"
	ActionTaskAssign        = "task.assign"
	ActionTaskReport        = "task.report"
	ActionTaskMine          = "task.mine"
	ActionStatsRead         = "stats.read"

	// The privacy officer's review (audit_review, privacy officer only).
	ActionAuditRead       = "audit.read"
	ActionAuditCheckpoint = "audit.checkpoint"
	ActionAuditProof      = "audit.proof"
	ActionAuditVerify     = "audit.verify"
	ActionAuditExport     = "audit.export"
	ActionAuditReport     = "audit.report"
	ActionAuditAlerts     = "audit.alerts"
	ActionAuditTiles      = "audit.tiles"
)

// The broker's own actions: audited, never decided by the policy.
const (
	// ActionSignalRepeat and ActionObservationRepeat answer an envelope
	// sent again by its submitter (repost): its record, nothing stored.
	ActionSignalRepeat      = "signal.repeat"
	ActionObservationRepeat = "observation.repeat"
	// ActionAuthFail is one refused login (401), audited one by one.
	ActionAuthFail = "auth.fail"
	// ActionAuthFailUnlogged sums up, once per AuthFailCounter.Window, the
	// refused logins of one client that were over the rate and so only
	// counted.
	ActionAuthFailUnlogged = "auth.fail.unlogged"
	// ActionRequestRefuse is a request the transport cannot route (Refuse).
	ActionRequestRefuse = "request.refuse"
	// ActionPolicyReload is a configuration and policy reloaded (Reload).
	ActionPolicyReload = "policy.reload"
	// ActionKeysRotate and ActionKeysEpoch are key operations of the
	// broker's binary: a rotation of its keys, and key epochs destroyed.
	ActionKeysRotate = "keys.rotate"
	ActionKeysEpoch  = "keys.epoch"
	// ActionRetentionExpire is an item the broker erased when its retention
	// period ran out (RunRetention).
	ActionRetentionExpire = "retention.expire"
	// ActionWitnessRefuse is an outside witness's refusal to cosign a
	// checkpoint of the cell's log as not consistent with what it cosigned
	// before (WitnessRefused): the log was rebuilt or forked.
	ActionWitnessRefuse = "witness.refuse"
)

var decidedActions = []string{
	ActionSignalSubmit, ActionObservationSubmit, ActionSignalList, ActionSignalMine,
	ActionSignalDismiss, ActionSignalWithdraw, ActionSignalShare, ActionSignalCorrect, ActionCardRead, ActionSubjectLookup,
	ActionSubjectErase, ActionCaseCreate, ActionCaseList, ActionCaseRead,
	ActionCaseTransition, ActionCasePriority, ActionCaseTakeSignals, ActionCaseReview, ActionRosterChange,
	ActionMeetingRecord, ActionMeetingList, ActionRetentionList,
	ActionTaskAssign, ActionTaskReport, ActionTaskMine, ActionStatsRead,
	ActionAuditRead, ActionAuditCheckpoint, ActionAuditProof, ActionAuditVerify,
	ActionAuditExport, ActionAuditReport, ActionAuditAlerts, ActionAuditTiles,
}

// DecidedActions returns the actions the policy decides, sorted.
func DecidedActions() []string { return slices.Sorted(slices.Values(decidedActions)) }

// repeatOf is the action of an envelope sent again, by its submit action.
var repeatOf = map[string]string{
	ActionSignalSubmit:      ActionSignalRepeat,
	ActionObservationSubmit: ActionObservationRepeat,
}
