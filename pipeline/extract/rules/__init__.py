"""The rules extractor: labels, tables and running text read without a model (`extract.extract`)."""
