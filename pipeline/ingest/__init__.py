"""Ingest stage: read a file (`read`), extract its text by format (`formats`), normalise it with an
offset map back to the original (`normalize`), and cut it into chunks (`chunk`)."""
