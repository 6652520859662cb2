"""Use cases of the dead letter processor: triage a dead letter, then carry out what was decided."""
