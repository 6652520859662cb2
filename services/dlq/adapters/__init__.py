"""The decision log (SQL), the DLQ stream and republishing (JetStream), and alerts (log and metric)."""
