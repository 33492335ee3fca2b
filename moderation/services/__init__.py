"""Moderation's writes, one module a subdomain: `corrections` (clerical corrections),
`reports` (the moderator's report) and `moderator_marks` (the moderator's own marks for
the sample). Every function takes the moderator's allocation, which the view loaded through
`selectors.access_allocation`, so a moderator can only write where they are allocated."""
