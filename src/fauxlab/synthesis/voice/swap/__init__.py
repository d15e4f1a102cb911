"""Voice swap ("voice skin"): one shared encoder of mel envelopes, one decoder per speaker,
WORLD analysis and synthesis around them (docs/voice-swap.md)."""
