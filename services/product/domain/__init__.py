"""Catalogue search rules: query terms, filters, facets' buckets and labels, relevance boosts. Pure."""
