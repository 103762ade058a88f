"""Dataset builders, one folder each (`<name>/<name>.py` + its dataset card `<name>/README.md`).

Installed as `crs_hf.dataset_scripts`; `crs_hf.data.registry` lists them by name.
"""
