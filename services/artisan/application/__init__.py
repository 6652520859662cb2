"""Use cases of the artisan service: projection handlers, the geo search and the evaluation."""
