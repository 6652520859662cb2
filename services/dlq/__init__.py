"""The dead letter processor: retries transient failures later and raises an alert for the rest.

Consumer `dlq-processor` on the DLQ stream (`dlq.{originalSubject}`). Decision 010 explains what goes to
the dead letter queue, when a dead letter is retried, how alerts look and how a replay works.
"""
