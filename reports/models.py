"""Candidate details and moderator reports; the models arrive with the reports issue."""
