"""Use cases of the user service: projecting its own events, validating customers, segmenting them."""
