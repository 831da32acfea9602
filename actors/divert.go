package actors

import (
	"strings"

	"github.com/qunchat/qun/internal/divert"
	"github.com/qunchat/qun/wire"
)

// Diversion moderation: contact details (WeChat ids, mobile numbers, QQ
// numbers, QR hints; see internal/divert) in a message's text and card
// fields, under the group's policy (or GroupConfig.Fans.Divert).

// divertPolicy is the group's effective policy.
func (g *GroupMachine) divertPolicy() wire.DivertPolicy {
	if p := g.st.Fan.Divert; p != wire.DivertDefault {
		return p
	}
	return g.cfg.Fans.Divert
}

var divertPolicies = map[wire.DivertPolicy]divert.Policy{
	wire.DivertAllow: divert.PolicyAllow, wire.DivertFlag: divert.PolicyFlag,
	wire.DivertMask: divert.PolicyMask, wire.DivertBlock: divert.PolicyBlock,
}

// PolicyName names a policy ("allow", "flag", "mask", "block").
func PolicyName(p wire.DivertPolicy) string {
	if dp, ok := divertPolicies[p]; ok {
		return dp.String()
	}
	return "default"
}

// textFields lists the user-visible text fields of a body that diversion
// rules read: the text and the card fields (custom values separately).
func textFields(b *wire.Body) (fs [2]*string, n int) {
	switch {
	case b.Text != nil:
		return [2]*string{&b.Text.Text}, 1
	case b.Video != nil:
		return [2]*string{&b.Video.Title}, 1
	case b.Live != nil:
		return [2]*string{&b.Live.Title}, 1
	case b.Product != nil:
		return [2]*string{&b.Product.Title}, 1
	case b.Location != nil:
		return [2]*string{&b.Location.Name, &b.Location.Address}, 2
	case b.Link != nil:
		return [2]*string{&b.Link.Title, &b.Link.Desc}, 2
	}
	return fs, 0
}

// applyDivert applies the group's policy to msg in place. It returns the
// kinds found when the policy is flag (for the host), or a refusal.
func (g *GroupMachine) applyDivert(msg *wire.Message) (flagged string, err *wire.Error) {
	p := divertPolicies[g.divertPolicy()]
	if p == divert.PolicyAllow {
		return "", nil
	}
	var kinds []string
	fs, n := textFields(&msg.Body)
	fields := fs[:n]
	if c := msg.Body.Custom; c != nil {
		// Map values are copies: check copies, then write them back.
		vals := map[string]*string{}
		for k, v := range c.Data {
			if v.Kind == wire.CustomString {
				s := v.S
				vals[k] = &s
				fields = append(fields, &s)
			}
		}
		defer func() {
			for k, s := range vals {
				v := c.Data[k]
				v.S = *s
				c.Data[k] = v
			}
		}()
	}
	for _, f := range fields {
		out, ms, derr := divert.Apply(p, *f)
		if derr != nil {
			return "", wire.Errorf(wire.CodeDiverted, "contact details (%s) are not allowed in this group: keep trades on the platform", matchKinds(ms))
		}
		*f = out
		if len(ms) > 0 {
			kinds = append(kinds, matchKinds(ms))
		}
	}
	if p == divert.PolicyFlag && len(kinds) > 0 {
		return strings.Join(kinds, ","), nil
	}
	return "", nil
}

func matchKinds(ms []divert.Match) string {
	seen := map[divert.Kind]bool{}
	var out []string
	for _, m := range ms {
		if !seen[m.Kind] {
			seen[m.Kind] = true
			out = append(out, m.Kind.String())
		}
	}
	return strings.Join(out, ",")
}

// setDivert is OpSetDivert.
func (g *GroupMachine) setDivert(r *req[wire.SetDivertArgs]) Effects {
	p := r.args.Policy
	if _, ok := divertPolicies[p]; !ok && p != wire.DivertDefault {
		return fail(wire.CodeBadRequest, "unknown diversion policy %d", p)
	}
	return g.event(r.Now, sysMsg(wire.EventDivert, r.User, "", PolicyName(p)), &change{Fan: &fanChange{Divert: p}})
}
