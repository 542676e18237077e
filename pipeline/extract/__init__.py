"""Extraction: the backends that turn a document into facts."""
