// Package divert detects contact-info diversion ("off-platform trading") in
// chat text: WeChat ids, mainland mobile numbers, QQ numbers and "scan my QR
// code" hints, including their common disguises, and applies a per-group
// policy (allow, flag, mask, block) to a text.
//
// The package is pure: no I/O, no clock, no globals that change, and it
// imports none of Qun's packages. The same input always gives the same
// output.
//
// # How a text is read
//
// The text is first normalized, rune by rune, keeping each rune's byte span
// in the original text (see normalize.go):
//
//   - full-width ASCII (ＡＢＣ１２３：) folds to ASCII and U+3000 to a space;
//     ASCII letters fold to lower case;
//   - digits written as Chinese numerals (〇零一二三四五六七八九, 幺 for 1, the
//     financial forms 壹贰叁肆伍陆柒捌玖 and their traditional forms), circled
//     digits (①…⑨) and ○ count as digits;
//   - zero-width characters, variation selectors and the keycap mark are
//     ignored, so 1️⃣3️⃣8️⃣ reads as 138.
//
// Then four rules run over the normalized runes (see rules.go):
//
//   - Phone: a run of digit groups separated by at most three separator runes
//     (spaces, - . _ / * # , 、 … see isSep), in which a contiguous stretch of
//     whole groups holds exactly 11 digits starting 1[3-9], or 13 digits
//     starting 86 then 1[3-9]. A run glued to an ASCII letter (a tracking code
//     such as SF13812345678) or preceded within a few runes by an
//     order/tracking cue (订单, 单号, 快递, 运单, 取件码, 编号, 尾号 …), or
//     followed within six runes by one (… 是订单号), is not a
//     phone.
//   - WeChat: a cue (微信 and its homophones 威信 薇信 徽信 维信 唯信, v信,
//     v❤, vx, wx, weixin, wechat, 加v, +v, v:, 绿泡泡, and the weak cue 加我)
//     whose runes may be split by separators, followed within a few filler
//     runes (： 号 是 我 搜 …) by an id of 5–20 [a-z0-9_-] (single characters
//     split by separators are joined), or preceded by an id of 6–20 starting
//     with a letter. The weak cue 加我 needs an id holding both letters and
//     digits. Latin cues must not touch other letters.
//   - QQ: a cue (qq, 扣扣, 企鹅, q号) followed or preceded by 5–11 digits
//     (disguised like phone digits), the first not 0.
//   - QR: 扫码, 扫一扫, 二维码, 扫我, 长按识别, 识别图中, qr code, 加群码 …
//
// Overlapping matches are merged; Detect returns them in text order with byte
// spans into the original text.
//
// # Cost
//
// Work is linear in the length of the text: each rule looks back or ahead a
// bounded number of runes, the phone rule tries at most 13 digits per start
// group, and there is no regular expression. One allocation holds the
// normalized runes (none for texts up to 256 runes) and one holds the
// matches when there are any. BenchmarkDetect reports ns per message and the
// false-positive and false-negative counts over the test table.
//
// # Known limits
//
// Landline numbers, e-mail addresses, links to other apps, ids written with
// look-alike letters from other scripts (Cyrillic х, Greek ν), numbers spelled
// with spoken homophones (要 for 1, 酒 for 9) and contact details split across
// several messages are not detected. A cue with no id (加我微信私聊) is not a
// match.
package divert
