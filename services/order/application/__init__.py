"""Use cases of the order service: handlers of its commands and of the answers its saga waits for."""
