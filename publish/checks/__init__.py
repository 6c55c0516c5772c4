"""Checking: the one `publish check` gate, word parity between the model and every output, the validators of
each format, accessibility and conformance, and the review of an editor's changes."""
