"""Customer rules: masking payment methods, who may order, and segments. Pure."""
