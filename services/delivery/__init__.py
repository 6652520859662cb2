"""The delivery service: schedules a carrier for every confirmed order (saga step schedule-delivery)."""
