"""Tables, repositories, read-model views and the profile cache of the user service."""
