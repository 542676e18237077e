"""The offline rules backend: stages that read the genre (candidates, roles, tables, projects)."""
