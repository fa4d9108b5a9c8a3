"""Structured transcriptions of real forum documents, loaded by management commands."""
