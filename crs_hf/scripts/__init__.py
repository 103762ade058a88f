"""Training scripts that ship with the package, so that an installed crs_hf runs them without a checkout
(`crs-hf demo`, `python -m crs_hf.scripts.train_crs`); `examples/` holds thin launchers for `accelerate launch`."""
