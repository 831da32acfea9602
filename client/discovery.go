package client

import (
	"context"

	"github.com/qunchat/qun/wire"
)

// Typed operations of discovery: search, nearby and profiles.
// Each is one Call; docs/protocol.md says who may call what and which
// errors to expect. Operations that write a system event return its seq.

// Search finds searchable groups by name substring and/or category.
func (c *Client) Search(ctx context.Context, a wire.SearchArgs) ([]wire.GroupCard, error) {
	var r wire.SearchResult
	err := c.Call(ctx, wire.OpSearch, &a, &r)
	return r.Groups, err
}

// Nearby finds searchable groups within a.RadiusKm of a point, nearest first.
func (c *Client) Nearby(ctx context.Context, a wire.NearbyArgs) ([]wire.GroupCard, error) {
	var r wire.SearchResult
	err := c.Call(ctx, wire.OpNearby, &a, &r)
	return r.Groups, err
}

// ProfileGroups lists the groups user shows on their profile.
func (c *Client) ProfileGroups(ctx context.Context, user string) ([]wire.GroupCard, error) {
	var r wire.SearchResult
	err := c.Call(ctx, wire.OpProfileGroups, &wire.UserArgs{User: user}, &r)
	return r.Groups, err
}

// ShowOnProfile shows one of the caller's groups on their profile, or hides it.
func (c *Client) ShowOnProfile(ctx context.Context, group string, show bool) error {
	return c.Call(ctx, wire.OpShowOnProfile, &wire.ShowOnProfileArgs{Group: group, Show: show}, nil)
}
