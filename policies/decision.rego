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
}

decision := {
	"allow": allow,
	"classes": sort(released),
	"own": own,
	"reasons": reasons,
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

actions := {"signal.submit", "observation.submit", "card.read", "case.create", "roster.set", "roster.change", "audit.read", "subject.erase"}

# Setting a dossier's roster goes by two names: roster.set, and roster.change,
# the name the audit log gives it (api.md) and the pipeline asks with.
roster_actions := {"roster.set", "roster.change"}

# card.read takes any purpose the actor may use; the others one purpose.
action_purpose := {
	"signal.submit": "signal",
	"observation.submit": "signal",
	"case.create": "case_conference",
	"roster.set": "case_conference",
	"roster.change": "case_conference",
	"audit.read": "audit_review",
}

action_known if input.action in actions

purpose_bound if input.action == "card.read"

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

# Submitting a signal or an observation, and reading a card, need no more
# than the purpose. What a card shows is decided by released and own.
action_ok if input.action in {"signal.submit", "observation.submit", "card.read"}

action_ok if {
	input.action == "case.create"
	coordinator
}

action_ok if {
	input.action in roster_actions
	coordinator
	roster_valid
	roster_operational
	case_open
}

action_ok if {
	input.action == "audit.read"
	actor.type == "privacy_officer"
}

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

released contains class if {
	input.action == "card.read"
	allow
	in_scope
	some class, types in cell.release[input.purpose]
	input.actor.type in types
	not class in withheld
}

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

cell_policy_invalid if {
	w := cell_rules.withhold
	not is_set(w)
	not is_array(w)
}

cell_policy_invalid if {
	some class in cell_rules.withhold
	not is_string(class)
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
	input.action in ({"case.create"} | roster_actions)
	not coordinator
}

why_not contains "roster_invalid" if {
	input.action in roster_actions
	not roster_valid
}

why_not contains "roster_actor_not_operational" if {
	input.action in roster_actions
	roster_valid
	not roster_operational
}

why_not contains "no_case" if {
	input.action in roster_actions
	not case_state
}

why_not contains "case_closed" if {
	input.action in roster_actions
	case_state == "closed"
}

why_not contains "not_privacy_officer" if {
	input.action == "audit.read"
	not actor.type == "privacy_officer"
}

why_not contains "not_allowed_to_erase" if {
	input.action == "subject.erase"
	not action_ok
}

why_not contains "cell_policy_invalid" if cell_policy_invalid
