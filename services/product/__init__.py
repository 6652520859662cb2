"""The product service: the catalogue read model, faceted full-text search and product pages."""
