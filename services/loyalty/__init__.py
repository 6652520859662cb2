"""The loyalty service: points for confirmed orders, a balance and a tier per customer."""
