package engine

// ClusterMembers returns this node's member id, the member ids it sees in
// gossip (memberlist's live view) and those protoactor routes grains to; a
// member in the second and not the third is not (yet, or no longer)
// admitted. All are empty before Start.
func (e *Engine) ClusterMembers() (self string, gossip, routed []string) {
	if e.node == nil || !e.running.Load() {
		return "", nil, nil
	}
	for _, m := range e.node.Provider.Members() {
		gossip = append(gossip, m.ID)
	}
	return e.node.ID(), gossip, e.node.MemberIDs()
}
