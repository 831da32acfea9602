#!/usr/bin/env python3
"""Recompute a Qun lottery draw or lucky red-packet split from its revealed
seed, following the package docs of internal/drbg, internal/lottery and
internal/redpacket. Standard library only.

    python3 recompute.py draw SEED_HEX WINNERS < entries.txt   (one entry a line)
    python3 recompute.py split SEED_HEX TOTAL_CENTS COUNT
    python3 recompute.py verify HASH_HEX SEED_HEX
"""
import hashlib, struct, sys

def stream(domain, *parts):
    pre = b''
    for x in (domain.encode(),) + parts:
        pre += struct.pack('>Q', len(x)) + x
    key = hashlib.sha256(pre).digest()
    i = 0
    while True:
        b = hashlib.sha256(key + struct.pack('>Q', i)).digest()
        i += 1
        for w in range(4):
            yield struct.unpack('>Q', b[8 * w:8 * w + 8])[0]

def below(s, n):
    t = (2**64 - n) % n
    while True:
        x = next(s)
        if x >= t:
            return x % n

def draw(seed, entries, winners):
    l = sorted(set(e.encode() for e in entries))
    d = hashlib.sha256(b''.join(struct.pack('>Q', len(e)) + e for e in l)).digest()
    s = stream("qun-lottery-v1", seed, d)
    w = max(0, min(winners, len(l)))
    for i in range(w):
        j = i + below(s, len(l) - i)
        l[i], l[j] = l[j], l[i]
    return [e.decode() for e in l[:w]]

def split(seed, total, n):
    s = stream("qun-redpacket-v1", seed)
    r, out = total, []
    for i in range(n - 1):
        k = n - i
        share = 1 + below(s, min(2 * r // k, r - (k - 1)))
        out.append(share)
        r -= share
    return out + [r]

if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'draw':
        entries = [l.rstrip('\n') for l in sys.stdin if l.rstrip('\n')]
        print('\n'.join(draw(bytes.fromhex(args[0]), entries, int(args[1]))))
    elif cmd == 'split':
        print(split(bytes.fromhex(args[0]), int(args[1]), int(args[2])))
    elif cmd == 'verify':
        print(hashlib.sha256(bytes.fromhex(args[1])).hexdigest() == args[0].lower())
