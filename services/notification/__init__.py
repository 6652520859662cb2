"""The notification service: decides whom to tell from the events it receives (choreography, decision
003), schedules notifications, and sends the due ones in batches through the providers."""
