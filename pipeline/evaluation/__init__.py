"""Evaluation: score an extraction against the gold set (`evaluate`) and read or write gold files
(`gold`)."""
