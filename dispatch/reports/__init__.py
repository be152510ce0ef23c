"""Reports and scores: figures computed from the audit trail (case timelines, patrols)."""
