# METADATA
# title: Tests of the case conference minutes and the retention listing
# description: |
#   meeting.record (the coordinator, on an open dossier, naming actors of
#   its roster only), meeting.list (whoever reads the dossier under
#   case_conference) and retention.list (the coordinator). Data-driven, like
#   decision_test.rego, whose fixtures it uses.
package livc_test

import data.livc

meeting(id, state, on_roster, attendees, owners, case_roster) := with_target(
	on("meeting.record", "case_conference", id, state, on_roster),
	{"attendees": attendees, "decision_actors": owners, "case_roster": case_roster},
)

meeting_cases := [
	# meeting.record.
	{"note": "coordinator records a conference of the roster", "input": meeting("preventie", "approach", false, ["ocmw", "pz"], ["pz"], ["ocmw", "clb", "pz"]), "want": allowed},
	{"note": "coordinator records a conference without decisions", "input": meeting("preventie", "weighing", false, ["ocmw"], [], ["ocmw"]), "want": allowed},
	{"note": "asked before the body (no target)", "input": on("meeting.record", "case_conference", "preventie", "approach", false), "want": allowed},
	{"note": "an attendee off the roster", "input": meeting("preventie", "approach", false, ["ocmw", "vsse"], [], ["ocmw", "pz"]), "want": denied(["meeting_actor_not_on_roster"])},
	{"note": "a decision's owner off the roster", "input": meeting("preventie", "approach", false, ["ocmw"], ["vsse"], ["ocmw", "pz"]), "want": denied(["meeting_actor_not_on_roster"])},
	{"note": "the mayor on a forged roster", "input": meeting("preventie", "approach", false, ["burgemeester"], [], ["burgemeester"]), "want": denied(["meeting_actor_not_on_roster"])},
	{"note": "minutes without the dossier's roster", "input": with_target(on("meeting.record", "case_conference", "preventie", "approach", false), {"attendees": ["ocmw"], "decision_actors": []}), "want": denied(["meeting_actor_not_on_roster"])},
	{"note": "coordinator records on a closed dossier", "input": meeting("preventie", "closed", false, ["ocmw"], [], ["ocmw"]), "want": denied(["case_closed"])},
	{"note": "police on the roster records", "input": meeting("pz", "approach", true, ["pz"], [], ["pz"]), "want": denied(["not_coordinator"])},
	{"note": "police off the roster: the dossier it may not see", "input": on("meeting.record", "case_conference", "pz", "approach", false), "want": denied(["case_out_of_scope", "not_coordinator"])},
	{"note": "coordinator records under prioritisation", "input": on("meeting.record", "prioritisation", "preventie", "approach", false), "want": denied(["purpose_not_bound"])},
	{"note": "minutes without a dossier", "input": req("meeting.record", "case_conference", "preventie"), "want": denied(["no_case"])},
	# meeting.list.
	{"note": "a roster member reads the minutes", "input": on("meeting.list", "case_conference", "clb", "approach", true), "want": allowed},
	{"note": "the coordinator reads the minutes off the roster", "input": on("meeting.list", "case_conference", "preventie", "approach", false), "want": allowed},
	{"note": "the coordinator reads the minutes of a closed dossier", "input": on("meeting.list", "case_conference", "preventie", "closed", false), "want": allowed},
	{"note": "off the roster: the dossier it may not see", "input": on("meeting.list", "case_conference", "vsse", "approach", false), "want": denied(["case_out_of_scope"])},
	{"note": "the roster of a closed dossier reads no more", "input": on("meeting.list", "case_conference", "clb", "closed", true), "want": denied(["case_out_of_scope"])},
	{"note": "minutes under prioritisation", "input": on("meeting.list", "prioritisation", "burgemeester", "approach", false), "want": denied(["purpose_not_bound"])},
	{"note": "minutes by the mayor, off the operational table", "input": on("meeting.list", "case_conference", "burgemeester", "approach", true), "want": denied(["purpose_not_allowed"])},
	# retention.list.
	{"note": "coordinator lists what expires", "input": req("retention.list", "case_conference", "preventie"), "want": allowed},
	{"note": "police lists what expires", "input": req("retention.list", "case_conference", "pz"), "want": denied(["not_coordinator"])},
	{"note": "coordinator lists what expires under prioritisation", "input": req("retention.list", "prioritisation", "preventie"), "want": denied(["purpose_not_bound"])},
	{"note": "privacy officer lists what expires", "input": req("retention.list", "audit_review", "dpo"), "want": denied(["not_coordinator", "purpose_not_bound"])},
]

test_meeting_decision[note] if {
	some tc in meeting_cases
	note := tc.note
	decision_for(tc.input) == tc.want
}

test_meeting_cases_counted if count(meeting_cases) == 23

# Step outcomes: a transition's outcome from the list of its move, the
# approach's plan naming actors of the roster.
move(id, from, to, outcome, actors) := with_target(
	on("case.transition", "case_conference", id, from, true),
	{"from": from, "to": to, "outcome": outcome, "measure_actors": actors, "case_roster": ["ocmw", "pz"]},
)

outcome_cases := [
	{"note": "a move without an outcome", "input": move("pz", "formation", "weighing", "", []), "want": allowed},
	{"note": "the weighing's assessment into approach with a plan", "input": move("pz", "weighing", "approach", "concern_confirmed", ["ocmw", "pz"]), "want": allowed},
	{"note": "the weighing closes a dossier with no concern", "input": move("pz", "weighing", "closed", "no_concern", []), "want": allowed},
	{"note": "the evaluation's finding", "input": move("ocmw", "evaluation", "closed", "risk_reduced", []), "want": allowed},
	{"note": "an outcome of another move", "input": move("pz", "weighing", "approach", "risk_reduced", []), "want": denied(["outcome_not_for_this_step"])},
	{"note": "an outcome on a move that records none", "input": move("pz", "registration", "formation", "concern_confirmed", []), "want": denied(["outcome_not_for_this_step"])},
	{"note": "a plan naming an actor off the roster", "input": move("pz", "weighing", "approach", "concern_confirmed", ["vsse"]), "want": denied(["measure_actor_not_on_roster"])},
	{"note": "a plan on a move that is not into approach", "input": move("pz", "evaluation", "closed", "risk_reduced", ["pz"]), "want": denied(["measure_actor_not_on_roster"])},
	{"note": "a plan without an outcome", "input": move("pz", "weighing", "approach", "", ["pz"]), "want": denied(["outcome_not_for_this_step"])},
]

test_outcome_decision[note] if {
	some tc in outcome_cases
	note := tc.note
	decision_for(tc.input) == tc.want
}

test_outcome_cases_counted if count(outcome_cases) == 9

# A cell's own list replaces the default one.
test_cell_step_outcomes if {
	own := {"weighing": {"closed": ["dropped"]}}
	d := livc.decision with input as move("pz", "weighing", "closed", "dropped", [])
		with data.cells as cells
		with data.livc.cells.zonnedaal.step_outcomes as own
	d == allowed
	e := livc.decision with input as move("pz", "weighing", "closed", "no_concern", [])
		with data.cells as cells
		with data.livc.cells.zonnedaal.step_outcomes as own
	e == denied(["outcome_not_for_this_step"])
}

retention_review_cases := [
	{"note": "coordinator reviews a closed dossier", "input": on("case.review", "case_conference", "preventie", "closed", false), "want": allowed},
	{"note": "coordinator reviews an open dossier: the pipeline's 409", "input": on("case.review", "case_conference", "preventie", "approach", false), "want": allowed},
	{"note": "police on the roster reviews", "input": on("case.review", "case_conference", "pz", "approach", true), "want": denied(["not_coordinator"])},
	{"note": "police reviews a closed dossier it may not see", "input": on("case.review", "case_conference", "pz", "closed", true), "want": denied(["case_out_of_scope", "not_coordinator"])},
	{"note": "review without a dossier", "input": req("case.review", "case_conference", "preventie"), "want": denied(["no_case"])},
	{"note": "review under prioritisation", "input": on("case.review", "prioritisation", "preventie", "closed", false), "want": denied(["purpose_not_bound"])},
]

test_retention_review_decision[note] if {
	some tc in retention_review_cases
	note := tc.note
	decision_for(tc.input) == tc.want
}

test_retention_review_cases_counted if count(retention_review_cases) == 6
