package broker

// Cell returns the configuration in force of cell id, for a transport that
// renders from it (the web pages build the new-signal form from its
// catalogue and name its actors); false for a cell this broker does not
// serve. The Cell is immutable: a reload swaps it whole.
func (s *Service) Cell(id string) (*Cell, bool) {
	c, ok := s.gen.Load().cells[id]
	return c, ok
}
