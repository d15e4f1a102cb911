"""Provenance: watermark, content credentials and the transparency ledger."""
