"""The payment service: the vault of payment methods, validation, event-sourced payments, splits, refunds."""
