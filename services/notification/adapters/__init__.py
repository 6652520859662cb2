"""Tables, repositories and the simulated providers of the notification service."""
