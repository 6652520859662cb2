"""The auth service: validates user tokens for the gateway and publishes the keys that sign them."""
