"""Payment rules: the Payment aggregate, the split, method checks and the simulated processor. Pure."""
