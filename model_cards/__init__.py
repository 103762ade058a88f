"""Jinja templates for the model cards that crs_hf writes (installed as `crs_hf.model_cards`)."""
