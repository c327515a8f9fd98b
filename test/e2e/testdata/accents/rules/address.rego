# A cell's own accent: the address of a person is shown only to the police
# on the roster of an open dossier about them, whatever the release matrix
# gives others for class identity. Rules here may only withhold.
package livc.cells.zonnedaal

withhold_fields contains "address" if not roster_police

roster_police if {
	input.actor.type == "police"
	input.subject.on_roster == true
}
