# METADATA
# title: LIVC-R need-to-know decision
# description: |
#   The one decision the broker asks for each request: data.livc.decision.
#   It is computed from input (broker.DecisionInput) and the cell's
#   configuration under data.cells[input.livc]. The release matrix is data,
#   not code: this module only says how to read it. Anything no rule allows
#   is denied, and nothing is released that the matrix does not list.
package livc

# The decision document. allow is false, classes and own empty unless a rule
# below says otherwise; reasons explain a deny (and are empty on an allow).
default decision := {
	"allow": false,
	"classes": [],
	"own": false,
	"reasons": ["not_allowed"],
	"scope": "",
	"withheld_fields": [],
	"share_types": [],
}

# scope is the set of dossiers a case.list may return: "cell" (every
# dossier of the cell), "roster" (the open dossiers whose roster holds the
# requester's actor) or "" (none). withheld_fields are field names a cell's
# own rules withhold even where the class is released (a deny overrides an
# allow).
decision := {
	"allow": allow,
	"classes": sort(released),
	"own": own,
	"reasons": reasons,
	"scope": scope,
	"withheld_fields": fields_withheld,
	"share_types": share_types,
}

# ---------------------------------------------------------------------------
# The cell and the requester, as the configuration knows them.

cell := data.cells[input.livc]

# The requester's actor must exist in the cell with the type the pipeline
# says it has: if the pipeline's view and the data disagree, nothing is
# allowed.
actor_known if cell.actors[input.actor.id].type == input.actor.type

actor := cell.actors[input.actor.id] if actor_known

# An actor sits at a table only when both the pipeline (input.actor.tables)
# and the cell's data say so.
sits_at(table) if {
	actor_known
	table in input.actor.tables
	input.actor.id in cell.tables[table]
}

# Likewise for the coordinator role.
coordinator if {
	input.actor.coordinator == true
	actor.coordinator == true
}

# ---------------------------------------------------------------------------
# Purpose binding (README rule 2): every action needs a purpose the actor may
# use.

purpose := cell.purposes[input.purpose]

# A purpose of a table is for the actors at that table.
purpose_ok if {
	is_string(purpose.table)
	sits_at(purpose.table)
}

# A purpose of no table is for any actor of the cell, but audit_review.
purpose_ok if {
	purpose.table == null
	input.purpose != "audit_review"
	actor_known
}

# audit_review is for the privacy officer only.
purpose_ok if {
	purpose.table == null
	input.purpose == "audit_review"
	actor.type == "privacy_officer"
}

# ---------------------------------------------------------------------------
# Actions, the purpose each is bound to, and who may do them.

actions := {
	"signal.submit", "observation.submit", "signal.list", "card.read", "case.create", "roster.change",
	"case.list", "case.read", "case.transition", "case.priority", "task.assign", "task.report",
	"stats.read", "subject.lookup", "subject.erase", "signal.mine", "signal.withdraw", "signal.dismiss",
	"task.mine", "case.take_signals", "signal.share", "signal.correct",
	"meeting.record", "meeting.list", "retention.list", "case.review",
} | audit_actions

# The privacy officer's review of the audit log: listing, the per-person
# report, alerts, signed checkpoints, proofs, verification, export and
# tiles. Each
# is for the privacy officer only, under audit_review.
audit_actions := {"audit.read", "audit.report", "audit.alerts", "audit.checkpoint", "audit.proof", "audit.verify", "audit.export", "audit.tiles"}

# card.read takes any purpose the actor may use but the aggregates-only ones
# (see aggregate_purposes); case.list and case.read the purposes of the
# operational and tactical tables; the others one purpose.
action_purpose := object.union(
	{a: "audit_review" | some a in audit_actions},
	{
		"signal.submit": "signal",
		"observation.submit": "signal",
		"signal.list": "case_conference",
		"signal.mine": "signal",
		"signal.withdraw": "signal",
		"signal.correct": "signal",
		"signal.dismiss": "case_conference",
		"case.create": "case_conference",
		"case.take_signals": "case_conference",
		"signal.share": "case_conference",
		"roster.change": "case_conference",
		"case.transition": "case_conference",
		"task.report": "case_conference",
		"task.mine": "case_conference",
		"meeting.record": "case_conference",
		"meeting.list": "case_conference",
		"retention.list": "case_conference",
		"case.review": "case_conference",
		"subject.lookup": "case_conference",
		"case.priority": "prioritisation",
		"task.assign": "prioritisation",
		"stats.read": "policy",
	},
)

case_views := {"case.list", "case.read"}

action_known if input.action in actions

# Under policy the strategic table sees aggregates only, never a person, and
# audit_review reviews who saw what, not the person: no card is read under
# either, not even the requester's own submissions.
aggregate_purposes := {"policy", "audit_review"}

purpose_bound if {
	input.action == "card.read"
	not input.purpose in aggregate_purposes
}

purpose_bound if {
	input.action in case_views
	input.purpose in {"case_conference", "prioritisation"}
}

purpose_bound if action_purpose[input.action] == input.purpose

# subject.erase (crypto-shredding a person) has two: the coordinator works
# it under case_conference, the privacy officer under audit_review.
erase_purposes := {"case_conference", "audit_review"}

purpose_bound if {
	input.action == "subject.erase"
	input.purpose in erase_purposes
}

default allow := false

allow if {
	purpose_ok
	purpose_bound
	action_ok
	not cell_policy_invalid
}

# Submitting a signal or an observation, reading a card, asking for
# aggregates and looking a person up need no more than the purpose (the
# strategic table for stats.read, the operational table for subject.lookup).
# What a card shows is decided by released and own.
action_ok if input.action in {"signal.submit", "observation.submit", "card.read", "stats.read", "subject.lookup"}

# The signaller hears back (README rule 11): any actor follows the state of
# its own signals and withdraws one of them. Which signals are its own is the
# pipeline's business: another actor's signal is the uniform 404 before the
# policy is asked.
action_ok if input.action in {"signal.mine", "signal.withdraw", "signal.correct"}

# Dismissing a signal (no follow-up) is the coordinator's, like the intake.
action_ok if {
	input.action == "signal.dismiss"
	coordinator
}

action_ok if {
	input.action == "case.create"
	coordinator
}

# Taking more signals about the person into an existing dossier is the
# coordinator's, like registering one, and only while the dossier is open.
# Which signals qualify (received, about the dossier's person) is the
# pipeline's business, checked against the intake.
action_ok if {
	input.action == "case.take_signals"
	coordinator
	case_open
}

# The intake (every signal's pseudonym, source and state; no value) is the
# coordinator's, who decides whether a signal becomes a dossier (README
# rule 8).
action_ok if {
	input.action == "signal.list"
	coordinator
}

action_ok if {
	input.action == "roster.change"
	coordinator
	roster_target_ok
	case_open
}

# Without a target (input.target absent) the pipeline asks, before it reads
# the request's body, whether the requester may take the action on the
# dossier at all; it asks again with the target the body names, and only
# that second answer lets anything be written. So a caller with no right is
# refused (403, or the 404 of a dossier it may not see) whatever its body.
roster_target_ok if not input.target

roster_target_ok if {
	roster_valid
	roster_operational
}

action_ok if {
	input.action in audit_actions
	actor.type == "privacy_officer"
}

# Listing dossiers: the scope says which (see list_scope).
action_ok if {
	input.action == "case.list"
	list_scope
}

# Reading one dossier: it must be in the scope a listing would have.
action_ok if {
	input.action == "case.read"
	case_in_scope
}

# Moving a dossier through its lifecycle: the coordinator, or an actor on the
# roster of the open dossier. Which moves exist is the lifecycle's business
# (broker/cases_transition.go); who may make them is this rule's.
action_ok if {
	input.action == "case.transition"
	case_state
	coordinator
	outcome_ok
}

action_ok if {
	input.action == "case.transition"
	input.case.on_roster == true
	case_open
	outcome_ok
}

# What a step came to, as data: the outcomes a move from one state to
# another may record (the weighing's assessment, the approach's finding on
# its plan, the evaluation's finding that closes the dossier). A cell may
# give its own list under data.livc.cells.<livc>.step_outcomes. A move may
# record no outcome; one it records must be in the list for that move.
default_step_outcomes := {
	"weighing": {
		"approach": ["concern_confirmed", "concern_unclear"],
		"closed": ["no_concern", "referred_elsewhere", "handled_elsewhere"],
	},
	"approach": {"evaluation": ["plan_carried_out", "plan_partly_carried_out", "plan_not_carried_out"]},
	"evaluation": {"closed": ["risk_reduced", "risk_unchanged", "referred_elsewhere", "no_cooperation"]},
}

cell_step_outcomes := cell_rules.step_outcomes if is_object(cell_rules.step_outcomes)

step_outcomes := cell_step_outcomes

step_outcomes := default_step_outcomes if not cell_step_outcomes

# Without a target the pipeline asks before it reads the body; with one,
# the outcome and the plan's actors are judged.
outcome_ok if not input.target

outcome_ok if {
	outcome_valid
	measures_ok
}

outcome_valid if {
	input.target.outcome == ""
	count(input.target.measure_actors) == 0
}

outcome_valid if outcome_listed

outcome_listed if input.target.outcome in step_outcomes[input.target.from][input.target.to]

# The approach's plan (measures per actor) goes with the move into
# approach, and names actors of the dossier's roster only.
measures_ok if count(input.target.measure_actors) == 0

measures_ok if {
	input.target.to == "approach"
	is_array(input.target.case_roster)
	every a in input.target.measure_actors {
		a in input.target.case_roster
	}
}

# The tactical table sets the priority of an open dossier.
action_ok if {
	input.action == "case.priority"
	case_open
}

# The tactical table assigns a task on an open dossier to an actor on the
# dossier's roster (input.target.case_roster, as stored), which holds actors
# of the operational table only: a task carries the dossier's texts to its
# assignee, so it goes only to whom the dossier is shared with.
action_ok if {
	input.action == "task.assign"
	case_open
	task_target_ok
}

task_target_ok if not input.target

task_target_ok if task_actor_on_roster

# Only the assigned actor reports on its task, while the dossier is open and
# the actor on its roster: an assignee taken off the roster reports no more.
action_ok if {
	input.action == "task.report"
	case_open
	input.case.on_roster == true
	task_assignee
}

# An assignee lists its own tasks (GET /v1/tasks/mine): any actor of the
# operational table. Which tasks are its own, and on which open dossiers it
# sits, is the pipeline's business: it reads the actor's own roster index
# and releases a task only of an open dossier whose roster holds the actor.
action_ok if {
	input.action == "task.mine"
	input.actor.id in cell.tables.operational
}

# Case conference minutes: the coordinator records them on an open dossier
# (input.target: the attendees and the decisions' owners the minutes name,
# and the dossier's roster as stored, which holds actors of the operational
# table only); whoever may read the dossier under case_conference reads
# them: its roster while it is open, and the coordinator.
action_ok if {
	input.action == "meeting.record"
	coordinator
	case_open
	meeting_target_ok
}

meeting_target_ok if not input.target

meeting_target_ok if meeting_actors_on_roster

meeting_actors_on_roster if {
	is_array(input.target.attendees)
	is_array(input.target.decision_actors)
	is_array(input.target.case_roster)
	every a in array.concat(input.target.attendees, input.target.decision_actors) {
		a in input.target.case_roster
		a in cell.tables.operational
	}
}

action_ok if {
	input.action == "meeting.list"
	case_in_scope
}

# What the retention schedule erases next (ids and dates, no value) is the
# coordinator's, who keeps the dossiers and the intake.
action_ok if {
	input.action == "retention.list"
	coordinator
}

# Keeping a closed dossier one more retention period is the coordinator's
# (that the dossier is closed is the pipeline's check: 409 otherwise).
action_ok if {
	input.action == "case.review"
	coordinator
	case_state
}

task_actor_on_roster if {
	is_string(input.target.actor)
	is_array(input.target.case_roster)
	input.target.actor in input.target.case_roster
	input.target.actor in cell.tables.operational
}

task_assignee if {
	is_string(input.target.assignee)
	input.target.assignee == input.actor.id
}

# Deliberate sharing (README rule 8, art. 458ter): the submitter shares its
# own record with a dossier on whose open roster its actor sits. Which
# records are its own, and whether the record is in the dossier, is the
# pipeline's business (another's record is the uniform 404). Without
# input.case the pipeline asks, before it reads the body naming the
# dossier, whether the requester may share at all.
action_ok if {
	input.action == "signal.share"
	not input.case
}

action_ok if {
	input.action == "signal.share"
	case_open
	input.case.on_roster == true
}

# ---------------------------------------------------------------------------
# Which dossiers a requester sees, decided once per request.
#
# Under prioritisation the tactical table sees every dossier of the cell (its
# state, priority, category, tasks; never a field of the person). Under
# case_conference the coordinator, who registers dossiers and sets their
# rosters, sees every dossier; any other actor the open dossiers whose roster
# holds it: closing a dossier ends its roster's access.

list_scope := "cell" if input.purpose == "prioritisation"

list_scope := "cell" if {
	input.purpose == "case_conference"
	coordinator
}

list_scope := "roster" if {
	input.purpose == "case_conference"
	not coordinator
}

case_in_scope if {
	case_state
	list_scope == "cell"
}

case_in_scope if {
	list_scope == "roster"
	input.case.on_roster == true
	case_open
}

default scope := ""

scope := list_scope if {
	input.action == "case.list"
	allow
}

# subject.erase (crypto-shredding a person): the coordinator under
# case_conference, the privacy officer under audit_review.
action_ok if {
	input.action == "subject.erase"
	input.purpose == "case_conference"
	coordinator
}

action_ok if {
	input.action == "subject.erase"
	input.purpose == "audit_review"
	actor.type == "privacy_officer"
}

# A roster is a list of actor ids, all of them at the operational table.
roster_valid if is_array(input.target.roster)

roster_operational if {
	roster_valid
	every id in input.target.roster {
		id in cell.tables.operational
	}
}

# The dossier's state, when the pipeline gives one.
case_state := input.case.state if {
	is_string(input.case.state)
	input.case.state != ""
}

case_open if case_state != "closed"

# ---------------------------------------------------------------------------
# Release (README rule 1): the classes of fields a card.read shows.

# The person is in scope of a case_conference read only when the requester's
# actor is on the roster of an open dossier about them; of any other purpose,
# when some dossier about them is open.
in_scope if {
	input.purpose == "case_conference"
	input.subject.on_roster == true
}

in_scope if {
	input.purpose != "case_conference"
	input.subject.open_case == true
}

# README rule 9: for a minor (input.subject.minor, from the age the broker
# computes on the day of the request), the cell's minors.release replaces the
# release matrix; a cell without a minors block gives minors the adult rules.
# The configuration refuses a minors.release that releases more than release.
minor_rules if {
	input.subject.minor == true
	is_object(cell.minors.release)
}

release_matrix := cell.minors.release if minor_rules

release_matrix := cell.release if not minor_rules

released contains class if {
	input.action == "card.read"
	allow
	in_scope
	some class, types in release_matrix[input.purpose]
	input.actor.type in types
	not class in withheld
}

# README rule 8: records of an actor type under the cell's secrecy reach a
# dossier's roster only once their submitter shares them with it. The
# pipeline draws a card only on the records the dossiers in scope hold (taken
# in, observed while open) and, of these types, only on those shared.
default share_types := []

share_types := sorted_secrecy if {
	input.action == "card.read"
	allow
}

sorted_secrecy := sort([t | some t in cell.secrecy; is_string(t)])

# An actor may always be shown back what its own organisation submitted.
default own := false

own if {
	input.action == "card.read"
	allow
}

# ---------------------------------------------------------------------------
# A cell's own rules (Cell.PolicyDir) live under data.livc.cells.<livc> and
# may only withhold more: a set or array of class names, subtracted from what
# the release matrix gives. Anything else there denies.

cell_rules := data.livc.cells[input.livc]

withheld contains class if {
	some class in cell_rules.withhold
}

# withhold_fields: a set or array of field names withheld even where their
# class is released. They are returned in the decision, so that the
# pipeline's release filter subtracts them, on an allow only.
withheld_field contains name if {
	some name in cell_rules.withhold_fields
}

default fields_withheld := []

fields_withheld := sort(withheld_field) if allow

cell_policy_invalid if {
	w := cell_rules.withhold
	not is_set(w)
	not is_array(w)
}

cell_policy_invalid if {
	o := cell_rules.step_outcomes
	not is_object(o)
}

cell_policy_invalid if {
	some class in cell_rules.withhold
	not is_string(class)
}

cell_policy_invalid if {
	w := cell_rules.withhold_fields
	not is_set(w)
	not is_array(w)
}

cell_policy_invalid if {
	some name in cell_rules.withhold_fields
	not is_string(name)
}

# ---------------------------------------------------------------------------
# Reasons for a deny, for the audit log. They explain; they never allow.

reasons := [] if allow

reasons := sort(why_not) if {
	not allow
	count(why_not) > 0
}

reasons := ["not_allowed"] if {
	not allow
	count(why_not) == 0
}

why_not contains "unknown_cell" if not cell

why_not contains "unknown_actor" if {
	cell
	not actor_known
}

why_not contains "unknown_purpose" if {
	cell
	not purpose
}

why_not contains "purpose_not_allowed" if {
	actor_known
	purpose
	not purpose_ok
}

why_not contains "unknown_action" if not action_known

why_not contains "purpose_not_bound" if {
	action_known
	not purpose_bound
}

why_not contains "not_coordinator" if {
	input.action in {"case.create", "case.take_signals", "roster.change", "signal.list", "signal.dismiss", "meeting.record", "retention.list", "case.review"}
	not coordinator
}

why_not contains "roster_invalid" if {
	input.action == "roster.change"
	input.target
	not roster_valid
}

why_not contains "roster_actor_not_operational" if {
	input.action == "roster.change"
	roster_valid
	not roster_operational
}

# Actions on one dossier need its state.
case_actions := {
	"roster.change", "case.take_signals", "case.read", "case.transition", "case.priority", "task.assign", "task.report",
	"meeting.record", "meeting.list", "case.review",
}

why_not contains "no_case" if {
	input.action in case_actions
	not case_state
}

why_not contains "case_closed" if {
	input.action in {"roster.change", "case.take_signals", "case.priority", "task.assign", "task.report", "meeting.record"}
	case_state == "closed"
}

# A dossier the requester may not see (one a case.read under the purpose
# would not show: off its roster, or closed): the pipeline answers it with
# the same 404 as an unknown one, before any other reason and before it
# reads the request's body (api.md, the order of judgment).
why_not contains "case_out_of_scope" if {
	input.action in case_actions
	purpose_ok
	purpose_bound
	case_state
	not case_in_scope
}

# A dossier the sharer may not see: the uniform 404 (see case_out_of_scope);
# one it sees but whose roster does not hold it (the coordinator's): 403.
why_not contains "case_out_of_scope" if {
	input.action == "signal.share"
	purpose_ok
	purpose_bound
	case_state
	not case_in_scope
}

why_not contains "not_on_roster" if {
	input.action == "signal.share"
	case_state
	not input.case.on_roster == true
}

why_not contains "task_actor_not_on_roster" if {
	input.action == "task.assign"
	input.target
	not task_actor_on_roster
}

why_not contains "meeting_actor_not_on_roster" if {
	input.action == "meeting.record"
	input.target
	not meeting_actors_on_roster
}

why_not contains "outcome_not_for_this_step" if {
	input.action == "case.transition"
	input.target
	not outcome_valid
}

why_not contains "measure_actor_not_on_roster" if {
	input.action == "case.transition"
	input.target
	not measures_ok
}

why_not contains "not_on_roster" if {
	input.action == "task.report"
	not input.case.on_roster == true
}

why_not contains "not_assignee" if {
	input.action == "task.report"
	not task_assignee
}

why_not contains "not_privacy_officer" if {
	input.action in audit_actions
	not actor.type == "privacy_officer"
}

why_not contains "not_allowed_to_erase" if {
	input.action == "subject.erase"
	not action_ok
}

why_not contains "cell_policy_invalid" if cell_policy_invalid
