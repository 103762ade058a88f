"""Small synthetic samples of the datasets, written by crs_hf in the published raw formats (see each folder's README)."""
