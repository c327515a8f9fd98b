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
	req("roster.set", "case_conference", id),
	{"case": {"state": state, "on_roster": false}, "target": {"roster": actors}},
)

allowed := {"allow": true, "classes": [], "own": false, "reasons": []}

shown(classes) := {"allow": true, "classes": classes, "own": true, "reasons": []}

denied(reasons) := {"allow": false, "classes": [], "own": false, "reasons": reasons}

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
	{"note": "policy off the strategic table", "input": card("policy", "ocmw", true, true), "want": denied(["purpose_not_allowed"])},
	{"note": "audit_review by the coordinator", "input": card("audit_review", "preventie", true, true), "want": denied(["purpose_not_allowed"])},
	{"note": "the privacy officer at no table", "input": card("case_conference", "dpo", true, true), "want": denied(["purpose_not_allowed"])},
	{"note": "unknown actor", "input": object.union(req("signal.submit", "signal", "pz"), {"actor": {"id": "ghost", "type": "police", "tables": ["operational"], "coordinator": true}}), "want": denied(["unknown_actor"])},
	{"note": "actor type disagrees with the data", "input": object.union(card("case_conference", "ocmw", true, true), {"actor": {"type": "police"}}), "want": denied(["unknown_actor"])},
	{"note": "table claimed but not in the data", "input": object.union(card("prioritisation", "clb", true, true), {"actor": {"tables": ["operational", "tactical"]}}), "want": denied(["purpose_not_allowed"])},
	{"note": "table in the data but not claimed", "input": object.union(card("prioritisation", "pz", true, true), {"actor": {"tables": []}}), "want": denied(["purpose_not_allowed"])},
	{"note": "unknown cell", "input": object.union(req("signal.submit", "signal", "ocmw"), {"livc": "elders"}), "want": denied(["unknown_cell"])},
	{"note": "unknown action", "input": req("card.write", "case_conference", "pz"), "want": denied(["unknown_action"])},
	{"note": "empty input", "input": {}, "want": denied(["unknown_action", "unknown_cell"])},
	# card.read under case_conference: the release matrix, on the roster only.
	{"note": "police on the roster", "input": card("case_conference", "pz", true, true), "want": shown(["business", "identity", "intelligence", "judicial", "police", "presence", "signal", "social"])},
	{"note": "social service on the roster", "input": card("case_conference", "ocmw", true, true), "want": shown(["care", "identity", "presence", "signal", "social"])},
	{"note": "school service on the roster", "input": card("case_conference", "clb", true, true), "want": shown(["care", "identity", "presence", "signal", "social"])},
	{"note": "municipal service on the roster", "input": card("case_conference", "jeugddienst", true, true), "want": shown(["identity", "presence", "signal", "social"])},
	{"note": "intelligence on the roster", "input": card("case_conference", "vsse", true, true), "want": shown(["identity", "intelligence", "police", "presence", "signal"])},
	{"note": "judicial on the roster", "input": card("case_conference", "parket", true, true), "want": shown(["identity", "judicial", "police", "presence"])},
	{"note": "coordinator on the roster", "input": card("case_conference", "preventie", true, true), "want": shown(["business", "identity", "presence", "signal", "social"])},
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
	{"note": "policy: aggregates only", "input": card("policy", "burgemeester", true, true), "want": shown([])},
	{"note": "signal: nothing in the matrix", "input": card("signal", "ocmw", true, true), "want": shown([])},
	{"note": "audit_review by the privacy officer: own only", "input": card("audit_review", "dpo", true, true), "want": shown([])},
	# case.create.
	{"note": "coordinator creates a case", "input": req("case.create", "case_conference", "preventie"), "want": allowed},
	{"note": "police cannot create a case", "input": req("case.create", "case_conference", "pz"), "want": denied(["not_coordinator"])},
	{"note": "coordinator claimed but not in the data", "input": object.union(req("case.create", "case_conference", "pz"), {"actor": {"coordinator": true}}), "want": denied(["not_coordinator"])},
	{"note": "case.create under prioritisation", "input": req("case.create", "prioritisation", "preventie"), "want": denied(["purpose_not_bound"])},
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
	{"note": "roster.change, the pipeline's name for roster.set", "input": object.union(roster("preventie", ["ocmw", "clb"], "approach"), {"action": "roster.change"}), "want": allowed},
	{"note": "roster.change with the mayor", "input": object.union(roster("preventie", ["burgemeester"], "approach"), {"action": "roster.change"}), "want": denied(["roster_actor_not_operational"])},
	{"note": "roster.change of a closed case by police", "input": object.union(roster("pz", ["pz"], "closed"), {"action": "roster.change"}), "want": denied(["case_closed", "not_coordinator"])},
	{"note": "roster set by police", "input": roster("pz", ["pz"], "formation"), "want": denied(["not_coordinator"])},
	{"note": "roster under prioritisation", "input": object.union(roster("preventie", ["pz"], "formation"), {"purpose": "prioritisation"}), "want": denied(["purpose_not_bound"])},
	# audit.read.
	{"note": "privacy officer reads the audit", "input": req("audit.read", "audit_review", "dpo"), "want": allowed},
	{"note": "coordinator reads the audit", "input": req("audit.read", "audit_review", "preventie"), "want": denied(["not_privacy_officer", "purpose_not_allowed"])},
	{"note": "privacy officer reads the audit under signal", "input": req("audit.read", "signal", "dpo"), "want": denied(["purpose_not_bound"])},
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
	d == shown(["business", "identity", "judicial", "police", "presence", "signal", "social"])
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
