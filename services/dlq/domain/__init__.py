"""What to do with a dead letter (retry later or alert) and how a failed message is sent again. Pure."""
