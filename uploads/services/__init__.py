"""The uploads app's writes, one module a subdomain: `rules` (when an upload is open,
the size limits, the deletion cutoff), `uploads` (the resumable protocol: start, chunks,
complete, cleaning up abandoned uploads), `files` (recording a finished file, deleting
it, locking it past the cutoff, how audit events name it) and `scans` (the virus scan
workflow; the scanner client itself is uploads/clamd.py)."""
