"""The example recipes, installed as `crs_hf.example_recipes` (see setup.cfg) so that an installed crs_hf runs them
(`crs_hf.scripts.train_crs.sample_recipe`, `crs-hf demo`)."""
