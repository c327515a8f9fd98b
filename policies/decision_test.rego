# METADATA
# title: Tests of data.livc.decision
# description: |
#   Data-driven: each case is a request to the example cell (testdata, the
#   livc-example.yaml cell in the shape the engine builds) and the exact
#   decision expected. Run with `opa test policies/` or `go test ./policies/`.
package livc_test

import data.livc

# ---------------------------------------------------------------------------
# Fixtures.

cells := data.testdata.cells

zonnedaal := cells.zonnedaal

# tables_of(id) is the tables actor id sits at, as the pipeline reports them.
tables_of(id) := [t | some t, ids in zonnedaal.tables; id in ids]

# who(id) is the pipeline's description of actor id of the example cell.
who(id) := {
	"id": id,
	"type": zonnedaal.actors[id].type,
	"tables": tables_of(id),
	"coordinator": zonnedaal.actors[id].coordinator,
}

req(action, purpose, id) := {
	"livc": "zonnedaal",
	"action": action,
	"purpose": purpose,
	"actor": who(id),
}

# card(purpose, id, open_case, on_roster) is a card.read about a person.
card(purpose, id, open_case, on_roster) := object.union(
	req("card.read", purpose, id),
	{"subject": {"open_case": open_case, "on_roster": on_roster}},
)

roster(id, actors, state) := object.union(
	req("roster.change", "case_conference", id),
	{"case": {"state": state, "on_roster": false}, "target": {"roster": actors}},
)

# on(action, purpose, id, state, on_roster) is an action on one dossier.
on(action, purpose, id, state, on_roster) := object.union(
	req(action, purpose, id),
	{"case": {"state": state, "on_roster": on_roster}},
)

# with_target(inp, target) adds the action-specific target.
with_target(inp, target) := object.union(inp, {"target": target})

allowed := {"allow": true, "classes": [], "own": false, "reasons": [], "scope": "", "withheld_fields": [], "share_types": []}

listed(scope) := object.union(allowed, {"scope": scope})

shown(classes) := {"allow": true, "classes": classes, "own": true, "reasons": [], "scope": "", "withheld_fields": [], "share_types": ["socio_preventive"]}

denied(reasons) := {"allow": false, "classes": [], "own": false, "reasons": reasons, "scope": "", "withheld_fields": [], "share_types": []}

# The decision for inp over the example cell (or over cs).
decision_for(inp) := d if {
	d := livc.decision with input as inp with data.cells as cells
}

decision_over(inp, cs) := d if {
	d := livc.decision with input as inp with data.cells as cs
}

# ---------------------------------------------------------------------------
# The table: every rule, allowed and denied.

cases := [
	# Purpose rule.
	{"note": "signal.submit by a social service", "input": req("signal.submit", "signal", "ocmw"), "want": allowed},
	{"note": "observation.submit by a business association", "input": req("observation.submit", "signal", "unizo"), "want": allowed},
	{"note": "signal.submit by the privacy officer (signal has no table)", "input": req("signal.submit", "signal", "dpo"), "want": allowed},
	{"note": "signal.submit under another purpose", "input": req("signal.submit", "case_conference", "ocmw"), "want": denied(["purpose_not_bound"])},
	{"note": "unknown purpose", "input": req("card.read", "gossip", "pz"), "want": denied(["unknown_purpose"])},
	{"note": "empty purpose", "input": req("signal.submit", "", "pz"), "want": denied(["purpose_not_bound", "unknown_purpose"])},
	{"note": "case_conference off the operational table", "input": card("case_conference", "burgemeester", true, true), "want": denied(["purpose_not_allowed"])},
	{"note": "prioritisation off the tactical table", "input": card("prioritisation", "clb", true, true), "want": denied(["purpose_not_allowed"])},
	{"note": "policy off the strategic table", "input": card("policy", "ocmw", true, true), "want": denied(["purpose_not_allowed", "purpose_not_bound"])},
	{"note": "audit_review by the coordinator", "input": card("audit_review", "preventie", true, true), "want": denied(["purpose_not_allowed", "purpose_not_bound"])},
	{"note": "the privacy officer at no table", "input": card("case_conference", "dpo", true, true), "want": denied(["purpose_not_allowed"])},
	{"note": "unknown actor", "input": object.union(req("signal.submit", "signal", "pz"), {"actor": {"id": "ghost", "type": "police", "tables": ["operational"], "coordinator": true}}), "want": denied(["unknown_actor"])},
	{"note": "actor type disagrees with the data", "input": object.union(card("case_conference", "ocmw", true, true), {"actor": {"type": "police"}}), "want": denied(["unknown_actor"])},
	{"note": "table claimed but not in the data", "input": object.union(card("prioritisation", "clb", true, true), {"actor": {"tables": ["operational", "tactical"]}}), "want": denied(["purpose_not_allowed"])},
	{"note": "table in the data but not claimed", "input": object.union(card("prioritisation", "pz", true, true), {"actor": {"tables": []}}), "want": denied(["purpose_not_allowed"])},
	{"note": "unknown cell", "input": object.union(req("signal.submit", "signal", "ocmw"), {"livc": "elders"}), "want": denied(["unknown_cell"])},
	{"note": "unknown action", "input": req("card.write", "case_conference", "pz"), "want": denied(["unknown_action"])},
	{"note": "empty input", "input": {}, "want": denied(["unknown_action", "unknown_cell"])},
	# card.read under case_conference: the release matrix, on the roster only.
	{"note": "police on the roster", "input": card("case_conference", "pz", true, true), "want": shown(["administrative", "business", "identity", "intelligence", "judicial", "police", "presence", "signal", "social"])},
	{"note": "social service on the roster", "input": card("case_conference", "ocmw", true, true), "want": shown(["care", "identity", "presence", "signal", "social"])},
	{"note": "school service on the roster", "input": card("case_conference", "clb", true, true), "want": shown(["care", "identity", "presence", "signal", "social"])},
	{"note": "municipal service on the roster", "input": card("case_conference", "jeugddienst", true, true), "want": shown(["identity", "presence", "signal", "social"])},
	{"note": "intelligence on the roster", "input": card("case_conference", "vsse", true, true), "want": shown(["identity", "intelligence", "police", "presence", "signal"])},
	{"note": "judicial on the roster", "input": card("case_conference", "parket", true, true), "want": shown(["administrative", "identity", "judicial", "police", "presence"])},
	{"note": "coordinator on the roster", "input": card("case_conference", "preventie", true, true), "want": shown(["administrative", "business", "identity", "presence", "signal", "social"])},
	{"note": "business association on the roster", "input": card("case_conference", "unizo", true, true), "want": shown(["business", "presence"])},
	{"note": "off the roster of an open dossier: own only", "input": card("case_conference", "pz", true, false), "want": shown([])},
	{"note": "no dossier at all: own only", "input": card("case_conference", "pz", false, false), "want": shown([])},
	{"note": "no subject scope: own only", "input": req("card.read", "case_conference", "pz"), "want": shown([])},
	{"note": "on_roster must be true, not truthy", "input": object.union(card("case_conference", "pz", true, true), {"subject": {"on_roster": "yes"}}), "want": shown([])},
	# card.read under other purposes: an open dossier, the matrix of that purpose.
	{"note": "police, prioritisation, open dossier", "input": card("prioritisation", "pz", true, false), "want": shown(["presence"])},
	{"note": "social service, prioritisation, open dossier", "input": card("prioritisation", "ocmw", true, false), "want": shown(["presence"])},
	{"note": "prosecutor, prioritisation, open dossier", "input": card("prioritisation", "parket", true, false), "want": shown(["presence"])},
	{"note": "mayor, prioritisation, open dossier", "input": card("prioritisation", "burgemeester", true, false), "want": shown(["presence"])},
	{"note": "prioritisation, no open dossier", "input": card("prioritisation", "pz", false, false), "want": shown([])},
	{"note": "prioritisation: the roster does not stand for an open dossier", "input": card("prioritisation", "pz", false, true), "want": shown([])},
	{"note": "policy: aggregates only, no card", "input": card("policy", "burgemeester", true, true), "want": denied(["purpose_not_bound"])},
	{"note": "policy: not even the own submissions", "input": card("policy", "pz", false, false), "want": denied(["purpose_not_bound"])},
	{"note": "signal: nothing in the matrix", "input": card("signal", "ocmw", true, true), "want": shown([])},
	{"note": "audit_review by the privacy officer: no card", "input": card("audit_review", "dpo", true, true), "want": denied(["purpose_not_bound"])},
	{"note": "audit_review: not even the own submissions", "input": card("audit_review", "dpo", false, false), "want": denied(["purpose_not_bound"])},
	# signal.list: the coordinator's intake.
	{"note": "coordinator reads the intake", "input": req("signal.list", "case_conference", "preventie"), "want": allowed},
	{"note": "police cannot read the intake", "input": req("signal.list", "case_conference", "pz"), "want": denied(["not_coordinator"])},
	{"note": "a submitter cannot read the intake under signal", "input": req("signal.list", "signal", "ocmw"), "want": denied(["not_coordinator", "purpose_not_bound"])},
	{"note": "intake under signal, even for the coordinator", "input": req("signal.list", "signal", "preventie"), "want": denied(["purpose_not_bound"])},
	# signal.mine, signal.withdraw: the signaller's feedback (README rule 11).
	{"note": "a submitter follows its signals", "input": req("signal.mine", "signal", "ocmw"), "want": allowed},
	{"note": "its signals under case_conference: not bound", "input": req("signal.mine", "case_conference", "pz"), "want": denied(["purpose_not_bound"])},
	{"note": "a submitter withdraws its signal", "input": req("signal.withdraw", "signal", "ocmw"), "want": allowed},
	{"note": "withdrawing under case_conference: not bound", "input": req("signal.withdraw", "case_conference", "preventie"), "want": denied(["purpose_not_bound"])},
	# signal.dismiss: the coordinator's, like the intake.
	{"note": "coordinator dismisses a signal", "input": req("signal.dismiss", "case_conference", "preventie"), "want": allowed},
	{"note": "police cannot dismiss a signal", "input": req("signal.dismiss", "case_conference", "pz"), "want": denied(["not_coordinator"])},
	{"note": "dismissal under signal, even for the coordinator", "input": req("signal.dismiss", "signal", "preventie"), "want": denied(["purpose_not_bound"])},

	# case.create.
	{"note": "coordinator creates a case", "input": req("case.create", "case_conference", "preventie"), "want": allowed},
	{"note": "police cannot create a case", "input": req("case.create", "case_conference", "pz"), "want": denied(["not_coordinator"])},
	{"note": "coordinator claimed but not in the data", "input": object.union(req("case.create", "case_conference", "pz"), {"actor": {"coordinator": true}}), "want": denied(["not_coordinator"])},
	{"note": "case.create under prioritisation", "input": req("case.create", "prioritisation", "preventie"), "want": denied(["purpose_not_bound"])},
	# case.take_signals: the coordinator takes more signals into an open dossier.
	{"note": "coordinator takes signals into an open dossier", "input": on("case.take_signals", "case_conference", "preventie", "weighing", false), "want": allowed},
	{"note": "coordinator takes signals into a closed dossier", "input": on("case.take_signals", "case_conference", "preventie", "closed", false), "want": denied(["case_closed"])},
	{"note": "police on the roster cannot take signals", "input": on("case.take_signals", "case_conference", "pz", "formation", true), "want": denied(["not_coordinator"])},
	{"note": "police off the roster: the dossier it may not see", "input": on("case.take_signals", "case_conference", "pz", "formation", false), "want": denied(["case_out_of_scope", "not_coordinator"])},
	{"note": "taking signals without a dossier", "input": req("case.take_signals", "case_conference", "preventie"), "want": denied(["no_case"])},
	{"note": "taking signals under prioritisation", "input": on("case.take_signals", "prioritisation", "preventie", "weighing", false), "want": denied(["purpose_not_bound"])},
	# roster.set.
	{"note": "coordinator sets a roster", "input": roster("preventie", ["ocmw", "pz", "vsse"], "weighing"), "want": allowed},
	{"note": "coordinator empties a roster", "input": roster("preventie", [], "registration"), "want": allowed},
	{"note": "roster with the mayor (not operational)", "input": roster("preventie", ["ocmw", "burgemeester"], "formation"), "want": denied(["roster_actor_not_operational"])},
	{"note": "roster with the privacy officer", "input": roster("preventie", ["dpo"], "formation"), "want": denied(["roster_actor_not_operational"])},
	{"note": "roster with an unknown actor", "input": roster("preventie", ["ghost"], "formation"), "want": denied(["roster_actor_not_operational"])},
	{"note": "roster that is not a list", "input": roster("preventie", "pz", "formation"), "want": denied(["roster_invalid"])},
	{"note": "roster of a closed case", "input": roster("preventie", ["pz"], "closed"), "want": denied(["case_closed"])},
	{"note": "roster without a case", "input": object.remove(roster("preventie", ["pz"], "formation"), ["case"]), "want": denied(["no_case"])},
	{"note": "roster with an empty case state", "input": roster("preventie", ["pz"], ""), "want": denied(["no_case"])},
	{"note": "roster.change of a closed case by police", "input": roster("pz", ["pz"], "closed"), "want": denied(["case_closed", "case_out_of_scope", "not_coordinator"])},
	{"note": "the retired name roster.set", "input": object.union(roster("preventie", ["pz"], "formation"), {"action": "roster.set"}), "want": denied(["unknown_action"])},
	{"note": "roster set by police off the roster (the dossier it may not see)", "input": roster("pz", ["pz"], "formation"), "want": denied(["case_out_of_scope", "not_coordinator"])},
	{"note": "roster set by police on the roster", "input": object.union(roster("pz", ["pz"], "formation"), {"case": {"on_roster": true}}), "want": denied(["not_coordinator"])},
	{"note": "roster change asked before the body (no target)", "input": object.remove(roster("preventie", ["pz"], "formation"), ["target"]), "want": allowed},
	{"note": "roster change by police asked before the body", "input": object.remove(roster("pz", ["pz"], "formation"), ["target"]), "want": denied(["case_out_of_scope", "not_coordinator"])},
	{"note": "roster under prioritisation", "input": object.union(roster("preventie", ["pz"], "formation"), {"purpose": "prioritisation"}), "want": denied(["purpose_not_bound"])},
	# audit.read.
	{"note": "privacy officer reads the audit", "input": req("audit.read", "audit_review", "dpo"), "want": allowed},
	{"note": "coordinator reads the audit", "input": req("audit.read", "audit_review", "preventie"), "want": denied(["not_privacy_officer", "purpose_not_allowed"])},
	{"note": "privacy officer reads the audit under signal", "input": req("audit.read", "signal", "dpo"), "want": denied(["purpose_not_bound"])},
	# case.list: one decision, a scope.
	{"note": "tactical table lists every dossier", "input": req("case.list", "prioritisation", "ocmw"), "want": listed("cell")},
	{"note": "mayor lists under prioritisation", "input": req("case.list", "prioritisation", "burgemeester"), "want": listed("cell")},
	{"note": "coordinator lists every dossier under case_conference", "input": req("case.list", "case_conference", "preventie"), "want": listed("cell")},
	{"note": "police lists its rosters under case_conference", "input": req("case.list", "case_conference", "pz"), "want": listed("roster")},
	{"note": "business association lists its rosters", "input": req("case.list", "case_conference", "unizo"), "want": listed("roster")},
	{"note": "school service cannot list under prioritisation", "input": req("case.list", "prioritisation", "clb"), "want": denied(["purpose_not_allowed"])},
	{"note": "case.list under policy", "input": req("case.list", "policy", "burgemeester"), "want": denied(["purpose_not_bound"])},
	{"note": "case.list by the privacy officer", "input": req("case.list", "audit_review", "dpo"), "want": denied(["purpose_not_bound"])},
	# case.read: the dossier must be in that scope.
	{"note": "police reads a dossier on its roster", "input": on("case.read", "case_conference", "pz", "approach", true), "want": allowed},
	{"note": "police reads a dossier off its roster", "input": on("case.read", "case_conference", "pz", "approach", false), "want": denied(["case_out_of_scope"])},
	{"note": "police reads a closed dossier on its roster", "input": on("case.read", "case_conference", "pz", "closed", true), "want": denied(["case_out_of_scope"])},
	{"note": "coordinator reads any dossier", "input": on("case.read", "case_conference", "preventie", "closed", false), "want": allowed},
	{"note": "tactical table reads any dossier", "input": on("case.read", "prioritisation", "parket", "weighing", false), "want": allowed},
	{"note": "case.read without a dossier", "input": req("case.read", "prioritisation", "pz"), "want": denied(["no_case"])},
	{"note": "case.read under policy", "input": on("case.read", "policy", "burgemeester", "weighing", true), "want": denied(["purpose_not_bound"])},
	{"note": "case.read by the privacy officer", "input": on("case.read", "audit_review", "dpo", "weighing", true), "want": denied(["purpose_not_bound"])},
	# case.transition.
	{"note": "roster member moves an open dossier", "input": on("case.transition", "case_conference", "ocmw", "formation", true), "want": allowed},
	{"note": "coordinator off the roster moves a dossier", "input": on("case.transition", "case_conference", "preventie", "registration", false), "want": allowed},
	{"note": "coordinator asks to move a closed dossier (the lifecycle refuses)", "input": on("case.transition", "case_conference", "preventie", "closed", false), "want": allowed},
	{"note": "actor off the roster moves a dossier", "input": on("case.transition", "case_conference", "vsse", "weighing", false), "want": denied(["case_out_of_scope"])},
	{"note": "roster member moves a closed dossier", "input": on("case.transition", "case_conference", "pz", "closed", true), "want": denied(["case_out_of_scope"])},
	{"note": "transition under prioritisation", "input": on("case.transition", "prioritisation", "pz", "weighing", true), "want": denied(["purpose_not_bound"])},
	{"note": "transition without a dossier", "input": req("case.transition", "case_conference", "pz"), "want": denied(["no_case"])},
	# case.priority.
	{"note": "tactical table sets a priority", "input": on("case.priority", "prioritisation", "parket", "weighing", false), "want": allowed},
	{"note": "priority of a closed dossier", "input": on("case.priority", "prioritisation", "parket", "closed", false), "want": denied(["case_closed"])},
	{"note": "priority off the tactical table", "input": on("case.priority", "prioritisation", "vsse", "weighing", false), "want": denied(["purpose_not_allowed"])},
	{"note": "priority under case_conference", "input": on("case.priority", "case_conference", "pz", "weighing", true), "want": denied(["purpose_not_bound"])},
	# task.assign.
	{"note": "tactical table assigns a task to police on the roster", "input": with_target(on("task.assign", "prioritisation", "burgemeester", "approach", false), {"actor": "pz", "case_roster": ["ocmw", "pz"]}), "want": allowed},
	{"note": "task to police off the roster", "input": with_target(on("task.assign", "prioritisation", "burgemeester", "approach", false), {"actor": "pz", "case_roster": ["ocmw"]}), "want": denied(["task_actor_not_on_roster"])},
	{"note": "the tactical table assigns itself a task off the roster", "input": with_target(on("task.assign", "prioritisation", "parket", "approach", false), {"actor": "parket", "case_roster": ["ocmw"]}), "want": denied(["task_actor_not_on_roster"])},
	{"note": "task without the dossier's roster", "input": with_target(on("task.assign", "prioritisation", "burgemeester", "approach", false), {"actor": "pz"}), "want": denied(["task_actor_not_on_roster"])},
	{"note": "task to the mayor (not operational), even on a roster", "input": with_target(on("task.assign", "prioritisation", "pz", "approach", false), {"actor": "burgemeester", "case_roster": ["burgemeester"]}), "want": denied(["task_actor_not_on_roster"])},
	{"note": "task without an actor", "input": with_target(on("task.assign", "prioritisation", "pz", "approach", false), {"case_roster": ["pz"]}), "want": denied(["task_actor_not_on_roster"])},
	{"note": "task asked before the body (no target)", "input": on("task.assign", "prioritisation", "pz", "approach", false), "want": allowed},
	{"note": "task on a closed dossier", "input": with_target(on("task.assign", "prioritisation", "pz", "closed", false), {"actor": "ocmw", "case_roster": ["ocmw"]}), "want": denied(["case_closed"])},
	{"note": "task assigned by the school service", "input": with_target(on("task.assign", "prioritisation", "clb", "approach", false), {"actor": "ocmw", "case_roster": ["ocmw"]}), "want": denied(["purpose_not_allowed"])},
	# task.report.
	{"note": "assignee on the roster reports", "input": with_target(on("task.report", "case_conference", "clb", "approach", true), {"assignee": "clb"}), "want": allowed},
	{"note": "assignee off the roster reports", "input": with_target(on("task.report", "case_conference", "clb", "approach", false), {"assignee": "clb"}), "want": denied(["case_out_of_scope", "not_on_roster"])},
	{"note": "another actor reports", "input": with_target(on("task.report", "case_conference", "ocmw", "approach", true), {"assignee": "clb"}), "want": denied(["not_assignee"])},
	{"note": "assignee reports on a closed dossier", "input": with_target(on("task.report", "case_conference", "clb", "closed", true), {"assignee": "clb"}), "want": denied(["case_closed", "case_out_of_scope"])},
	# task.mine: an assignee's own tasks.
	{"note": "an operational actor lists its tasks", "input": req("task.mine", "case_conference", "clb"), "want": allowed},
	{"note": "its tasks under prioritisation: not bound", "input": req("task.mine", "prioritisation", "ocmw"), "want": denied(["purpose_not_bound"])},
	{"note": "its tasks off the operational table", "input": req("task.mine", "case_conference", "burgemeester"), "want": denied(["purpose_not_allowed"])},
	{"note": "assignee reports under prioritisation", "input": with_target(on("task.report", "prioritisation", "pz", "approach", true), {"assignee": "pz"}), "want": denied(["purpose_not_bound"])},
	# stats.read.
	{"note": "mayor reads aggregates", "input": req("stats.read", "policy", "burgemeester"), "want": allowed},
	{"note": "police reads aggregates", "input": req("stats.read", "policy", "pz"), "want": allowed},
	{"note": "social service reads aggregates", "input": req("stats.read", "policy", "ocmw"), "want": denied(["purpose_not_allowed"])},
	{"note": "aggregates under prioritisation", "input": req("stats.read", "prioritisation", "burgemeester"), "want": denied(["purpose_not_bound"])},
	# subject.lookup.
	{"note": "police looks a person up", "input": req("subject.lookup", "case_conference", "pz"), "want": allowed},
	{"note": "business association looks a person up", "input": req("subject.lookup", "case_conference", "unizo"), "want": allowed},
	{"note": "mayor looks a person up", "input": req("subject.lookup", "case_conference", "burgemeester"), "want": denied(["purpose_not_allowed"])},
	{"note": "lookup under signal", "input": req("subject.lookup", "signal", "ocmw"), "want": denied(["purpose_not_bound"])},
	# subject.erase: crypto-shredding a person.
	{"note": "coordinator erases under case_conference", "input": req("subject.erase", "case_conference", "preventie"), "want": allowed},
	{"note": "privacy officer erases under audit_review", "input": req("subject.erase", "audit_review", "dpo"), "want": allowed},
	{"note": "police erases under case_conference", "input": req("subject.erase", "case_conference", "pz"), "want": denied(["not_allowed_to_erase"])},
	{"note": "social service erases under case_conference", "input": req("subject.erase", "case_conference", "ocmw"), "want": denied(["not_allowed_to_erase"])},
	{"note": "coordinator erases under audit_review", "input": req("subject.erase", "audit_review", "preventie"), "want": denied(["not_allowed_to_erase", "purpose_not_allowed"])},
	{"note": "coordinator erases under prioritisation", "input": req("subject.erase", "prioritisation", "preventie"), "want": denied(["not_allowed_to_erase", "purpose_not_bound"])},
	{"note": "privacy officer erases under signal", "input": req("subject.erase", "signal", "dpo"), "want": denied(["not_allowed_to_erase", "purpose_not_bound"])},
	{"note": "privacy officer erases under case_conference", "input": req("subject.erase", "case_conference", "dpo"), "want": denied(["not_allowed_to_erase", "purpose_not_allowed"])},
	{"note": "coordinator claimed but not in the data erases", "input": object.union(req("subject.erase", "case_conference", "pz"), {"actor": {"coordinator": true}}), "want": denied(["not_allowed_to_erase"])},
]

# The review actions of the verifiable log: the privacy officer under
# audit_review, and nobody else, under no other purpose.
review_cases := [tc |
	some action in ["audit.report", "audit.alerts", "audit.checkpoint", "audit.proof", "audit.verify", "audit.export", "audit.tiles"]
	some tc in [
		{"note": sprintf("%s by the privacy officer", [action]), "input": req(action, "audit_review", "dpo"), "want": allowed},
		{"note": sprintf("%s by the coordinator", [action]), "input": req(action, "audit_review", "preventie"), "want": denied(["not_privacy_officer", "purpose_not_allowed"])},
		{"note": sprintf("%s by police under case_conference", [action]), "input": req(action, "case_conference", "pz"), "want": denied(["not_privacy_officer", "purpose_not_bound"])},
		{"note": sprintf("%s by the privacy officer under signal", [action]), "input": req(action, "signal", "dpo"), "want": denied(["purpose_not_bound"])},
	]
]

test_review_decision[note] if {
	some tc in review_cases
	note := tc.note
	decision_for(tc.input) == tc.want
}

test_review_cases_counted if count(review_cases) == 28

test_decision[note] if {
	some tc in cases
	note := tc.note
	decision_for(tc.input) == tc.want
}

# Every note is unique, so that no case hides another.
test_notes_unique if {
	count({tc.note | some tc in cases}) == count(cases)
}

# ---------------------------------------------------------------------------
# Invariants over every case: a deny releases nothing and always says why; an
# allow gives no reason; classes are sorted, distinct and from the matrix.

consistent(d) if {
	d.allow == true
	d.reasons == []
}

consistent(d) if {
	d.allow == false
	d.classes == []
	d.own == false
	count(d.reasons) > 0
}

test_invariants[note] if {
	some tc in cases
	note := tc.note
	d := decision_for(tc.input)
	consistent(d)
	d.classes == sort({c | some c in d.classes})
	every c in d.classes {
		zonnedaal.release[tc.input.purpose][c]
	}
}

# ---------------------------------------------------------------------------
# The release matrix is data: change it and the decision follows.

test_release_follows_data if {
	moved := json.patch(cells, [{"op": "add", "path": "/zonnedaal/release/case_conference/care", "value": ["police"]}])
	d := decision_over(card("case_conference", "pz", true, true), moved)
	"care" in d.classes
	d2 := decision_over(card("case_conference", "ocmw", true, true), moved)
	not "care" in d2.classes
}

test_no_release_without_matrix if {
	bare := json.patch(cells, [{"op": "remove", "path": "/zonnedaal/release"}])
	decision_over(card("case_conference", "pz", true, true), bare) == shown([])
}

test_purpose_table_follows_data if {
	moved := json.patch(cells, [{"op": "add", "path": "/zonnedaal/purposes/prioritisation/table", "value": "operational"}])
	decision_over(card("prioritisation", "clb", true, false), moved) == shown(["presence"])
	decision_over(card("prioritisation", "burgemeester", true, false), moved) == denied(["purpose_not_allowed"])
}

# ---------------------------------------------------------------------------
# A cell's own rules may withhold more, never release more.

test_cell_withholds_classes if {
	d := livc.decision with input as card("case_conference", "ocmw", true, true)
		with data.cells as cells
		with data.livc.cells.zonnedaal.withhold as {"care", "social", "police"}
	d == shown(["identity", "presence", "signal"])
}

test_cell_withhold_array if {
	d := livc.decision with input as card("case_conference", "pz", true, true)
		with data.cells as cells
		with data.livc.cells.zonnedaal.withhold as ["intelligence"]
	d == shown(["administrative", "business", "identity", "judicial", "police", "presence", "signal", "social"])
}

test_cell_withhold_of_another_cell_ignored if {
	d := livc.decision with input as card("case_conference", "unizo", true, true)
		with data.cells as cells
		with data.livc.cells.elders.withhold as {"presence"}
	d == shown(["business", "presence"])
}

test_cell_withhold_invalid_denies[note] if {
	some note, w in {
		"a string": "care",
		"an object": {"care": true},
		"a number in a set": {"care", 1},
	}
	d := livc.decision with input as card("case_conference", "ocmw", true, true)
		with data.cells as cells
		with data.livc.cells.zonnedaal.withhold as w
	d == denied(["cell_policy_invalid"])
}

test_cell_withholds_fields if {
	d := livc.decision with input as card("case_conference", "pz", true, true)
		with data.cells as cells
		with data.livc.cells.zonnedaal.withhold_fields as {"address", "birth_date"}
	d == object.union(shown(["administrative", "business", "identity", "intelligence", "judicial", "police", "presence", "signal", "social"]), {"withheld_fields": ["address", "birth_date"]})
}

test_cell_withheld_fields_only_on_allow if {
	d := livc.decision with input as card("case_conference", "burgemeester", true, true)
		with data.cells as cells
		with data.livc.cells.zonnedaal.withhold_fields as ["address"]
	d == denied(["purpose_not_allowed"])
}

test_cell_withhold_fields_invalid_denies[note] if {
	some note, w in {
		"a string": "address",
		"a number in a set": {"address", 1},
	}
	d := livc.decision with input as card("case_conference", "pz", true, true)
		with data.cells as cells
		with data.livc.cells.zonnedaal.withhold_fields as w
	d == denied(["cell_policy_invalid"])
}

# A cell's rules cannot release: withhold only subtracts, so an allow of the
# default policy stays the most a cell can give.
test_cell_cannot_release if {
	d := livc.decision with input as card("case_conference", "unizo", true, true)
		with data.cells as cells
		with data.livc.cells.zonnedaal.withhold as []
		with data.livc.cells.zonnedaal.release as {"police"}
	d == shown(["business", "presence"])
}

# ---------------------------------------------------------------------------
# Minors (README rule 9): for a minor, minors.release replaces release.

minor_card(purpose, id, open_case, on_roster) := object.union(
	card(purpose, id, open_case, on_roster),
	{"subject": {"open_case": open_case, "on_roster": on_roster, "minor": true}},
)

adult_card(purpose, id, open_case, on_roster) := object.union(
	card(purpose, id, open_case, on_roster),
	{"subject": {"open_case": open_case, "on_roster": on_roster, "minor": false}},
)

minor_cases := [
	# case_conference, on the roster of an open dossier.
	{"note": "police, adult", "input": adult_card("case_conference", "pz", true, true), "want": shown(["administrative", "business", "identity", "intelligence", "judicial", "police", "presence", "signal", "social"])},
	{"note": "police, minor: no social, no signal of intelligence", "input": minor_card("case_conference", "pz", true, true), "want": shown(["administrative", "identity", "intelligence", "judicial", "police", "presence", "signal"])},
	{"note": "intelligence, adult", "input": adult_card("case_conference", "vsse", true, true), "want": shown(["identity", "intelligence", "police", "presence", "signal"])},
	{"note": "intelligence, minor", "input": minor_card("case_conference", "vsse", true, true), "want": shown(["intelligence", "presence"])},
	{"note": "judicial, adult", "input": adult_card("case_conference", "parket", true, true), "want": shown(["administrative", "identity", "judicial", "police", "presence"])},
	{"note": "judicial, minor", "input": minor_card("case_conference", "parket", true, true), "want": shown(["judicial", "police", "presence"])},
	{"note": "coordinator, minor", "input": minor_card("case_conference", "preventie", true, true), "want": shown(["administrative", "identity", "presence", "signal"])},
	{"note": "social service, minor", "input": minor_card("case_conference", "ocmw", true, true), "want": shown(["care", "identity", "presence", "signal", "social"])},
	{"note": "business association, adult", "input": adult_card("case_conference", "unizo", true, true), "want": shown(["business", "presence"])},
	{"note": "business association, minor: nothing but its own", "input": minor_card("case_conference", "unizo", true, true), "want": shown([])},
	{"note": "police off the roster, minor: own only", "input": minor_card("case_conference", "pz", true, false), "want": shown([])},
	# prioritisation, an open dossier.
	{"note": "prosecutor, prioritisation, adult", "input": adult_card("prioritisation", "parket", true, false), "want": shown(["presence"])},
	{"note": "prosecutor, prioritisation, minor", "input": minor_card("prioritisation", "parket", true, false), "want": shown([])},
	{"note": "police, prioritisation, minor", "input": minor_card("prioritisation", "pz", true, false), "want": shown(["presence"])},
	# policy: nothing for anyone.
	{"note": "mayor, policy, minor", "input": minor_card("policy", "burgemeester", true, false), "want": denied(["purpose_not_bound"])},
	# minor must be true, not truthy.
	{"note": "minor must be true, not truthy", "input": object.union(adult_card("case_conference", "pz", true, true), {"subject": {"minor": "yes"}}), "want": shown(["administrative", "business", "identity", "intelligence", "judicial", "police", "presence", "signal", "social"])},
]

test_minor_decision[note] if {
	some tc in minor_cases
	note := tc.note
	decision_for(tc.input) == tc.want
}

test_minor_cases_counted if count(minor_cases) == 16

# A cell without a minors block gives a minor the adult rules.
test_minor_without_minors_block[note] if {
	some note, id in {"police": "pz", "judicial": "parket", "business association": "unizo"}
	no_minors := object.remove(cells.zonnedaal, ["minors"])
	adult := livc.decision with input as adult_card("case_conference", id, true, true) with data.cells as {"zonnedaal": no_minors}
	minor := livc.decision with input as minor_card("case_conference", id, true, true) with data.cells as {"zonnedaal": no_minors}
	adult == minor
	count(adult.classes) > 0
}

# A minors.release without a purpose releases nothing under it.
test_minor_purpose_absent_from_minors_release if {
	narrowed := json.patch(cells.zonnedaal, [{"op": "remove", "path": "/minors/release/prioritisation"}])
	d := livc.decision with input as minor_card("prioritisation", "pz", true, false) with data.cells as {"zonnedaal": narrowed}
	d == shown([])
}

# ---------------------------------------------------------------------------
# Deliberate sharing (README rule 8, art. 458ter).

share_cases := [
	{"note": "a social worker on the roster shares with the open dossier", "input": on("signal.share", "case_conference", "ocmw", "weighing", true), "want": allowed},
	{"note": "asked before the body names a dossier", "input": req("signal.share", "case_conference", "ocmw"), "want": allowed},
	{"note": "off the roster: the dossier it may not see", "input": on("signal.share", "case_conference", "ocmw", "weighing", false), "want": denied(["case_out_of_scope", "not_on_roster"])},
	{"note": "a closed dossier: it may not see it", "input": on("signal.share", "case_conference", "ocmw", "closed", true), "want": denied(["case_out_of_scope"])},
	{"note": "the coordinator sees the dossier but is off its roster", "input": on("signal.share", "case_conference", "preventie", "formation", false), "want": denied(["not_on_roster"])},
	{"note": "sharing under signal: not bound", "input": on("signal.share", "signal", "ocmw", "weighing", true), "want": denied(["purpose_not_bound"])},
	{"note": "the mayor is not at the operational table", "input": req("signal.share", "case_conference", "burgemeester"), "want": denied(["purpose_not_allowed"])},
]

test_share_decision[note] if {
	some tc in share_cases
	note := tc.note
	decision_for(tc.input) == tc.want
}

test_share_cases_counted if count(share_cases) == 7

# A card names the actor types whose records need their submitter's share:
# the cell's secrecy, as data; a cell without secrecy names none.
test_share_types_from_secrecy if {
	decision_for(card("case_conference", "pz", true, true)).share_types == ["socio_preventive"]
	widened := json.patch(cells, [{"op": "add", "path": "/zonnedaal/secrecy/-", "value": "police"}])
	decision_over(card("case_conference", "vsse", true, true), widened).share_types == ["police", "socio_preventive"]
	none := json.patch(cells, [{"op": "remove", "path": "/zonnedaal/secrecy"}])
	decision_over(card("case_conference", "pz", true, true), none).share_types == []
}

# Only a card read names them, and only on an allow.
test_share_types_only_on_card_allow if {
	decision_for(req("case.create", "case_conference", "preventie")).share_types == []
	decision_for(card("policy", "burgemeester", true, false)).share_types == []
}
