"""The notarised record (公证): milestone checkpoints of each competition's audit stream,
countersigned by the notary's own Ed25519 key; the competition's bundle and its stand-alone
verifier (``verify_contest.py``), which re-checks the chain, both signatures and every
result, advance, rank and panel draw from the raw marks and votes."""
