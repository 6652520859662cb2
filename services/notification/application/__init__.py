"""Use cases of the notification service: from events to scheduled notifications, and sending them."""
