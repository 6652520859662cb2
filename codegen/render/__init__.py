"""Rendering: the jinja2 environment, the models step and the HTTP templates."""
